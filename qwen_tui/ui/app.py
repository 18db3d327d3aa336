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
from textual.signal import Signal
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.app import SystemCommand
    from textual.theme import Theme

    from qwen_tui.ui.screens.chat import ChatScreen

from qwen_tui.account import SettingsChange
from qwen_tui.text import neutralise
from qwen_tui.ui.commands import CommandRun, SlashCommandsProvider
from qwen_tui.ui.css import stylesheet_path
from qwen_tui.ui.services import AppServices

CHAT_MODE = "chat"
"""The mode whose base screen is the chat: the app switches to it once a provider is
configured. The welcome screen, dialogs and the first-start questions are pushed on the
default mode; settings, pickers and ``/auth`` over whichever screen is showing."""


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
        self.settings_changed_signal: Signal[SettingsChange] = Signal(self, "settings-changed")
        """Published on the app's thread after every settings update, whoever made it:
        screens subscribe to what they show instead of reaching into each other."""
        self._stop_settings_bridge = services.changes.subscribe(self._settings_changed)
        self._screens_seen: set[int] = set()
        self._early_screens: list[str] | None = []
        self.add_mode(CHAT_MODE, self._chat_screen)

    def _settings_changed(self, change: SettingsChange) -> None:
        """Hand an account change to the Textual side, from whichever thread saved it."""
        if self._thread_id == threading.get_ident():
            self.settings_changed_signal.publish(change)
        else:
            self.call_from_thread(self.settings_changed_signal.publish, change)

    def on_unmount(self) -> None:
        self._stop_settings_bridge()

    def on_mount(self) -> None:
        theme = self.services.first_look.theme
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.notify(self._bad_theme_text(theme), severity="warning", timeout=15)
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

    def _bad_theme_text(self, theme: str) -> str:
        """Said as the settings' other bad values are: where, which key, what was found."""
        import os

        from qwen_tui.config.paths import settings_path

        source = (
            "QWEN_TUI_UI__THEME"
            if "QWEN_TUI_UI__THEME" in os.environ
            else str(settings_path(self.services.first_look.home))
        )
        return neutralise(
            f"{source}: ui.theme is invalid (no theme here has that name; found {theme!r}). "
            f"That value is ignored: {self.theme} is used. Pick a theme in the settings (F2) "
            "or the command palette (Ctrl+P)."
        )

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
            self.switch_mode(CHAT_MODE)
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

        self.services.telemetry.record(lambda: ScreenOpened(screen=name))

    def on_command_run(self, message: CommandRun) -> None:
        """Count a slash command (typed, picked from the menu or the palette)."""
        from qwen_tui.telemetry import CommandUsed

        name = message.name
        self.services.telemetry.record(lambda: CommandUsed(command=name))

    def _handle_exception(self, error: Exception) -> None:
        """A crash report (type and the app's own frames only), then Textual's handling.

        Textual has no public hook for an exception a handler did not catch: it ends
        the app itself, so neither ``sys.excepthook`` nor a wrapper round ``run`` sees
        the exception. Hence this override, and the upper bound on textual in
        pyproject.toml. Failed workers come through ``on_worker_state_changed``.
        """
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
        """Build the chat screen, the base of the chat mode, the first time the app
        switches to it (imported here: the welcome screen does not need Markdown, so a
        first start does not pay for it)."""
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
            self.switch_mode(CHAT_MODE)

    def action_sign_in(self) -> None:
        """Open the welcome screen over the chat (what ``/auth`` does); a saved sign-in
        reaches the chat through the settings change it writes."""
        from qwen_tui.ui.screens.welcome import WelcomeScreen

        self.push_screen(WelcomeScreen(self.services, can_leave=True))

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
        from qwen_tui.config import SettingsWriteError

        if theme.name == self.services.loaded.settings.ui.theme:
            return
        try:
            self.services.set_theme(theme.name)
        except SettingsWriteError as error:
            self.notify(str(error), severity="warning")

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
