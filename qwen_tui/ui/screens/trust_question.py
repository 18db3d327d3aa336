"""The question asked before a project's ``.env`` may change where qwen-tui connects."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from qwen_tui.config.trust import ProjectDotenv
from qwen_tui.text import neutralise


def changes_text(project: ProjectDotenv) -> Text:
    """The file and each setting it changes, as plain text: the file is the project's,
    so nothing in it is read as markup and control characters are made visible."""
    text = Text()
    text.append("File: ", style="bold")
    text.append(neutralise(str(project.path)))
    for change in project.changes:
        text.append("\n  ")
        text.append(change.setting, style="bold")
        text.append(" = ")
        text.append(neutralise(change.value))
    return text


class TrustQuestion(ModalScreen[bool]):
    """Ask whether this folder's ``.env`` may change the endpoint, provider or consent.

    Dismisses with ``True`` only on an explicit "Trust this folder" (remembered by the
    caller); anything else, Escape included, goes on with the user's own settings for
    this run. The safe choice has the focus.
    """

    telemetry_name = "trust-question"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    BINDINGS = [
        Binding("escape", "answer(False)", "Not now"),
        Binding("t", "answer(True)", "Trust", show=False),
        Binding("n", "answer(False)", "Not now", show=False),
    ]

    def __init__(self, project: ProjectDotenv) -> None:
        super().__init__()
        self._project = project

    def compose(self) -> ComposeResult:
        project = self._project
        lead = (
            "The .env file of this project changed since you trusted it. It now changes:"
            if project.changed_since_trusted
            else "A .env file in this project folder wants to change where qwen-tui connects:"
        )
        with Vertical(id="trust-question", classes="dialog"):
            yield Static("Trust this folder?", classes="dialog-title")
            yield Static(lead, id="trust-lead")
            yield Static(changes_text(project), id="trust-changes")
            yield Static(
                Text(
                    "A .env that comes with a cloned project can send your key, your prompts "
                    "and your code to a server of its choosing. Trust this folder only if you "
                    "know where these settings come from. Trust is remembered for "
                    f"{neutralise(str(project.folder))} and asked again if these lines change."
                ),
                id="trust-warning",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Trust this folder (t)", id="trust", variant="warning")
                yield Button("Not now: use my own settings (n)", id="decline", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#decline", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "trust")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
