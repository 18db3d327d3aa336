"""Measure how long the event loop goes without running other tasks.

A task sleeps for a short interval over and over and records how much later than asked
it woke up: that lateness is how long a key press would have waited too. Used by the
tests of huge answers and by ``make bench``.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType


class LoopLag:
    """``async with LoopLag() as lag:`` … ``lag.worst`` is the longest stall seen (s)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.worst = 0.0
        self.samples = 0
        self._excluded = 0.0
        self._task: asyncio.Task[None] | None = None

    def exclude(self, seconds: float) -> None:
        """Do not count ``seconds`` spent by the measurement itself (a test's probe of
        the screen) as a stall of the app."""
        self._excluded += seconds

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before, excluded = loop.time(), self._excluded
            await asyncio.sleep(self.interval)
            late = loop.time() - before - self.interval - (self._excluded - excluded)
            self.samples += 1
            self.worst = max(self.worst, late)

    def reset(self) -> None:
        """Forget the stalls seen so far (e.g. those of start-up)."""
        self.worst = 0.0
        self.samples = 0

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._watch())
        await asyncio.sleep(0)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
