"""The chat's status line, counters and keys say what is true: after Esc, after /clear,
after a model change, on a narrow terminal and after a resize."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.chat_view import SystemNote
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from qwen_tui.ui.widgets.transcript import Transcript
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import OpenAIServer, openai_server
from tests.support.ui_helpers import make_app, wait_until

KEY = "sk-chat-status-key"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_MODEL", "test-model")
        yield running


def write_settings(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(text)


def status(screen: ChatScreen) -> str:
    return str(screen.query_one("#status-line", Static).render())


async def connected(pilot: Pilot[Any]) -> ChatScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.chat is not None and "test-model" in status(screen))
    return screen


async def ask(pilot: Pilot[Any], screen: ChatScreen, text: str) -> None:
    count = len(screen.query(AssistantMessage))
    screen.query_one(PromptInput).load_text(text)
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: len(screen.query(AssistantMessage)) > count and not screen._answering
    )


async def test_esc_leaves_no_answering_in_the_status_line(server: OpenAIServer) -> None:
    server.options.chat_pieces = [f"word{i} " for i in range(200)]
    server.options.chunk_delay = 0.05
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=(120, 30)) as pilot:
        screen = await connected(pilot)
        screen.query_one(PromptInput).load_text("long story")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "answering" in status(screen))
        await wait_until(
            pilot, lambda: "word2" in "".join(a.text for a in screen.query(AssistantMessage))
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen._answering)
        await wait_until(pilot, lambda: "stopped" in status(screen))
        assert "answering" not in status(screen)


async def test_session_tokens_follow_the_conversation(server: OpenAIServer) -> None:
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=(140, 30)) as pilot:
        screen = await connected(pilot)
        await ask(pilot, screen, "one")
        await ask(pilot, screen, "two")
        saved = [m.usage for m in screen.session.messages if m.usage is not None]
        assert len(saved) == 2
        completion = sum(u.completion_tokens for u in saved)
        assert f"→{completion} tok" in status(screen).split("session")[1]
        # A reconnect (a model or timeout change) keeps the conversation's total ...
        screen.connect()
        await wait_until(pilot, lambda: "connecting" not in status(screen))
        assert f"→{completion} tok" in status(screen).split("session")[1]
        # ... and a new conversation starts from zero.
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: bool(screen.query(SystemNote)))
        assert "session 0→0 tok" in status(screen)


async def test_a_narrow_terminal_keeps_the_model_and_state_readable(
    server: OpenAIServer,
) -> None:
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=(60, 15)) as pilot:
        screen = await connected(pilot)
        await ask(pilot, screen, "hello")
        line = status(screen)
        assert "test-model" in line
        assert " s" in line  # the time the answer took
        assert len(line) < 60


async def test_after_a_resize_the_transcript_is_at_the_end(server: OpenAIServer) -> None:
    server.options.chat_pieces = [f"line {i}\n\n" for i in range(60)]
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=(100, 30)) as pilot:
        screen = await connected(pilot)
        await ask(pilot, screen, "many lines")
        transcript = screen.query_one(Transcript)
        await wait_until(pilot, lambda: transcript.max_scroll_y > 0)
        await pilot.resize_terminal(60, 20)
        await wait_until(
            pilot,
            lambda: (
                transcript.size.width < 60 and transcript.scroll_y >= transcript.max_scroll_y - 1
            ),
        )


async def test_help_names_only_keys_that_add_a_line_everywhere(server: OpenAIServer) -> None:
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=(120, 40)) as pilot:
        screen = await connected(pilot)
        screen.action_help()
        await wait_until(pilot, lambda: bool(screen.query(SystemNote)))
        help_text = str(list(screen.query(SystemNote))[-1].render())
        assert "Ctrl+J" in help_text
        # Alt+Enter reaches the app as a plain Enter in tmux and most terminals: it sends.
        assert "Alt+Enter" not in help_text
        assert "Shift+Enter" not in help_text


async def test_the_empty_chat_says_how_to_start(server: OpenAIServer) -> None:
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=(120, 30)) as pilot:
        screen = await connected(pilot)
        prompt = screen.query_one(PromptInput)
        assert "Enter sends" in str(prompt.placeholder)
        assert "/help" in str(prompt.placeholder)


async def test_the_settings_screen_shows_the_model_picked_with_slash_model(
    server: OpenAIServer, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    from textual.widgets import Input, OptionList

    from qwen_tui.ui.screens.settings import SettingsScreen

    monkeypatch.delenv("OPENAI_MODEL")
    write_settings(isolated_home, '{"model": {"name": "test-model"}}')
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await connected(pilot)
        screen.action_pick_model()
        await wait_until(pilot, lambda: bool(app.screen.query(OptionList)))
        await wait_until(pilot, lambda: isinstance(app.focused, OptionList))
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: "test-model-mini" in status(screen))
        assert [n.message for n in app._notifications][-1] == "Model: test-model-mini"
        app.action_settings("model")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: bool(app.screen.query("#model-name")))
        assert app.screen.query_one("#model-name", Input).value == "test-model-mini"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)


async def test_a_theme_that_does_not_exist_is_reported(
    server: OpenAIServer, isolated_home: Path
) -> None:
    write_settings(isolated_home, '{"ui": {"theme": "no-such-theme"}}')
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        await wait_until(pilot, lambda: bool(app._notifications))
        assert any("no-such-theme" in n.message for n in app._notifications)


async def test_help_columns_line_up(server: OpenAIServer) -> None:
    async with make_app(keyring_backend=MemoryKeyring()).run_test(size=(120, 40)) as pilot:
        screen = await connected(pilot)
        screen.action_help()
        await wait_until(pilot, lambda: bool(screen.query(SystemNote)))
        rows = [
            line
            for line in str(list(screen.query(SystemNote))[-1].render()).splitlines()
            if line.startswith("  ")
        ]
        starts = {len(line) - len(line[2:].split("  ", 1)[1].lstrip()) for line in rows}
        assert len(starts) == 1, rows
