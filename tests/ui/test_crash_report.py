"""An exception no handler caught ends the app with a crash report, as Textual would."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qwen_tui.telemetry import Crash
from qwen_tui.telemetry.events import Event
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.ui_helpers import make_app, wait_until


class _Recorded:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def record(self, build: Callable[[], Event]) -> None:
        self.events.append(build())


async def test_an_uncaught_exception_is_reported_and_ends_the_app() -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    recorded = _Recorded()

    def boom() -> None:
        raise LookupError("on purpose")

    with pytest.raises(LookupError):
        async with app.run_test() as pilot:
            await wait_until(pilot, lambda: app.screen.is_mounted)
            app.services._telemetry = recorded  # type: ignore[assignment]
            app.call_later(boom)
            await wait_until(pilot, lambda: app.return_code == 1)
    crashes = [event for event in recorded.events if isinstance(event, Crash)]
    assert [crash.exception for crash in crashes] == ["LookupError"]
