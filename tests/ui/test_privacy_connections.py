"""The Privacy tab's "This session's connections": a TUI session leaves a ledger that
matches, request for request, what the server received, and the table follows it live."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from qwen_tui.net import ledger
from qwen_tui.privacy.ledger_table import ledger_words
from qwen_tui.ui.screens.settings import SettingsScreen
from qwen_tui.ui.widgets.connections_table import MAX_ROWS, ConnectionsTable
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.ledger_checks import assert_matches_server, record_one
from tests.support.servers.openai_server import OpenAIServer
from tests.support.ui_helpers import make_app, wait_until
from tests.ui import test_chat_screen
from tests.ui.test_chat_screen import KEY, answer_done, connected, send
from tests.ui.test_settings_screen import choose_provider, tab_content_focused
from tests.ui.test_settings_snapshots import SIZE, open_tab

server = test_chat_screen.server
"""The chat screen's loopback server and its variables, the same fixture."""


def table_text(app: Any) -> str:
    tables = app.screen.query(ConnectionsTable)
    if not tables:
        return ""
    return "\n".join("  ".join(row) for row in tables.first().rows)


async def test_a_tui_session_leaves_a_ledger_request_for_request(
    server: OpenAIServer, fresh_ledger: ledger.Ledger
) -> None:
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "hello")
        await wait_until(pilot, lambda: answer_done(screen))
        await send(pilot, screen, "and again")
        await wait_until(pilot, lambda: answer_done(screen, 2))
        path = screen.session.ledger_path
        await wait_until(pilot, lambda: path.exists() and len(ledger.read_ledger(path)) == 2)
        entries = ledger.read_ledger(path)
        assert [(e["purpose"], e["content"]) for e in entries] == [("chat", "prompt")] * 2
        assert_matches_server(entries, server)
        assert KEY not in path.read_text() and "hello" not in path.read_text()

        await pilot.app.run_action("settings('privacy')")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen))
        await wait_until(pilot, lambda: "/v1/chat/completions" in table_text(pilot.app))
        assert table_text(pilot.app).count("/v1/chat/completions") == 2

        # A request finished in another thread (as the usage-statistics export does)
        # reaches the open table without anything reaching into the screen.
        threading.Thread(
            target=record_one,
            args=("usage_statistics", "usage_statistics", "/v1/logs"),
            kwargs={"port": 4318, "sent": 321, "received": 2},
        ).start()
        await wait_until(pilot, lambda: "usage statistics" in table_text(pilot.app))
        assert "321 B" in table_text(pilot.app)
    assert len(ledger.read_ledger(path)) == 3


def fixed_entries(source: ledger.Ledger) -> None:
    """Three requests of a session at fixed times, one of them unanswered."""
    start = 1_796_000_000.0
    shapes: list[tuple[Any, Any, str, tuple[str, str, int, str], int, int, int | None]] = [
        ("local_probe", "none", "GET", ("http", "127.0.0.1", 11434, "/v1/models"), 0, 0, None),
        ("key_check", "none", "GET", ("https", "openrouter.ai", 443, "/api/v1/key"), 0, 412, 200),
        (
            "chat",
            "tool_output",
            "POST",
            ("https", "openrouter.ai", 443, "/api/v1/chat/completions"),
            18_250,
            3_904,
            200,
        ),
    ]
    for number, (purpose, content, method, url, sent, received, status) in enumerate(shapes):
        entry = source.open(purpose=purpose, content=content, method=method, url=url)
        entry.at = start + number * 7
        entry.add_sent(sent)
        entry.add_received(received)
        entry.finish(status=status, error=None if status else "ConnectError")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_connections_section(
    snap_compare: Any,
    isolated_home: Path,
    fresh_ledger: ledger.Ledger,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    keyring = MemoryKeyring()
    choose_provider(isolated_home, "openrouter", keyring)
    if language == "ru":
        from qwen_tui.config import update_settings_file

        update_settings_file(isolated_home / "settings.json", {"ui": {"language": "ru"}})
    fixed_entries(fresh_ledger)
    app = make_app(keyring_backend=keyring)

    async def show(pilot: Pilot[Any]) -> None:
        await open_tab("privacy")(pilot)
        await wait_until(pilot, lambda: tab_content_focused(pilot.app.screen))
        heading = pilot.app.screen.query_one("#connections-heading")
        heading.scroll_visible(top=True, animate=False)
        await wait_until(pilot, lambda: "openrouter.ai" in table_text(pilot.app))
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=show)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_a_long_session_shows_its_latest_rows(fresh_ledger: ledger.Ledger) -> None:
    for number in range(MAX_ROWS + 5):
        record_one("chat", "prompt", f"/v1/r{number}")

    class Holder(App[None]):
        def compose(self) -> ComposeResult:
            yield ConnectionsTable(ledger_words("en"))

    async with Holder().run_test() as pilot:
        table = pilot.app.query_one(ConnectionsTable)
        assert len(table.rows) == MAX_ROWS
        assert table.rows[-1][3].endswith(f"/v1/r{MAX_ROWS + 4}")
        assert table.hidden == 5
        record_one("chat", "prompt", "/v1/later")
        await wait_until(pilot, lambda: table.rows[-1][3].endswith("/v1/later"))
        assert table.hidden == 6 and len(table.rows) == MAX_ROWS
