"""The Textual application: decides the first screen and owns app-wide actions."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from qwen_tui.ui.css import stylesheet_path
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.welcome import WelcomeScreen
from qwen_tui.ui.services import AppServices


class QwenTuiApp(App[None]):
    """qwen-tui's full-screen app.

    The settings are loaded before the app starts and passed in, so that tests (and the
    CLI's flags) decide what the app sees; nothing here reads the network or the keyring
    before the first frame.
    """

    CSS_PATH = str(stylesheet_path())
    TITLE = "qwen-tui"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, services: AppServices) -> None:
        super().__init__()
        self.services = services

    def on_mount(self) -> None:
        settings = self.services.loaded.settings
        if settings.ui.theme in self.available_themes:
            self.theme = settings.ui.theme
        for problem in self.services.loaded.problems:
            self.notify(problem, severity="warning", timeout=15)
        if self._provider_configured():
            self.push_screen(ChatScreen(self.services))
        else:
            self.push_screen(WelcomeScreen(self.services), self._after_first_sign_in)

    def _provider_configured(self) -> bool:
        loaded = self.services.loaded
        return loaded.settings.security.auth.selected_type == "openai" or (
            loaded.configured_by_environment
        )

    def _after_first_sign_in(self, saved: bool | None) -> None:
        if saved:
            self.push_screen(ChatScreen(self.services))

    def action_sign_in(self) -> None:
        """Open the welcome screen over the chat (what ``/auth`` does)."""

        def done(saved: bool | None) -> None:
            if saved and isinstance(self.screen, ChatScreen):
                self.screen.refresh_provider()

        self.push_screen(WelcomeScreen(self.services, can_leave=True), done)
