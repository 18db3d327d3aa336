"""The completion menu of slash commands under the prompt.

It only knows what to list for a prompt text and which entry is highlighted; the chat
screen decides what Tab, Up/Down and Enter do with that.
"""

from __future__ import annotations

from textual.widgets.option_list import Option

from qwen_tui.ui.commands import complete
from qwen_tui.ui.widgets.completion_menu import CompletionMenu


class SlashMenu(CompletionMenu):
    """Commands matching what follows the ``/``; hidden when nothing (more) matches."""

    def show_matches(self, text: str) -> bool:
        """List the commands ``text`` could become; returns whether the menu is open.

        Closed for plain prompts, for text with a space or a line break (arguments
        follow), and once the text names a command in full.
        """
        matches = complete(text) if text.startswith("/") and " " not in text else []
        if "\n" in text or (len(matches) == 1 and f"/{matches[0].name}" == text):
            matches = []
        return self.show_options([Option(f"/{c.name:<10} {c.help}", id=c.name) for c in matches])
