"""The Textual application: decides the first screen and owns app-wide actions."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from qwen_tui.ui.screens.chat import ChatScreen

from qwen_tui.ui.commands import SlashCommandsProvider
from qwen_tui.ui.css import stylesheet_path
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
    COMMANDS = App.COMMANDS | {SlashCommandsProvider}

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
            self.push_screen(self._chat_screen())
        else:
            self.push_screen(WelcomeScreen(self.services), self._after_first_sign_in)
        self.call_after_refresh(self._preload_sdk)

    def _preload_sdk(self) -> None:
        """Import the openai SDK in the background once the first frame is on screen,
        so neither start-up nor the first answer pays for it."""
        from qwen_tui.chat.service import preload_sdk

        threading.Thread(target=preload_sdk, name="preload-openai", daemon=True).start()

    def _chat_screen(self) -> ChatScreen:
        """Build the chat screen (imported here: the welcome screen does not need
        Markdown, so a first start does not pay for it)."""
        from qwen_tui.chat.sessions import SessionError
        from qwen_tui.ui.screens.chat import ChatScreen

        resume = self.services.resume
        session = None
        sessions = self.services.sessions
        try:
            if resume == "latest":
                session = sessions.latest()
            elif resume:
                session = sessions.open(resume)
        except SessionError as error:
            self.notify(str(error), severity="error", timeout=10)
        return ChatScreen(self.services, session=session)

    def _provider_configured(self) -> bool:
        loaded = self.services.loaded
        return loaded.settings.security.auth.selected_type is not None or (
            loaded.configured_by_environment
        )

    def _after_first_sign_in(self, saved: bool | None) -> None:
        if saved:
            self.push_screen(self._chat_screen())

    def action_sign_in(self) -> None:
        """Open the welcome screen over the chat (what ``/auth`` does)."""

        from qwen_tui.ui.screens.chat import ChatScreen

        def done(saved: bool | None) -> None:
            if saved and isinstance(self.screen, ChatScreen):
                self.screen.refresh_provider()

        self.push_screen(WelcomeScreen(self.services, can_leave=True), done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a failed worker is reported instead of ending the app."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                f"Something went wrong: {type(error).__name__}: {error}",
                severity="error",
                timeout=10,
            )
