"""The settings screen and its Privacy tab, driven from the keyboard with the pilot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Select, Static, Switch, TabbedContent

from qwen_tui.config import update_settings_file
from qwen_tui.privacy.terms import QWEN_PRIVACY_URL, QWEN_TERMS_URL
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.settings import SettingsScreen
from qwen_tui.ui.screens.welcome import WelcomeScreen
from qwen_tui.ui.widgets.link import Link
from qwen_tui.ui.widgets.privacy_panel import PrivacyPanel
from qwen_tui.ui.widgets.prompt_input import PromptInput
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import OpenAIServer, openai_server
from tests.support.ui_helpers import make_app, wait_until

SIZE = (110, 45)
KEY = "sk-settings-screen-1234"


def settings_json(home: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((home / "settings.json").read_text())
    return data


def choose_provider(home: Path, provider: str, keyring: MemoryKeyring, **model: Any) -> None:
    """Settings as the welcome screen leaves them for an OpenAI-compatible provider."""
    update_settings_file(
        home / "settings.json",
        {
            "security": {"auth": {"selectedType": "openai"}},
            "model": {"provider": provider, **model},
        },
    )
    keyring.items[("qwen-tui", f"provider:{provider}")] = KEY


def choose_qwen_oauth(home: Path) -> None:
    update_settings_file(
        home / "settings.json",
        {"security": {"auth": {"selectedType": "qwen-oauth"}}, "model": {"provider": "qwen"}},
    )


def text_of(screen: SettingsScreen, selector: str) -> str:
    return str(screen.query_one(PrivacyPanel).query_one(selector, Static).render())


def panel_text(screen: SettingsScreen) -> str:
    panel = screen.query_one(PrivacyPanel)
    return "\n".join(str(widget.render()) for widget in panel.query(Static))


def link(screen: SettingsScreen, selector: str) -> Link:
    return screen.query_one(selector, Link)


async def open_settings(pilot: Pilot[Any], command: str = "/settings") -> SettingsScreen:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    chat = app.screen
    chat.query_one(PromptInput).load_text(command)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    await wait_until(pilot, lambda: tab_content_focused(screen))
    return screen


async def connected_chat(pilot: Pilot[Any]) -> ChatScreen:
    """The chat screen once it has connected to the provider."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    chat = app.screen
    assert isinstance(chat, ChatScreen)
    await wait_until(pilot, lambda: chat.chat is not None)
    return chat


def palette_highlights(app: Any, title: str) -> bool:
    """Whether the command palette has found its commands and highlights ``title``."""
    lists = app.screen.query(CommandList)
    if not lists:
        return False
    commands = lists.first()
    index = commands.highlighted
    if index is None:
        return False
    return str(commands.get_option_at_index(index).prompt).startswith(title)


def tab_content_focused(screen: Any) -> bool:
    """Whether the settings screen has put the focus into its open tab (the picture
    shows where the focus is), or the tab has nothing to focus."""
    found = screen.query("#settings-tabs")
    if not found:
        return False
    tabs = found.first(TabbedContent)
    pane = tabs.get_pane(tabs.active) if tabs.active else None
    if pane is None:
        return False
    focused = screen.focused
    if focused is not None and pane in focused.ancestors:
        return True
    return not any(widget.focusable for widget in pane.query("*"))


def active_tab(screen: Screen[Any]) -> str:
    return screen.query_one("#settings-tabs", TabbedContent).active


@pytest.fixture
def keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY, models=["m1", "m2"]) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        yield running


# ----- opening and leaving ------------------------------------------------------------


async def test_settings_command_f2_and_escape(isolated_home: Path, keyring: MemoryKeyring) -> None:
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        assert active_tab(screen) == "general"
        assert app.focused is screen.query_one("#theme", Select), "keyboard starts in the tab"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await pilot.press("ctrl+pagedown")
        await wait_until(pilot, lambda: active_tab(app.screen) == "model")
        await pilot.press("ctrl+pagedown")
        await wait_until(pilot, lambda: active_tab(app.screen) == "privacy")


async def test_palette_lists_settings_and_privacy(
    isolated_home: Path, keyring: MemoryKeyring
) -> None:
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Settings" in titles and "Privacy" in titles
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"privacy")
        await wait_until(pilot, lambda: palette_highlights(app, "Privacy"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: active_tab(app.screen) == "privacy")


# ----- general ----------------------------------------------------------------------------


async def test_theme_applies_at_once_and_is_kept_for_the_next_start(
    isolated_home: Path, keyring: MemoryKeyring
) -> None:
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        screen.query_one("#theme", Select).value = "textual-light"
        await wait_until(pilot, lambda: app.theme == "textual-light")
        await wait_until(pilot, lambda: "ui" in settings_json(isolated_home))
    assert settings_json(isolated_home)["ui"]["theme"] == "textual-light"
    again = make_app(keyring_backend=keyring)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: again.theme == "textual-light")


async def test_language_switches_the_privacy_text_at_once(
    isolated_home: Path, keyring: MemoryKeyring
) -> None:
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        assert "Provider in use" in panel_text(screen)
        assert "forwards requests to third-party" in text_of(screen, "#data-use")
        screen.query_one("#language", Select).value = "ru"
        await wait_until(pilot, lambda: "Используемый поставщик" in panel_text(screen))
        assert "OpenRouter" in panel_text(screen)
        await wait_until(
            pilot, lambda: "передаёт запросы сторонним" in text_of(screen, "#data-use")
        )
        assert settings_json(isolated_home)["ui"]["language"] == "ru"
        screen.query_one("#language", Select).value = "auto"
        await wait_until(pilot, lambda: "Provider in use" in panel_text(screen))
        assert "language" not in settings_json(isolated_home)["ui"]


async def test_russian_locale_is_the_default_language(
    isolated_home: Path, keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    choose_provider(isolated_home, "openai", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot, "/privacy")
        text = panel_text(screen)
        assert "Используемый поставщик" in text
        assert "никогда не использует ваши запросы" in text


# ----- model --------------------------------------------------------------------------------


async def test_model_and_timeout_are_saved_and_used_without_a_restart(
    isolated_home: Path, keyring: MemoryKeyring, server: OpenAIServer
) -> None:
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        chat = await connected_chat(pilot)
        screen = await open_settings(pilot)
        await pilot.press("ctrl+pagedown")
        await wait_until(pilot, lambda: active_tab(screen) == "model")
        model = screen.query_one("#model-name", Input)
        model.focus()
        model.value = "m2"
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat.chat is not None and chat.chat.model == "m2")
        timeout = screen.query_one("#request-timeout", Input)
        timeout.focus()
        timeout.value = "-3"
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                "above 0 and at most 3600"
                in str(screen.query_one("#timeout-error", Static).render())
            ),
        )
        assert "requestTimeout" not in settings_json(isolated_home)["model"]
        timeout.value = "42"
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat.chat is not None and chat.chat.timeout == 42)
        assert str(screen.query_one("#timeout-error", Static).render()) == ""
    saved = settings_json(isolated_home)["model"]
    assert saved["name"] == "m2"
    assert saved["requestTimeout"] == 42


# ----- privacy -------------------------------------------------------------------------------


async def test_privacy_under_qwen_oauth_shows_the_qwen_documents(isolated_home: Path) -> None:
    choose_qwen_oauth(isolated_home)
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot, "/privacy")
        assert active_tab(screen) == "privacy"
        assert link(screen, "#terms-link").url == QWEN_TERMS_URL
        assert link(screen, "#privacy-link").url == QWEN_PRIVACY_URL
        text = panel_text(screen)
        assert QWEN_TERMS_URL in text and QWEN_PRIVACY_URL in text, "shown in full, to copy"
        assert "Qwen Terms of Service and the Qwen Privacy Policy apply" in text
        assert "never collects" in text and "your prompts to the model" in text
        assert "Off: nothing is recorded or sent." in text
        assert screen.query_one("#usage-stats", Switch).value is False


@pytest.mark.parametrize(
    ("provider", "name", "terms_host"),
    [
        ("openai", "OpenAI", "openai.com"),
        ("openrouter", "OpenRouter", "openrouter.ai"),
        ("dashscope-intl", "Alibaba Cloud Model Studio", "alibabacloud.com"),
    ],
)
async def test_privacy_under_an_api_key_shows_that_providers_documents(
    isolated_home: Path, keyring: MemoryKeyring, provider: str, name: str, terms_host: str
) -> None:
    choose_provider(isolated_home, provider, keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot, "/privacy")
        terms = link(screen, "#terms-link").url
        assert terms_host in terms
        assert "qwen.ai" not in terms
        text = panel_text(screen)
        assert name in text
        assert "terms of service and privacy policy apply, not qwen-tui's" in text
        assert "collects nothing at all" in text
        assert KEY not in text


async def test_local_server_has_no_terms(isolated_home: Path, keyring: MemoryKeyring) -> None:
    choose_provider(isolated_home, "ollama", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot, "/privacy")
        assert link(screen, "#terms-link").url == ""
        assert "runs on your own machine" in panel_text(screen)
        assert not link(screen, "#terms-link").can_focus


async def test_enter_on_a_link_copies_it_where_there_is_no_browser(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME"):
        monkeypatch.delenv(name, raising=False)
    choose_qwen_oauth(isolated_home)
    app = make_app(keyring_backend=MemoryKeyring())
    copied: list[str] = []
    monkeypatch.setattr(QwenTuiApp, "copy_to_clipboard", lambda self, text: copied.append(text))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot, "/privacy")
        link(screen, "#privacy-link").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(copied))
    assert copied == [QWEN_PRIVACY_URL]


async def test_panel_follows_a_provider_change(isolated_home: Path, keyring: MemoryKeyring) -> None:
    choose_provider(isolated_home, "openai", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot, "/privacy")
        assert "openai.com" in link(screen, "#terms-link").url
        await pilot.press("ctrl+pageup")
        await wait_until(pilot, lambda: active_tab(screen) == "model")
        await pilot.click("#switch-provider")
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        # What the welcome screen does once a key is saved, then back to the settings.
        choose_qwen_oauth(isolated_home)
        app.services.reload()
        app.screen.dismiss(True)
        await wait_until(pilot, lambda: app.screen is screen)
        await wait_until(pilot, lambda: link(screen, "#terms-link").url == QWEN_TERMS_URL)
        assert "Qwen OAuth" in str(screen.query_one("#provider-line", Static).render())


async def test_switch_is_saved_at_once_and_reaches_the_recorder(isolated_home: Path) -> None:
    choose_qwen_oauth(isolated_home)
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot, "/privacy")
        telemetry = app.services.telemetry
        assert not telemetry.active
        switch = screen.query_one("#usage-stats", Switch)
        switch.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: telemetry.active)
        saved = settings_json(isolated_home)
        assert saved["privacy"]["usageStatisticsEnabled"] is True
        install_id = saved["telemetry"]["installId"]
        assert len(install_id) >= 16
        assert install_id in panel_text(screen)
        await pilot.click("#reset-install-id")
        await wait_until(
            pilot, lambda: settings_json(isolated_home)["telemetry"]["installId"] != install_id
        )
        switch.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: not telemetry.active)
        assert settings_json(isolated_home)["privacy"]["usageStatisticsEnabled"] is False
        assert "Off: nothing is recorded or sent." in panel_text(screen)


async def test_the_chat_follows_a_provider_setting_saved_anywhere(
    isolated_home: Path, keyring: MemoryKeyring, server: OpenAIServer
) -> None:
    """No screen tells the chat: the account's change signal does, from any thread."""
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        chat = await connected_chat(pilot)
        reconnects: list[str] = []
        reconnect = chat.refresh_provider

        def counted() -> None:
            reconnects.append("reconnect")
            reconnect()

        chat.refresh_provider = counted  # type: ignore[method-assign]
        app.services.set_theme("nord")  # not a provider setting: no reconnect
        await asyncio.to_thread(app.services.set_request_timeout, 17)
        await wait_until(pilot, lambda: chat.chat is not None and chat.chat.timeout == 17)
        assert reconnects == ["reconnect"]
