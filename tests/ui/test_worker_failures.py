"""Every worker of a screen ends in a state the user can leave, whatever it raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

from qwen_tui import account
from qwen_tui.providers import signin
from qwen_tui.ui.screens import qwen_signin
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.chat_view import SystemNote
from qwen_tui.ui.screens.qwen_signin import QwenSignInScreen
from qwen_tui.ui.screens.welcome import WelcomeScreen
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import openai_server
from tests.support.ui_helpers import choose_custom_provider, make_app, wait_until

KEY = "sk-worker-test-key-0123"


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_welcome_save_that_fails_unexpectedly_leaves_the_form_usable(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    calls: list[str] = []

    async def explode(*args: Any, **kwargs: Any) -> None:
        calls.append("save")
        raise OSError(28, f"No space left on device while writing {KEY}")

    monkeypatch.setattr(account, "sign_in_with_key", explode)
    with openai_server(api_key=KEY, models=["alpha"]) as server:
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await choose_custom_provider(pilot, screen)
            screen.query_one("#base-url", Input).value = server.base_url
            screen.query_one("#api-key", Input).value = KEY
            await pilot.pause()
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: screen.query_one("#model-select").display)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: "unexpectedly" in text_of(screen, "#status"))
            status = text_of(screen, "#status")
            assert status.startswith("Saving failed unexpectedly (OSError:")
            assert "[redacted]" in status and KEY not in status
            assert not screen._busy
            assert not screen.query_one("#save", Button).disabled
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: len(calls) == 2)
            assert isinstance(app.screen, WelcomeScreen)


async def test_qwen_sign_in_that_fails_unexpectedly_can_be_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    starts: list[str] = []

    class BrokenFlow:
        async def start(self) -> None:
            starts.append("start")
            raise RuntimeError("no idea")

        def cancel(self) -> None:
            pass

    monkeypatch.setattr(QwenSignInScreen, "_new_flow", lambda self: BrokenFlow())
    monkeypatch.setattr(qwen_signin, "import_offer", lambda *args: None)
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(110, 45)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        screen = QwenSignInScreen(app.services)
        app.push_screen(screen)
        await wait_until(pilot, lambda: screen.state == "failed")
        assert text_of(screen, "#signin-headline") == "The sign-in failed unexpectedly"
        assert "RuntimeError" in text_of(screen, "#signin-message")
        await wait_until(pilot, lambda: not screen.query_one("#signin-busy").display)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(starts) == 2 and screen.state == "failed")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))


async def test_chat_connect_that_fails_unexpectedly_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*args: Any) -> None:
        raise RuntimeError("surprise")

    monkeypatch.setattr(signin, "resolve_active", explode)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(110, 45)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await wait_until(
            pilot,
            lambda: any(
                "Could not connect (RuntimeError)" in str(note.render())
                for note in screen.query(SystemNote)
            ),
        )
        await wait_until(pilot, lambda: "not connected" in text_of(screen, "#status-line"))
