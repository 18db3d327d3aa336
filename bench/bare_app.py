"""The baseline for start-up: a minimal Textual app (Header, Input, Footer)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Input


class BareApp(App[None]):
    """What any Textual app costs to start; qwen-tui is measured against it."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="bare-ready")
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
