"""The test helpers that wait: they return on the condition and fail on a broken one."""

from __future__ import annotations

import time

import pytest

from tests.support.waiting import async_holds_for, async_wait_until, holds_for


async def test_wait_until_returns_once_the_condition_holds() -> None:
    ready_at = time.monotonic() + 0.1
    await async_wait_until(lambda: time.monotonic() >= ready_at, timeout=5)
    with pytest.raises(AssertionError, match="never"):
        await async_wait_until(lambda: False, "never", timeout=0.05)


async def test_holds_for_watches_the_whole_window() -> None:
    started = time.monotonic()
    await async_holds_for(lambda: True, 0.1)
    assert time.monotonic() - started >= 0.1
    broken_at = time.monotonic() + 0.05
    with pytest.raises(AssertionError, match="broke"):
        await async_holds_for(lambda: time.monotonic() < broken_at, 5, "broke")


def test_holds_for_off_the_loop_watches_the_whole_window() -> None:
    started = time.monotonic()
    holds_for(lambda: True, 0.1)
    assert time.monotonic() - started >= 0.1
    broken_at = time.monotonic() + 0.05
    with pytest.raises(AssertionError, match="broke"):
        holds_for(lambda: time.monotonic() < broken_at, 5, "broke")
