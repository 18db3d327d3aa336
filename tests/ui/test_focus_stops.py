"""Every focus stop is a control a person can see, and focus shows in every theme."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Tabs
from textual.widgets._select import SelectCurrent

from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import closed_port
from tests.support.ui_helpers import make_app, wait_until
from tests.ui.test_qwen_signin_screen import choose_qwen, until_screen, until_state
from tests.ui.test_settings_screen import SIZE, choose_provider, open_settings

CONTROLS = (Button, Input, Select, Tabs)
"""What a focus stop on these screens may be: each shows that it has the focus."""


def _moved_from(pilot: Pilot[Any], before: object) -> bool:
    return pilot.app.focused is not before


async def _stops(pilot: Pilot[Any], key: str, count: int) -> list[str]:
    """What ``key`` pressed ``count`` times focuses, in order (type and id)."""
    seen: list[str] = []
    for _ in range(count):
        before = pilot.app.focused
        await pilot.press(key)
        await wait_until(pilot, functools.partial(_moved_from, pilot, before))
        focused = pilot.app.focused
        assert focused is not None
        assert isinstance(focused, CONTROLS), f"{seen} then {focused!r}"
        seen.append(f"{type(focused).__name__}#{focused.id}")
    return seen


async def test_tab_and_shift_tab_on_the_settings_tabs_stop_only_at_controls(
    isolated_home: Path,
) -> None:
    keyring = MemoryKeyring()
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        assert app.focused is not None and app.focused.id == "theme"
        await _stops(pilot, "shift+tab", 1)
        await pilot.press("ctrl+pagedown")
        await wait_until(
            pilot, lambda: app.focused is not None and app.focused.id == "switch-provider"
        )
        await _stops(pilot, "shift+tab", 1)
        await _stops(pilot, "tab", 4)


@pytest.mark.parametrize("start", ["enter", "ctrl+s from the method choice"])
async def test_enter_starts_the_qwen_sign_in_again_after_escape_from_a_failure(
    monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    """The button says "(Enter)": wherever the focus was, Enter on return starts it."""
    port = closed_port()
    monkeypatch.setenv(
        "QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL", f"http://127.0.0.1:{port}/device/code"
    )
    monkeypatch.setenv("QWEN_TUI_OAUTH__TOKEN_URL", f"http://127.0.0.1:{port}/token")
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(100, 40)) as pilot:
        from qwen_tui.ui.screens.qwen_signin import QwenSignInScreen
        from qwen_tui.ui.screens.welcome import WelcomeScreen

        if start == "enter":
            screen = await choose_qwen(pilot)
        else:
            await until_screen(pilot, WelcomeScreen)
            await pilot.press("shift+tab", "down", "enter")
            await wait_until(pilot, lambda: app.screen.query_one("#qwen-panel").display)
            await pilot.press("shift+tab")
            await wait_until(pilot, lambda: app.focused is app.screen.query_one("#method"))
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, QwenSignInScreen))
            signin = app.screen
            assert isinstance(signin, QwenSignInScreen)
            screen = signin
        await until_state(pilot, screen, "failed")
        await pilot.press("escape")
        await until_screen(pilot, WelcomeScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, QwenSignInScreen))


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light", "nord", "gruvbox"])
async def test_a_focused_select_stands_out_from_an_unfocused_one(
    isolated_home: Path, theme: str
) -> None:
    keyring = MemoryKeyring()
    choose_provider(isolated_home, "openrouter", keyring)
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        screen = await open_settings(pilot)
        themes = screen.query_one("#theme", Select)
        languages = screen.query_one("#language", Select)
        await wait_until(pilot, lambda: app.focused is themes)
        await pilot.pause()
        focused = themes.query_one(SelectCurrent).background_colors[1]
        unfocused = languages.query_one(SelectCurrent).background_colors[1]
        distance = sum(abs(a - b) for a, b in zip(focused.rgb, unfocused.rgb, strict=True))
        assert distance > 90, (theme, focused, unfocused)


async def test_the_method_choice_highlights_the_method_that_is_chosen() -> None:
    """The highlight bar and the filled dot are on one row, so Enter keeps that method."""
    from textual.widgets import RadioButton

    from qwen_tui.ui.screens.welcome import WelcomeScreen

    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(100, 40)) as pilot:
        await until_screen(pilot, WelcomeScreen)
        screen = app.screen
        await pilot.press("shift+tab")
        await wait_until(pilot, lambda: app.focused is screen.query_one("#method"))
        highlighted = [b.id for b in screen.query(RadioButton) if b.has_class("-selected")]
        pressed = [b.id for b in screen.query(RadioButton) if b.value]
        assert highlighted == pressed == ["method-openai"]
        await pilot.press("enter")
        await pilot.pause()
        assert not screen.query_one("#qwen-panel").display
        assert screen.query_one("#openai-panel").display
