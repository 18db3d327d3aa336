"""The question asked before an MCP server starts for the first time.

A server is a program that runs on the user's computer with the user's rights (or an
endpoint that will receive what the model sends it), so it starts only after the user
has seen exactly what it runs and said yes. The answer is remembered for that exact
command line or URL; anything else is the same as "not now", which leaves the server
stopped for this run (``/mcp restart NAME`` asks again).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from qwen_tui.ui.plain import plain


class McpTrustQuestion(ModalScreen[bool]):
    """Ask whether the MCP server ``name`` may start; ``True`` only on an explicit yes."""

    telemetry_name = "mcp-trust-question"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    BINDINGS = [
        Binding("escape", "answer(False)", "Not now"),
        Binding("y", "answer(True)", "Trust and start", show=False),
        Binding("n", "answer(False)", "Not now", show=False),
    ]

    def __init__(self, name: str, runs: str, transport: str) -> None:
        super().__init__()
        self._name = name
        self._runs = runs
        self._transport = transport

    def compose(self) -> ComposeResult:
        what = (
            "It is reached at this address, which will receive the arguments the model "
            "sends to its tools:"
            if self._transport == "http"
            else "It runs this command on your computer, with your rights:"
        )
        with Vertical(id="mcp-trust-question", classes="dialog"):
            yield Static(plain(f"Start the MCP server “{self._name}”?"), classes="dialog-title")
            yield Static(plain(what))
            yield Static(plain(self._runs), id="mcp-trust-runs")
            yield Static(
                plain(
                    "Its tools are offered to the model; a tool that is not read-only "
                    "asks before it runs. Your yes is remembered for exactly this "
                    "command line or address."
                ),
                id="mcp-trust-note",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Trust and start (y)", id="trust", variant="warning")
                yield Button("Not now (n)", id="not-now", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#not-now", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "trust")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
