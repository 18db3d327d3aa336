"""How the settings screen, its Privacy tab and the usage-statistics question look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot

from qwen_tui.privacy import Language, texts_for
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.settings import SettingsScreen
from qwen_tui.ui.screens.usage_question import UsageStatisticsQuestion
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.ui_helpers import make_app, wait_until
from tests.ui.test_settings_screen import choose_provider, choose_qwen_oauth, tab_content_focused

SIZE = (100, 40)


def open_tab(tab: str) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.pause()
        await app.run_action(f"settings('{tab}')")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: tab_content_focused(app.screen))

    return run_before


def test_settings_general(
    snap_compare: Any, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The temporary home differs per run; the screenshot shows a fixed one.
    fixed = Text("Settings file: ~/.config/qwen-tui/settings.json\n.env file in use: none")
    monkeypatch.setattr(SettingsScreen, "_files_text", lambda self: fixed)
    keyring = MemoryKeyring()
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_tab("general"))


def test_settings_model(snap_compare: Any, isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    choose_provider(isolated_home, "openrouter", keyring, name="qwen/qwen3-coder")
    app = make_app(keyring_backend=keyring)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_tab("model"))


def test_privacy_qwen_oauth(snap_compare: Any, isolated_home: Path) -> None:
    choose_qwen_oauth(isolated_home)
    app = make_app(keyring_backend=MemoryKeyring())
    assert snap_compare(app, terminal_size=SIZE, run_before=open_tab("privacy"))


@pytest.mark.parametrize("provider", ["openai", "openrouter"])
def test_privacy_api_key_provider(snap_compare: Any, isolated_home: Path, provider: str) -> None:
    keyring = MemoryKeyring()
    choose_provider(isolated_home, provider, keyring)
    app = make_app(keyring_backend=keyring)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_tab("privacy"))


def test_privacy_in_russian(snap_compare: Any, isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    choose_provider(isolated_home, "modelscope", keyring)
    from qwen_tui.config import update_settings_file

    update_settings_file(isolated_home / "settings.json", {"ui": {"language": "ru"}})
    app = make_app(keyring_backend=keyring)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_tab("privacy"))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_usage_statistics_question(
    snap_compare: Any, isolated_home: Path, language: Language
) -> None:
    keyring = MemoryKeyring()
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)

    async def ask(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen))
        question = UsageStatisticsQuestion(texts_for(language))
        pilot.app.push_screen(question)
        await wait_until(pilot, lambda: pilot.app.screen is question and question.is_mounted)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)
