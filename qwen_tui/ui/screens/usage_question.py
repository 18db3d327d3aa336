"""The one usage-statistics question, asked as a step of the first Qwen OAuth sign-in.

Qwen OAuth is the only method under which anything could be collected, so the question
is asked there and nowhere else, and only while ``privacy.usageStatisticsEnabled`` has
never been set (in settings.json or the environment). Esc leaves it unanswered, which
keeps statistics off; nothing is recorded before a Yes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from qwen_tui.privacy import PrivacyTexts, pick_language, texts_for
from qwen_tui.ui.widgets.privacy_panel import collected_and_never

if TYPE_CHECKING:
    from textual.app import App

    from qwen_tui.ui.services import AppServices


class UsageStatisticsQuestion(ModalScreen[bool | None]):
    """Yes (``True``), No (``False``) or Esc, later (``None``: stays off, asked again)."""

    telemetry_name = "usage-question"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    BINDINGS = [
        Binding("escape", "answer(None)", "Later"),
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No", show=False),
    ]

    def __init__(self, texts: PrivacyTexts) -> None:
        super().__init__()
        self.texts = texts

    def compose(self) -> ComposeResult:
        texts = self.texts
        with Vertical(id="usage-question", classes="dialog"):
            yield Static(texts.question_title, classes="dialog-title")
            yield Static(texts.question_lead, id="usage-lead")
            with Vertical(id="usage-explained"):
                yield Static(texts.stats_what, classes="usage-what")
                yield from collected_and_never(texts)
                yield Static(texts.stats_scope, classes="usage-scope")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{texts.question_yes} (y)", id="usage-yes", variant="primary")
                yield Button(f"{texts.question_no} (n)", id="usage-no")
            yield Static(texts.question_later, classes="hint")

    def on_mount(self) -> None:
        self.query_one("#usage-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "usage-yes")

    def action_answer(self, answer: bool | None) -> None:
        self.dismiss(answer)


async def after_qwen_sign_in(app: App[object], services: AppServices) -> None:
    """The last step of a Qwen OAuth sign-in: the statistics question, then the sign-in
    counted (only if the answer allowed it). Must run inside a worker."""
    from qwen_tui.telemetry import AuthMethodChosen

    await ask_usage_statistics_once(app, services)
    services.telemetry.record(lambda: AuthMethodChosen(method="qwen-oauth"))


async def ask_usage_statistics_once(app: App[object], services: AppServices) -> None:
    """Ask the question if it was never answered, and save the answer at once.

    Must run inside a worker (it waits for the dialog).
    """
    from qwen_tui.config import SettingsWriteError

    settings = services.loaded.settings
    if settings.privacy.usage_statistics_enabled is not None:
        return
    texts = texts_for(pick_language(settings.ui.language))
    answer = await app.push_screen_wait(UsageStatisticsQuestion(texts))
    if answer is None:
        return
    try:
        services.set_statistics(answer)
    except SettingsWriteError as error:
        app.notify(f"Your answer could not be saved: {error}", severity="warning")
