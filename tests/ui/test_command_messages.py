"""Slash commands tell the app they ran with a message, whichever screen runs them."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from qwen_tui.ui.commands import CommandRun, SlashCommand, run_command
from tests.support.ui_helpers import wait_until


class _Screen(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("a screen")

    def action_ping(self) -> None:
        self.ran.append("ping")


class _App(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(_Screen())

    def on_command_run(self, message: CommandRun) -> None:
        self.heard.append(message.name)


async def test_a_command_runs_its_action_and_the_app_hears_of_it() -> None:
    app = _App()
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, _Screen))
        screen = app.screen
        assert isinstance(screen, _Screen)
        await run_command(screen, SlashCommand("pong", "a test command", "ping"))
        await wait_until(pilot, lambda: app.heard == ["pong"])
        assert screen.ran == ["ping"]
