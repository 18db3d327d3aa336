"""The completion menu of slash commands under the prompt.

It only knows what to list for a prompt text and which entry is highlighted; the chat
screen decides what Tab, Up/Down and Enter do with that.
"""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from qwen_tui.ui.commands import complete


class SlashMenu(OptionList):
    """Commands matching what follows the ``/``; hidden when nothing (more) matches."""

    DEFAULT_CSS = """
    SlashMenu {
        display: none;
    }
    """

    def show_matches(self, text: str) -> bool:
        """List the commands ``text`` could become; returns whether the menu is open.

        Closed for plain prompts, for text with a space or a line break (arguments
        follow), and once the text names a command in full.
        """
        matches = complete(text) if text.startswith("/") and " " not in text else []
        if "\n" in text or (len(matches) == 1 and f"/{matches[0].name}" == text):
            matches = []
        self.clear_options()
        self.add_options([Option(f"/{c.name:<10} {c.help}", id=c.name) for c in matches])
        self.display = bool(matches)
        if matches:
            self.highlighted = 0
        return bool(matches)

    def move(self, step: int) -> None:
        """Move the highlight by ``step``, wrapping around at either end."""
        if self.option_count:
            self.highlighted = ((self.highlighted or 0) + step) % self.option_count

    @property
    def chosen(self) -> str | None:
        """The name of the highlighted command while the menu is open, else None."""
        if not (self.display and self.option_count and self.highlighted is not None):
            return None
        return self.get_option_at_index(self.highlighted).id
