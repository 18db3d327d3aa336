"""The one-time question: import the Qwen Code sign-in found in ~/.qwen/oauth_creds.json?"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from qwen_tui.ui.plain import plain

if TYPE_CHECKING:
    from qwen_tui.providers.qwen_oauth import ImportOffer


def short_path(path: Path) -> str:
    """``path`` with the user's home folder written as ``~``."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


class ImportQuestion(ModalScreen[bool | None]):
    """Offer to copy Qwen Code's tokens into the keyring instead of signing in anew.

    Dismisses with ``True`` (import), ``False`` (sign in with the browser instead; the
    offer is not made again) or ``None`` (Esc: go back and decide later).
    """

    telemetry_name = "import-question"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    BINDINGS = [
        Binding("escape", "answer(None)", "Back"),
        Binding("y", "answer(True)", "Import", show=False),
        Binding("n", "answer(False)", "Sign in anew", show=False),
    ]

    def __init__(self, offer: ImportOffer) -> None:
        super().__init__()
        self._offer = offer

    def compose(self) -> ComposeResult:
        offer = self._offer
        text = offer.describe().replace(str(offer.path), short_path(offer.path))
        with Vertical(id="import-question", classes="dialog"):
            yield Static("Use your Qwen Code sign-in?", classes="dialog-title")
            yield Static(plain(text), id="import-offer")
            yield Static(
                "Or sign in anew with your browser. Either way you are asked only once.",
                id="import-alternative",
                classes="hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import it (y)", id="import-yes", variant="primary")
                yield Button("Sign in anew (n)", id="import-no")

    def on_mount(self) -> None:
        self.query_one("#import-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "import-yes")

    def action_answer(self, answer: bool | None) -> None:
        self.dismiss(answer)
