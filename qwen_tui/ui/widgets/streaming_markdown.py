"""Markdown that grows while it streams, at a cost set by the new text, not the answer.

Finished blocks are parsed once into their own ``Markdown`` widget and never touched
again; only the open tail (the block still being written) is re-parsed, and at most once
per frame however many chunks arrived. Re-rendering a whole answer per chunk is what
makes long answers crawl in other clients.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown

from qwen_tui.chat.blocks import BlockScanner


class StreamingMarkdown(Vertical):
    """An answer being streamed: ``append`` is cheap; ``flush`` updates the screen."""

    DEFAULT_CSS = """
    StreamingMarkdown {
        height: auto;
        layout: stream;
    }
    StreamingMarkdown > Markdown {
        margin: 0;
        padding: 0;
    }
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = text
        self._frozen_upto = 0
        self._shown_tail = ""
        self._scanner = BlockScanner()
        self._tail = Markdown(classes="tail")

    @property
    def text(self) -> str:
        """Everything received so far."""
        return self._text

    def compose(self) -> ComposeResult:
        yield self._tail

    def on_mount(self) -> None:
        if self._text:
            self.flush()

    def append(self, text: str) -> None:
        """Add streamed text; shown at the next :meth:`flush`."""
        self._text += text

    def flush(self, *, final: bool = False) -> None:
        """Bring the screen up to date with the text received.

        Args:
            final: the answer is complete, so the tail is finished too.
        """
        end = len(self._text) if final else self._scanner.scan(self._text)
        if end > self._frozen_upto:
            block = self._text[self._frozen_upto : end]
            self._frozen_upto = end
            if block.strip():
                self.mount(Markdown(block, classes="block"), before=self._tail)
        tail = self._text[self._frozen_upto :]
        if tail != self._shown_tail:
            self._shown_tail = tail
            self._tail.update(tail)
        self._tail.display = bool(tail)
