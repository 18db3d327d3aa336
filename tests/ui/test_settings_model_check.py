"""The Model tab checks a typed model against the server's list, and bad themes are told."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from qwen_tui.config import update_settings_file
from qwen_tui.ui.screens.settings import SettingsScreen
from tests.support.servers.openai_server import OpenAIServer, openai_server
from tests.support.ui_helpers import holds_for, make_app, wait_until
from tests.ui.test_settings_screen import SIZE, connected_chat, open_settings, settings_json

KEY = "sk-model-check-1234"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY, models=["m1", "m2"]) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        yield running


def note(screen: SettingsScreen) -> str:
    return str(screen.query_one("#model-name-error", Static).render())


def notifications(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


async def enter_model(pilot: object, screen: SettingsScreen, name: str) -> None:
    field = screen.query_one("#model-name", Input)
    field.focus()
    field.value = name
    await pilot.press("enter")  # type: ignore[attr-defined]


async def test_a_model_the_server_does_not_list_is_saved_with_a_warning(
    isolated_home: Path, server: OpenAIServer
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        chat = await connected_chat(pilot)
        screen = await open_settings(pilot)
        await pilot.press("ctrl+pagedown")
        await pilot.pause()
        await enter_model(pilot, screen, "m9")
        await wait_until(pilot, lambda: "does not list 'm9'" in note(screen))
        assert any("does not list 'm9'" in text for text in notifications(app))
        assert settings_json(isolated_home)["model"]["name"] == "m9"
        await wait_until(pilot, lambda: chat.chat is not None and chat.chat.model == "m9")


async def test_a_listed_model_is_saved_without_a_warning(
    isolated_home: Path, server: OpenAIServer
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await connected_chat(pilot)
        screen = await open_settings(pilot)
        await pilot.press("ctrl+pagedown")
        await pilot.pause()
        requests = len(server.requests)
        await enter_model(pilot, screen, "m2")
        await wait_until(pilot, lambda: len(server.requests) > requests)  # the list was asked
        await holds_for(pilot, lambda: "does not list" not in note(screen), 0.5)
        assert settings_json(isolated_home)["model"]["name"] == "m2"


async def test_openai_model_overriding_is_said_under_the_model_field_with_the_model_in_use(
    isolated_home: Path, server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_MODEL", "m1")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await connected_chat(pilot)
        screen = await open_settings(pilot)
        await pilot.press("ctrl+pagedown")
        await pilot.pause()
        await enter_model(pilot, screen, "m2")
        await wait_until(pilot, lambda: "OPENAI_MODEL" in note(screen))
        assert any("m1 stays in use" in text for text in notifications(app))
        field = screen.query_one("#model-name", Input).region
        shown = screen.query_one("#model-name-error", Static).region
        timeout = screen.query_one("#request-timeout", Input).region
        assert field.y < shown.y < timeout.y


async def test_an_unknown_theme_in_settings_json_is_reported_with_the_file_and_key(
    isolated_home: Path,
) -> None:
    update_settings_file(isolated_home / "settings.json", {"ui": {"theme": "no-such-theme"}})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: any("ui.theme" in t for t in notifications(app)))
        text = next(t for t in notifications(app) if "ui.theme" in t)
        assert str(isolated_home / "settings.json") in text
        assert "'no-such-theme'" in text and "is invalid" in text
        assert app.theme == "textual-dark"
