"""How each screen looks: SVG snapshots compared with pytest-textual-snapshot.

Run ``pytest --snapshot-update`` after a deliberate change of look, and review the SVGs.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import RadioButton, Static

from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.ui_helpers import make_app, wait_until

SIZE = (100, 40)


async def _local_probe_done(pilot: Pilot[Any]) -> None:
    screen = pilot.app.screen
    await wait_until(pilot, lambda: bool(str(screen.query_one("#local-status", Static).render())))
    await pilot.pause()


def test_welcome_screen(snap_compare: Any) -> None:
    assert snap_compare(
        make_app(keyring_backend=MemoryKeyring()), terminal_size=SIZE, run_before=_local_probe_done
    )


def test_welcome_screen_qwen_oauth(snap_compare: Any) -> None:
    async def choose_qwen(pilot: Pilot[Any]) -> None:
        await _local_probe_done(pilot)
        pilot.app.screen.query_one("#method-qwen", RadioButton).value = True
        await pilot.pause()

    assert snap_compare(
        make_app(keyring_backend=MemoryKeyring()), terminal_size=SIZE, run_before=choose_qwen
    )
