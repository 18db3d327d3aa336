"""The Textual application: decides the first screen and owns app-wide actions."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.app import SystemCommand
    from textual.theme import Theme

    from qwen_tui.ui.screens.chat import ChatScreen

from qwen_tui.text import neutralise
from qwen_tui.ui.commands import SlashCommandsProvider
from qwen_tui.ui.css import stylesheet_path
from qwen_tui.ui.services import AppServices


class QwenTuiApp(App[None]):
    """qwen-tui's full-screen app.

    The settings are loaded before the app starts and passed in, so that tests (and the
    CLI's flags) decide what the app sees; nothing here reads the network or the keyring
    before the first frame.
    """

    CSS_PATH = str(stylesheet_path())
    TITLE = "qwen-tui"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("f2", "settings", "Settings"),
    ]
    COMMANDS = App.COMMANDS | {SlashCommandsProvider}

    def __init__(self, services: AppServices) -> None:
        super().__init__()
        self.services = services
        self._screens_seen: set[int] = set()
        self._early_screens: list[str] | None = []

    def on_mount(self) -> None:
        theme = self.services.first_look.theme
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(
                f"ui.theme {theme!r} is not a theme here; using {self.theme}. "
                "Pick one in the settings (F2) or the command palette (Ctrl+P).",
                severity="warning",
                timeout=15,
            )
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.screen_change_signal.subscribe(self, self._screen_shown)
        pending = self.services.settings_pending
        if pending:
            # Deferred settings had no .env, so no project .env to ask about.
            self._show_first_screen()
        else:
            self._report_problems()
            untrusted = self.services.loaded.untrusted_dotenv
            if untrusted is not None:
                from qwen_tui.ui.screens.trust_question import TrustQuestion

                self.push_screen(TrustQuestion(untrusted), self._after_trust_question)
            else:
                self._show_first_screen()
        self.call_after_refresh(self._load_settings if pending else self._record_start)

    def _report_problems(self) -> None:
        for problem in self.services.loaded.problems:
            self.notify(problem, severity="warning", timeout=15)

    @work(group="settings", exit_on_error=False)
    async def _load_settings(self) -> None:
        """After the first frame: the settings the first screen went without."""
        await self.services.settings_loaded()
        self._report_problems()
        self._record_start()

    def _show_first_screen(self) -> None:
        """The chat, or the welcome screen; the chat screen starts the SDK's import
        itself once it is connected."""
        if self._provider_configured():
            self.push_screen(self._chat_screen())
        else:
            from qwen_tui.ui.screens.welcome import WelcomeScreen

            self.push_screen(WelcomeScreen(self.services), self._after_first_sign_in)
            self.call_after_refresh(self._preload_sdk)

    def _after_trust_question(self, trusted: bool | None) -> None:
        """Before anything connects: apply a project .env only if its folder is trusted."""
        from qwen_tui.config.trust import hold_back_for_this_run, remember_trust

        project = self.services.loaded.project_dotenv
        if project is not None and trusted:
            try:
                remember_trust(self.services.loaded.home, project)
            except OSError as error:
                hold_back_for_this_run(project)
                self.notify(
                    f"Could not remember that you trust this folder ({error.strerror or error}); "
                    "going on with your own settings.",
                    severity="error",
                )
            else:
                self.services.reload()
        elif project is not None:
            hold_back_for_this_run(project)
        self._show_first_screen()

    # ----- usage statistics (recorded only with consent, under Qwen OAuth) ----------

    def _record_start(self) -> None:
        """After the first frame: the recorder is built only now, so start-up never
        pays for it; screens shown before that are counted now."""
        from qwen_tui.telemetry import AppStart, process_age_ms

        startup_ms = process_age_ms()
        self.services.telemetry.record(lambda: AppStart(mode="tui", startup_ms=startup_ms))
        early, self._early_screens = self._early_screens, None
        for name in early or ():
            self._record_screen(name)

    def _screen_shown(self, screen: Screen[object]) -> None:
        """Count each screen once, the first time it is shown."""
        if id(screen) in self._screens_seen:
            return
        self._screens_seen.add(id(screen))
        name = str(getattr(screen, "telemetry_name", "other"))
        if self._early_screens is not None:
            self._early_screens.append(name)
        else:
            self._record_screen(name)

    def _record_screen(self, name: str) -> None:
        from qwen_tui.telemetry import ScreenOpened

        self.services.telemetry.record(lambda: ScreenOpened(screen=name))  # type: ignore[arg-type]

    def record_command(self, name: str) -> None:
        """Count a slash command (typed, picked from the menu or the palette)."""
        from qwen_tui.telemetry import CommandUsed

        self.services.telemetry.record(lambda: CommandUsed(command=name))  # type: ignore[arg-type]

    def _handle_exception(self, error: Exception) -> None:
        """A crash report (type and the app's own frames only), then Textual's handling."""
        from qwen_tui.telemetry import crash_report

        self.services.telemetry.record(lambda: crash_report(error))
        super()._handle_exception(error)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast is plain text with control characters made visible.

        Toasts quote what servers and the system said (errors, model ids), so none is
        read as markup, whatever a caller asks: the one place for that rule.
        """
        super().notify(
            neutralise(message),
            title=neutralise(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

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
        return self.services.first_look.provider_chosen

    def _after_first_sign_in(self, saved: bool | None) -> None:
        if saved:
            self.push_screen(self._chat_screen())

    def action_sign_in(self) -> None:
        """Open the welcome screen over the chat (what ``/auth`` does)."""

        from qwen_tui.ui.screens.chat import ChatScreen
        from qwen_tui.ui.screens.welcome import WelcomeScreen

        def done(saved: bool | None) -> None:
            if saved and isinstance(self.screen, ChatScreen):
                self.screen.refresh_provider()

        self.push_screen(WelcomeScreen(self.services, can_leave=True), done)

    def action_settings(self, tab: str = "general") -> None:
        """Open the settings screen on ``tab`` (what ``/settings`` and F2 do)."""
        from qwen_tui.ui.screens.settings import SettingsScreen

        if isinstance(self.screen, SettingsScreen):
            self.screen.show_tab(tab)
            return
        self.push_screen(SettingsScreen(self.services, tab=tab))

    def action_privacy(self) -> None:
        """Open the settings screen on its Privacy tab (what ``/privacy`` does)."""
        self.action_settings("privacy")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        from textual.app import SystemCommand

        yield from super().get_system_commands(screen)
        yield SystemCommand("Settings", "Theme, language, model and timeout", self.action_settings)
        yield SystemCommand(
            "Privacy",
            "Terms and privacy policy of the provider in use; usage statistics",
            self.action_privacy,
        )

    def _remember_theme(self, theme: Theme) -> None:
        """Keep a theme picked anywhere (settings, the palette) for the next start."""
        from qwen_tui.config import SettingsWriteError, update_settings_file

        if theme.name == self.services.loaded.settings.ui.theme:
            return
        try:
            update_settings_file(self.services.loaded.settings_file, {"ui": {"theme": theme.name}})
        except SettingsWriteError as error:
            self.notify(str(error), severity="warning")
            return
        self.services.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a failed worker is reported instead of ending the app."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            if isinstance(error, Exception):
                from qwen_tui.telemetry import crash_report

                self.services.telemetry.record(lambda: crash_report(error))
            self.notify(
                f"Something went wrong: {type(error).__name__}: {error}",
                severity="error",
                timeout=10,
            )
