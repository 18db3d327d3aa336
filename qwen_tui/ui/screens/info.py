"""A read-only dialog for longer texts (privacy notice, settings location)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class InfoDialog(ModalScreen[None]):
    """Shows ``body`` under ``title``; Esc or Enter closes it."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog info"):
            yield Static(self._title, classes="dialog-title")
            with VerticalScroll():
                yield Static(Text(self._body), classes="info-body")
            yield Static("Esc to close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
