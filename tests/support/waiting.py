"""Waiting on conditions, never on fixed sleeps: one place for how long a test may wait.

A busy machine (both cores taken by something else) makes every step slower, so a
fixed pause that is long enough on a quiet machine is too short there. Tests wait
until what they need has happened; ``PATIENCE`` only bounds a hang, so it is long.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

PATIENCE = 60.0
"""Seconds after which a condition that has not come true counts as a hang."""

POLL = 0.02
"""Seconds between two looks at the condition."""

Message = str | Callable[[], str]


def _text(message: Message) -> str:
    return message() if callable(message) else message


def wait_until(
    predicate: Callable[[], bool],
    message: Message = "condition not reached in time",
    timeout: float = PATIENCE,
) -> None:
    """Return as soon as ``predicate`` holds; fail with ``message`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(_text(message))
        time.sleep(POLL)


def holds_for(
    predicate: Callable[[], bool],
    seconds: float,
    message: Message = "condition broke within the window",
) -> None:
    """``async_holds_for`` for a test off the event loop: what must not happen meanwhile
    in another thread or process (a browser opened, a file written)."""
    deadline = time.monotonic() + seconds
    while predicate():
        if time.monotonic() > deadline:
            return
        time.sleep(POLL)
    raise AssertionError(_text(message))


def _poll() -> Awaitable[None]:
    return asyncio.sleep(POLL)


async def async_wait_until(
    predicate: Callable[[], bool],
    message: Message = "condition not reached in time",
    timeout: float = PATIENCE,  # noqa: ASYNC109
    *,
    pause: Callable[[], Awaitable[None]] = _poll,
) -> None:
    """``wait_until`` for a test that runs on the event loop: other tasks keep running.

    ``pause`` lets them run between two looks (a pilot test lets the app settle).
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(_text(message))
        await pause()


async def async_holds_for(
    predicate: Callable[[], bool],
    seconds: float,
    message: Message = "condition broke within the window",
    *,
    pause: Callable[[], Awaitable[None]] = _poll,
) -> None:
    """Fail as soon as ``predicate`` stops holding within ``seconds``.

    For what must *not* happen (no retry, no more text after a stop): there is no
    event to wait for, so the test watches a window. A busy machine only makes the
    window see less, never fail a correct program.
    """
    deadline = time.monotonic() + seconds
    while True:
        if not predicate():
            raise AssertionError(_text(message))
        if time.monotonic() > deadline:
            return
        await pause()


LOAD_SLACK = 5.0
"""Seconds a busy machine may add to a time bound the product promises.

A test of such a bound makes the alternative (a server that never answers, or answers
after 30 s) far longer than the bound plus this slack, so a bound that is not kept
still fails the test, while a slow machine does not.
"""
