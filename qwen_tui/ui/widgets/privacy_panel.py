"""The Privacy tab: whose terms apply, the usage-statistics switch, what is sent, this
session's connections (the network ledger), the FAQ.

The panel holds no state of its own: it is drawn from the settings, the active provider
and the telemetry recorder each time one of them changes (:meth:`PrivacyPanel.rebuild`),
so what it says can never lag behind what the app does.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static, Switch

from qwen_tui.privacy import PrivacyTexts, ProviderTerms
from qwen_tui.privacy.ledger_table import ledger_words
from qwen_tui.text import neutralise
from qwen_tui.ui.plain import plain
from qwen_tui.ui.widgets.bullets import BulletList
from qwen_tui.ui.widgets.connections_table import ConnectionsTable
from qwen_tui.ui.widgets.link import Link

RECENT_EVENTS = 8


def collected_and_never(texts: PrivacyTexts) -> ComposeResult:
    """What usage statistics collect and what they never do, as two bullet lists."""
    yield Static(Text(texts.collected_heading, style="bold"), classes="list-heading")
    yield BulletList(texts.collected, id="collected")
    yield Static(Text(texts.never_heading, style="bold"), classes="list-heading")
    yield BulletList(texts.never, id="never-collected")


class PrivacyPanel(VerticalScroll):
    """Everything the seed document promises, for the provider in use.

    Args:
        texts: the words, in the user's language.
        terms: the terms of the active provider.
        statistics: ``privacy.usageStatisticsEnabled`` (None: never answered, so off).
        install_id: ``telemetry.installId``, if one exists.
        recent: the last events as they would be sent.
    """

    class StatisticsToggled(Message):
        """The user flipped the usage-statistics switch."""

        def __init__(self, enabled: bool) -> None:
            super().__init__()
            self.enabled = enabled

    class ResetInstallId(Message):
        """The user asked for a new anonymous install id."""

    def __init__(
        self,
        texts: PrivacyTexts,
        terms: ProviderTerms,
        *,
        statistics: bool | None,
        install_id: str | None,
        recent: list[dict[str, Any]],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="privacy-panel")
        self.texts = texts
        self.terms = terms
        self.statistics = statistics
        self.install_id = install_id
        self.recent = recent

    def compose(self) -> ComposeResult:
        texts, terms = self.texts, self.terms
        yield Static(texts.provider_heading, classes="section-title")
        if terms.regime == "none":
            yield Static(texts.notice_none, id="privacy-notice")
        else:
            method = texts.method_names.get(terms.auth_method or "", "")
            line = Text(method, style="bold")
            if not method.startswith(terms.provider_name):
                line = Text.assemble((neutralise(terms.provider_name), "bold"), f"  ·  {method}")
            yield Static(line, id="privacy-provider")
            missing = texts.no_link_local if terms.regime == "local" else texts.no_link_unknown
            yield Link(texts.terms_label, terms.terms_url, missing=missing, id="terms-link")
            yield Link(texts.privacy_label, terms.privacy_url, missing=missing, id="privacy-link")
            if terms.terms_url or terms.privacy_url:
                yield Static(texts.link_hint, classes="hint")
            yield Static(plain(self._notice()), id="privacy-notice", classes="notice")
            data_use = terms.data_use_in(texts.language)
            if data_use and terms.regime != "qwen":  # the notice says it for Qwen
                yield Static(plain(data_use), id="data-use", classes="hint")
        yield Static(texts.training, id="training")

        yield Static(texts.stats_heading, classes="section-title")
        yield Static(texts.stats_what)
        with Horizontal(classes="switch-row"):
            yield Switch(value=bool(self.statistics), id="usage-stats")
            yield Static(texts.stats_switch, classes="switch-label")
        yield Static(plain(self._statistics_state()), id="stats-state", classes="notice")
        yield from collected_and_never(texts)
        yield Static(texts.stats_scope, classes="hint")
        with Horizontal(classes="switch-row"):
            yield Static(
                Text.assemble(
                    (f"{texts.install_id_label}: ", "bold"),
                    self.install_id or texts.install_id_none,
                ),
                id="install-id",
                classes="install-id",
            )
            yield Button(texts.reset_id, id="reset-install-id", compact=True)

        yield Static(texts.sent_heading, classes="section-title")
        yield Static(self._sent(), id="sent-events")

        words = ledger_words(texts.language)
        yield Static(words.heading, classes="section-title", id="connections-heading")
        yield Static(plain(words.explained), classes="hint")
        yield ConnectionsTable(words, id="connections")

        yield Static(texts.faq_heading, classes="section-title")
        for number, entry in enumerate(texts.faq, 1):
            yield Static(Text(f"{number}. {entry.question}", style="bold"), classes="faq-q")
            yield Static(entry.answer, classes="faq-a")

    # ----- the parts ---------------------------------------------------------------

    def _notice(self) -> str:
        texts, terms = self.texts, self.terms
        template = {
            "qwen": texts.notice_qwen,
            "provider": texts.notice_provider,
            "local": texts.notice_local,
        }.get(terms.regime, texts.notice_none)
        return template.format(provider=terms.provider_name)

    def _statistics_state(self) -> str:
        texts = self.texts
        if self.terms.auth_method != "qwen-oauth":
            return texts.stats_openai.format(provider=self.terms.provider_name or "the provider")
        return texts.stats_qwen_on if self.statistics else texts.stats_qwen_off

    def _sent(self) -> Text:
        if not self.recent:
            return Text(self.texts.sent_empty, style="italic")
        text = Text(self.texts.sent_explained + "\n")
        for event in self.recent[-RECENT_EVENTS:]:
            text.append(json.dumps(event, ensure_ascii=False) + "\n", style="dim")
        text.rstrip()
        return text

    # ----- updates -----------------------------------------------------------------

    def show_recent(self, recent: list[dict[str, Any]]) -> None:
        """Redraw "What is sent" when the recorded events changed."""
        if recent != self.recent:
            self.recent = recent
            self.query_one("#sent-events", Static).update(self._sent())

    def show_install_id(self, install_id: str | None) -> None:
        """Show the current anonymous install id."""
        self.install_id = install_id
        self.query_one("#install-id", Static).update(
            Text.assemble(
                (f"{self.texts.install_id_label}: ", "bold"),
                install_id or self.texts.install_id_none,
            )
        )

    @on(Switch.Changed, "#usage-stats")
    def _switched(self, event: Switch.Changed) -> None:
        event.stop()
        if bool(self.statistics) == event.value:
            return
        self.statistics = event.value
        self.query_one("#stats-state", Static).update(plain(self._statistics_state()))
        self.post_message(self.StatisticsToggled(event.value))

    @on(Button.Pressed, "#reset-install-id")
    def _reset(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ResetInstallId())
