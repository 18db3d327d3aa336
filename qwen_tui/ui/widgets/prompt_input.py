"""The multi-line prompt: Enter sends, Ctrl+J adds a line (so do Alt+Enter and
Shift+Enter where the terminal reports them), Up and Down walk through earlier prompts
when the cursor is on the first / last line. While the screen's ``@path`` list is open,
Tab and Enter take its choice, Esc closes it, and Up and Down move in it."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = {"ctrl+j", "alt+enter", "shift+enter", "ctrl+enter"}
"""Ctrl+J works in every terminal. The others add a line only where the terminal
reports them as such; most terminals, and tmux, send Alt+Enter and Shift+Enter as a
plain Enter, which cannot be told apart here, so help texts name Ctrl+J alone."""

PLACEHOLDER = "Ask anything · Enter sends · Ctrl+J adds a line · /help lists commands"


class PromptInput(TextArea):
    """A ``TextArea`` that submits on Enter and remembers what was sent."""

    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 12;
    }
    """

    @dataclass
    class Submitted(Message):
        """The user pressed Enter on a prompt."""

        prompt_input: PromptInput
        text: str

    @dataclass
    class MenuMove(Message):
        """Up or Down while a completion menu is open: move its highlight by ``step``."""

        step: int

    class MenuAccept(Message):
        """Tab or Enter while the ``@path`` list is open: take its highlighted path."""

    class MenuDismiss(Message):
        """Esc while the ``@path`` list is open: close it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder=PLACEHOLDER,
        )
        self.menu_open = False
        """Set by the screen while its completion menu shows: Up and Down then move
        through the menu instead of the prompt history."""
        self.completing_path = False
        """Set by the screen while its ``@path`` list shows: Tab and Enter then take
        the highlighted path and Esc closes the list, instead of sending or stopping."""
        self.prompt_history: list[str] = []
        self._history_index: int | None = None
        self._draft = ""

    def remember(self, text: str) -> None:
        """Add a sent prompt to the history (no consecutive duplicates)."""
        if text and (not self.prompt_history or self.prompt_history[-1] != text):
            self.prompt_history.append(text)
        self._history_index = None

    def on_key(self, event: events.Key) -> None:
        """Enter, the new-line keys, and Up/Down for the menu or the history; every
        other key goes on to the ``TextArea`` (``prevent_default`` stops it here)."""
        if self.completing_path and event.key in ("enter", "tab", "escape"):
            event.prevent_default()
            event.stop()
            self.post_message(self.MenuDismiss() if event.key == "escape" else self.MenuAccept())
            return
        if event.key == "enter":
            event.prevent_default()
            event.stop()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key in NEWLINE_KEYS:
            event.prevent_default()
            event.stop()
            self.insert("\n")
            return
        if self.menu_open and event.key in ("up", "down"):
            event.prevent_default()
            event.stop()
            self.post_message(self.MenuMove(-1 if event.key == "up" else 1))
            return
        if event.key == "up" and self.cursor_at_first_line and self._recall(-1):
            event.prevent_default()
            event.stop()
            return
        if event.key == "down" and self.cursor_at_last_line and self._recall(+1):
            event.prevent_default()
            event.stop()

    def _recall(self, step: int) -> bool:
        """Show the previous (-1) or next (+1) prompt; False if there is none."""
        if not self.prompt_history:
            return False
        if self._history_index is None:
            if step > 0:
                return False
            self._draft = self.text
            index = len(self.prompt_history) - 1
        else:
            index = self._history_index + step
        if index < 0:
            return True
        if index >= len(self.prompt_history):
            self._history_index = None
            self.load_text(self._draft)
        else:
            self._history_index = index
            self.load_text(self.prompt_history[index])
        self.move_cursor(self.document.end)
        return True
