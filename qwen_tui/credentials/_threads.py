"""Run blocking keyring calls in daemon threads with a time limit.

A keyring call can block for ever: a D-Bus call to a Secret Service that waits
for an unlock prompt nobody can see, or a backend that asks for a password on
the terminal. Daemon threads are used instead of ``asyncio.to_thread`` or a
``ThreadPoolExecutor`` because those threads are joined when the program exits
(``asyncio.run`` waits for the default executor), so one stuck call would also
freeze the exit. A daemon thread that never returns is simply left behind, and a
caller's own ``asyncio.to_thread`` around a store call returns within the time limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_THREAD_NAME = "qwen-tui-credentials"


class CallTimedOut(Exception):
    """The call did not finish in time; it may still be running in its thread."""


def call_with_timeout(fn: Callable[[], T], timeout: float) -> T:
    """Call ``fn`` in a daemon thread and wait at most ``timeout`` seconds.

    Args:
        fn: The blocking call.
        timeout: Seconds to wait.

    Returns:
        What ``fn`` returned.

    Raises:
        CallTimedOut: ``fn`` did not finish in time.
        Exception: Whatever ``fn`` raised, unchanged.
    """
    done = threading.Event()
    outcome: list[tuple[bool, object]] = []

    def worker() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # handed over to the waiting thread
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=worker, name=_THREAD_NAME, daemon=True).start()
    if not done.wait(timeout):
        raise CallTimedOut
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[return-value]
    assert isinstance(value, BaseException)
    raise value
