"""The question asked before a secret may go to a file instead of the OS keyring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from qwen_tui.account import AskFileStore
from qwen_tui.ui.plain import plain


class KeyringFallbackQuestion(ModalScreen[bool]):
    """Ask whether a 0600 file may hold secrets because no keyring works.

    Dismisses with ``True`` only on an explicit Yes: storing a secret in a file is the
    user's decision, never a silent default.
    """

    telemetry_name = "keyring-question"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    BINDINGS = [
        Binding("escape", "answer(False)", "Cancel"),
        Binding("y", "answer(True)", "Use the file", show=False),
        Binding("n", "answer(False)", "Don't", show=False),
    ]

    def __init__(self, problem: str, file_path: Path) -> None:
        super().__init__()
        self._problem = problem
        self._file_path = file_path

    def compose(self) -> ComposeResult:
        with Vertical(id="keyring-question", classes="dialog"):
            yield Static("No keyring available", classes="dialog-title")
            yield Static(plain(self._problem), id="keyring-problem")
            yield Static(
                plain(
                    "The key can be kept in a file readable only by you instead:\n"
                    f"  {self._file_path}  (permissions 0600)\n"
                    "Anyone with access to your account or backups can read it. "
                    "You can change this later with credentials.allowFileStore."
                ),
                id="keyring-offer",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Use the file (y)", id="use-file", variant="warning")
                yield Button("Cancel (n)", id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "use-file")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


def file_store_asker(app: App[Any], home: Path) -> AskFileStore:
    """The account's file-store question, asked with this dialog (inside a worker)."""

    async def ask(reason: str) -> bool:
        question = KeyringFallbackQuestion(reason, home / "credentials.json")
        answer: bool = await app.push_screen_wait(question)
        return answer

    return ask
