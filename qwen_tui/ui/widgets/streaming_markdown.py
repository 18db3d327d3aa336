"""Markdown that grows while it streams, at a cost set by the new text, not the answer.

Finished blocks are rendered once and then left alone: they are gathered into a few
static pieces of at most :data:`PIECE_LINES` lines each, so a long answer is a handful
of cheap widgets rather than thousands. Only the open tail (the block still being
written) is re-rendered, at most once per frame however many chunks arrived. Rendering
uses Rich's Markdown (with Pygments highlighting for code) inside ``Static`` widgets:
Textual's ``Markdown`` widget builds a widget per paragraph, which makes layout cost grow
with the answer and is what makes long answers crawl in other clients.
"""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from qwen_tui.chat.blocks import BlockScanner

PIECE_LINES = 60
"""Finished text is grouped into pieces of about this many source lines."""


class MarkdownPiece(Static):
    """A stretch of finished Markdown, rendered once per change."""

    DEFAULT_CSS = """
    MarkdownPiece {
        height: auto;
    }
    """

    def __init__(self, text: str, *, code_theme: str, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.source = text
        self._code_theme = code_theme
        self.render_source()

    def render_source(self) -> None:
        """Render :attr:`source` again (after it changed)."""
        self.update(RichMarkdown(self.source, code_theme=self._code_theme, hyperlinks=True))

    def set_source(self, text: str) -> None:
        """Show ``text`` (the whole piece)."""
        self.source = text
        self.render_source()


class StreamingMarkdown(Vertical):
    """An answer being streamed: ``append`` is cheap; ``flush`` updates the screen."""

    DEFAULT_CSS = """
    StreamingMarkdown {
        height: auto;
    }
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = text
        self._frozen_upto = 0
        self._scanner = BlockScanner()
        self._pieces: list[MarkdownPiece] = []
        self._tail: MarkdownPiece | None = None

    @property
    def text(self) -> str:
        """Everything received so far."""
        return self._text

    @property
    def piece_count(self) -> int:
        """How many finished pieces are on screen (for tests and benchmarks)."""
        return len(self._pieces)

    def _code_theme(self) -> str:
        return "monokai" if self.app.current_theme.dark else "default"

    def compose(self) -> ComposeResult:
        self._tail = MarkdownPiece("", code_theme=self._code_theme(), classes="tail")
        yield self._tail

    def on_mount(self) -> None:
        if self._text:
            self.flush(final=True)

    def append(self, text: str) -> None:
        """Add streamed text; shown at the next :meth:`flush`."""
        self._text += text

    def flush(self, *, final: bool = False) -> None:
        """Bring the screen up to date with the text received.

        Args:
            final: the answer is complete, so the tail is finished too.
        """
        stable = self._scanner.scan(self._text)
        end = len(self._text) if final else stable
        if end > self._frozen_upto:
            self._freeze(end)
        tail = self._tail
        if tail is None:
            return
        rest = self._text[self._frozen_upto :]
        if rest != tail.source:
            tail.set_source(rest)
        tail.display = bool(rest.strip())

    def _freeze(self, end: int) -> None:
        """Move text up to ``end`` into finished pieces, cut at block boundaries."""
        cuts = [*self._scanner.boundaries_between(self._frozen_upto, end), end]
        changed: list[MarkdownPiece] = []
        new: list[MarkdownPiece] = []
        for cut in cuts:
            block = self._text[self._frozen_upto : cut]
            self._frozen_upto = cut
            if not block.strip():
                continue
            last = self._pieces[-1] if self._pieces else None
            if last is not None and last.source.count("\n") < PIECE_LINES:
                last.source += block
                if last not in changed and last not in new:
                    changed.append(last)
            else:
                piece = MarkdownPiece(block, code_theme=self._code_theme())
                self._pieces.append(piece)
                new.append(piece)
        for piece in changed + new:
            piece.render_source()
        if new:
            self.mount_all(new, before=self._tail)
