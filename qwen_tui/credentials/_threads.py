"""Run blocking keyring calls in daemon threads with a time limit.

A keyring call can block for ever: a D-Bus call to a Secret Service that waits
for an unlock prompt nobody can see, or a backend that asks for a password on
the terminal. Daemon threads are used instead of ``asyncio.to_thread`` or a
``ThreadPoolExecutor`` because those threads are joined when the program exits
(``asyncio.run`` waits for the default executor), so one stuck call would also
freeze the exit. A daemon thread that never returns is simply left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
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


async def run_in_daemon_thread(fn: Callable[[], T], timeout: float) -> T:  # noqa: ASYNC109
    """Await ``fn`` run in a daemon thread, at most ``timeout`` seconds.

    The event loop keeps running while ``fn`` blocks, and a call that never
    returns does not hold up the loop's shutdown.

    Args:
        fn: The blocking call.
        timeout: Seconds to wait.

    Returns:
        What ``fn`` returned.

    Raises:
        CallTimedOut: ``fn`` did not finish in time.
        Exception: Whatever ``fn`` raised, unchanged.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(ok: bool, value: object) -> None:
        if future.done():  # timed out or cancelled meanwhile
            return
        if ok:
            future.set_result(value)  # type: ignore[arg-type]
        else:
            assert isinstance(value, BaseException)
            future.set_exception(value)

    def post(ok: bool, value: object) -> None:
        # RuntimeError: the loop is closed, so nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(deliver, ok, value)

    def worker() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed over to the event loop
            post(False, exc)
        else:
            post(True, result)

    threading.Thread(target=worker, name=_THREAD_NAME, daemon=True).start()
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        if future.cancelled():  # wait_for gave up, rather than fn raising TimeoutError
            raise CallTimedOut from None
        raise
