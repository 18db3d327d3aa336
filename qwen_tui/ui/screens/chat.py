"""The chat screen (a first version: the active provider and the way back to /auth)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

if TYPE_CHECKING:
    from qwen_tui.ui.services import AppServices


class ChatScreen(Screen[None]):
    """Where conversations happen once a provider is configured."""

    BINDINGS = [Binding("ctrl+o", "app.sign_in", "Sign-in (/auth)")]

    def __init__(self, services: AppServices) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("", id="chat-provider")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "qwen-tui"
        self.refresh_provider()

    def refresh_provider(self) -> None:
        """Show the configured provider and model (no keyring access needed)."""
        model = self.services.loaded.settings.model
        described = model.provider or model.base_url or "OpenAI-compatible"
        self.query_one("#chat-provider", Static).update(
            f"Provider: {described}   Model: {model.name or 'default'}"
        )
