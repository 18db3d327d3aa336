"""The settings screen: General, Model and Privacy tabs.

Every change is written to settings.json at once (atomically, keeping keys the app does
not know) and applied at once: the theme repaints, the chat reconnects with the new model
or timeout, the privacy text changes language, the usage-statistics switch reaches the
telemetry recorder before the next event could be built. Opened by ``/settings``,
``/privacy`` (on the Privacy tab), F2 and the command palette.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from qwen_tui.privacy import pick_language, terms_for, texts_for
from qwen_tui.text import neutralise
from qwen_tui.ui.widgets.privacy_panel import PrivacyPanel

if TYPE_CHECKING:
    from collections.abc import Callable

    from qwen_tui.ui.services import AppServices

TABS = ("general", "model", "privacy")
LANGUAGES: list[tuple[str, str]] = [
    ("Automatic (from the locale)", "auto"),
    ("English", "en"),
    ("Русский", "ru"),
]
REFRESH_SECONDS = 1.0


class SettingsScreen(Screen[None]):
    """All settings a person changes from the keyboard; Esc goes back.

    Args:
        services: the app's backends.
        tab: the tab to open on (``general``, ``model`` or ``privacy``).
    """

    telemetry_name = "settings"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("ctrl+pageup", "tab(-1)", "Previous tab", show=False),
        Binding("ctrl+pagedown", "tab(1)", "Next tab", show=False),
        Binding("f2", "close", "Back", show=False),
    ]

    def __init__(self, services: AppServices, *, tab: str = "general") -> None:
        super().__init__()
        self.services = services
        self.initial_tab = tab if tab in TABS else "general"
        self.telemetry_name = "privacy" if self.initial_tab == "privacy" else "settings"

    # ----- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        settings = self.services.loaded.settings
        yield Header(show_clock=False)
        with TabbedContent(initial=self.initial_tab, id="settings-tabs"):
            with (
                TabPane("General", id="general"),
                VerticalScroll(classes="settings-pane", can_focus=False),
            ):
                yield Label("Theme")
                yield Select(
                    [(name, name) for name in sorted(self.app.available_themes)],
                    value=self.app.theme,
                    allow_blank=False,
                    id="theme",
                    compact=True,
                )
                yield Label("Language of the privacy and terms texts")
                yield Select(
                    LANGUAGES,
                    value=settings.ui.language or "auto",
                    allow_blank=False,
                    id="language",
                    compact=True,
                )
                yield Static(self._files_text(), id="settings-files", classes="hint")
            with (
                TabPane("Model", id="model"),
                VerticalScroll(classes="settings-pane", can_focus=False),
            ):
                yield Label("Provider")
                yield Static(self._provider_text(), id="provider-line")
                with Horizontal(classes="settings-buttons"):
                    yield Button("Switch provider or sign in again (/auth)", id="switch-provider")
                yield Label("Model")
                yield Input(
                    settings.model.name or "",
                    placeholder="the provider's default model",
                    id="model-name",
                    compact=True,
                )
                yield Static(
                    "Enter saves. /model in the chat lists the server's models.", classes="hint"
                )
                yield Static("", id="model-name-error", classes="field-error")
                yield Label("Request timeout (seconds)")
                yield Input(
                    f"{settings.model.request_timeout:g}",
                    type="number",
                    id="request-timeout",
                    compact=True,
                )
                yield Static("", id="timeout-error", classes="field-error")
            with TabPane("Privacy", id="privacy"):
                yield self._privacy_panel()
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "settings"
        self.set_interval(REFRESH_SECONDS, self._refresh_recent)
        self.call_after_refresh(self._focus_tab_content)

    async def on_screen_resume(self) -> None:
        """Back from /auth: the provider may have changed, and its terms with it."""
        await self.rebuild_privacy()
        self.query_one("#provider-line", Static).update(self._provider_text())

    def _focus_tab_content(self) -> None:
        tabs = self.query_one("#settings-tabs", TabbedContent)
        pane = tabs.get_pane(tabs.active) if tabs.active else None
        if pane is None:
            return
        for widget in pane.query("*"):
            if widget.focusable and not isinstance(widget, ScrollableContainer):
                widget.focus()
                return

    # ----- texts -------------------------------------------------------------------

    def _files_text(self) -> Text:
        loaded = self.services.loaded
        return Text(
            neutralise(
                f"Settings file: {loaded.settings_file}\n"
                f".env file in use: {loaded.dotenv_path or 'none'}\n"
                "Every setting and variable is described in docs/configuration.md."
            )
        )

    def _provider_text(self) -> Text:
        from qwen_tui.providers import UnknownProvider
        from qwen_tui.providers.signin import selected_provider

        try:
            method, provider = selected_provider(self.services.loaded, self.services.registry)
        except UnknownProvider as error:
            return Text(neutralise(str(error)))
        if provider is None:
            return Text("none chosen yet")
        if method == "qwen-oauth":
            return Text("Qwen OAuth (qwen.ai account)", style="bold")
        return Text.assemble((neutralise(provider.name), "bold"), "  ·  OpenAI-compatible API")

    def _privacy_panel(self) -> PrivacyPanel:
        from qwen_tui.providers import UnknownProvider
        from qwen_tui.providers.signin import selected_provider

        services = self.services
        settings = services.loaded.settings
        try:
            method, provider = selected_provider(services.loaded, services.registry)
        except UnknownProvider:
            method, provider = settings.security.auth.selected_type, None
        return PrivacyPanel(
            texts_for(pick_language(settings.ui.language)),
            terms_for(method, provider),
            statistics=settings.privacy.usage_statistics_enabled,
            install_id=settings.telemetry.install_id,
            recent=services.telemetry.recent(),
            id="privacy-panel",
        )

    async def rebuild_privacy(self) -> None:
        """Draw the Privacy tab anew when what it shows changed (provider, language)."""
        fresh = self._privacy_panel()
        current = self.query_one(PrivacyPanel)
        if (fresh.texts, fresh.terms, fresh.statistics) == (
            current.texts,
            current.terms,
            current.statistics,
        ):
            return
        pane = self.query_one("#privacy", TabPane)
        await current.remove()
        await pane.mount(fresh)

    def _refresh_recent(self) -> None:
        panels = self.query(PrivacyPanel)
        if panels:
            panels.first().show_recent(self.services.telemetry.recent())

    # ----- saving ------------------------------------------------------------------

    def _save(self, update: Callable[[], object]) -> bool:
        """Run one account update; False (and said) when it was refused or not saved."""
        from qwen_tui.config import SettingsWriteError

        try:
            update()
        except SettingsWriteError as error:
            self.notify(str(error), severity="error", timeout=10)
            return False
        return True

    @on(Select.Changed, "#theme")
    def _theme_chosen(self, event: Select.Changed) -> None:
        # The app saves the theme when it changes, wherever it was picked.
        self.app.theme = str(event.value)

    @on(Select.Changed, "#language")
    async def _language_chosen(self, event: Select.Changed) -> None:
        language = None if event.value == "auto" else str(event.value)
        if language != self.services.loaded.settings.ui.language and self._save(
            lambda: self.services.set_language(language)
        ):
            await self.rebuild_privacy()

    @on(Input.Submitted, "#model-name")
    @on(Input.Blurred, "#model-name")
    def _model_entered(self) -> None:
        name = self.query_one("#model-name", Input).value.strip() or None
        if name == self.services.loaded.settings.model.name:
            return
        if not self._save(lambda: self.services.set_model_name(name)):
            return
        in_use = self.services.loaded.settings.model.name
        if in_use != name:
            self.query_one("#model-name-error", Static).update(
                f"Saved, but OPENAI_MODEL or QWEN_TUI_MODEL__NAME sets {in_use!r} and wins."
            )
            self._provider_settings_changed(
                f"Saved {name or 'the provider default'}; {in_use} stays in use."
            )
        else:
            self.query_one("#model-name-error", Static).update("")
            self._provider_settings_changed(f"Model: {name or 'the provider default'}.")
        if name is not None:
            self._check_model_listed(name)

    @work(exclusive=True, group="model-check", exit_on_error=False)
    async def _check_model_listed(self, name: str) -> None:
        """Warn when the provider does not list ``name``; never refuse it, as some
        servers serve models they do not list. Asked in a worker: keys go on meanwhile."""
        import asyncio

        from qwen_tui.providers.signin import resolve_active

        services = self.services
        try:
            active = await asyncio.to_thread(
                resolve_active, services.loaded, services.registry, services.credentials
            )
            if active is None:
                return
            models = await services.registry.list_models(active.base_url, active.api_key)
        except Exception:  # no list to check against: the model is saved all the same
            return
        if not models or name in models:
            return
        if self.query_one("#model-name", Input).value.strip() != name:
            return  # another model was typed since
        warning = neutralise(
            f"{active.provider.name} does not list {name!r}; saved anyway, as some servers "
            "serve models they do not list. /model in the chat shows the listed ones."
        )
        note = self.query_one("#model-name-error", Static)
        earlier = str(note.render())
        note.update(Text(f"{earlier}\n{warning}" if earlier else warning))
        self.notify(warning, severity="warning", timeout=8)

    @on(Input.Submitted, "#request-timeout")
    @on(Input.Blurred, "#request-timeout")
    def _timeout_entered(self) -> None:
        field = self.query_one("#request-timeout", Input)
        try:
            seconds = float(field.value)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 3600:
            self._say_timeout_error(
                "The timeout must be a number of seconds above 0 and at most 3600."
            )
            return
        self._say_timeout_error("")
        if seconds == self.services.loaded.settings.model.request_timeout:
            return
        if self._save(lambda: self.services.set_request_timeout(seconds)):
            self._provider_settings_changed(f"Requests now wait up to {seconds:g} s.")

    def _say_timeout_error(self, text: str) -> None:
        self.query_one("#timeout-error", Static).update(text)

    def _provider_settings_changed(self, what: str) -> None:
        # The chat follows the change through the app's settings signal.
        self.notify(what, timeout=4)

    @on(Button.Pressed, "#switch-provider")
    async def _switch_provider(self) -> None:
        await self.app.run_action("sign_in")

    @on(PrivacyPanel.StatisticsToggled)
    def _statistics_toggled(self, event: PrivacyPanel.StatisticsToggled) -> None:
        if self._save(lambda: self.services.set_statistics(event.enabled)):
            panel = self.query_one(PrivacyPanel)
            panel.show_install_id(self.services.loaded.settings.telemetry.install_id)
            panel.show_recent(self.services.telemetry.recent())

    @on(PrivacyPanel.ResetInstallId)
    def _reset_install_id(self) -> None:
        enabled = bool(self.services.loaded.settings.privacy.usage_statistics_enabled)
        if self._save(self.services.reset_install_id):
            self.query_one(PrivacyPanel).show_install_id(
                self.services.loaded.settings.telemetry.install_id
            )
            self.notify("A new anonymous install id is in use." if enabled else "Id removed.")

    # ----- actions -----------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_tab(self, step: int) -> None:
        tabs = self.query_one("#settings-tabs", TabbedContent)
        index = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(index + step) % len(TABS)]
        self.call_after_refresh(self._focus_tab_content)

    def show_tab(self, tab: str) -> None:
        """Switch to ``tab`` (``/privacy`` while the screen is already open)."""
        if tab in TABS:
            self.query_one("#settings-tabs", TabbedContent).active = tab
            self.call_after_refresh(self._focus_tab_content)
