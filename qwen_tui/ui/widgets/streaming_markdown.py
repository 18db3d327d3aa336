"""Markdown that grows while it streams, at a cost set by the new text, not the answer.

Finished blocks are rendered once and then left alone: the blocks finished in one frame
become one static piece (short pieces absorb the next block, see :data:`PIECE_LINES`),
so a long answer is a modest number of cheap widgets, and no frame re-renders more
than the new blocks, one short piece and the open tail. Only the open tail (the block still being
written) is re-rendered, at most once per frame however many chunks arrived. Rendering
uses Rich's Markdown (with Pygments highlighting for code) into pre-rendered lines:
Textual's ``Markdown`` widget builds a widget per paragraph, which makes layout cost grow
with the answer and is what makes long answers crawl in other clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from qwen_tui.chat.blocks import BlockScanner
from qwen_tui.text import neutralise

if TYPE_CHECKING:
    from rich.markdown import Markdown as RichMarkdown

PIECE_LINES = 12
"""A finished block joins the previous piece while that piece is shorter than this;
otherwise it starts a new one. Small enough that re-rendering a piece (code
highlighting included) stays cheap, large enough that a slow stream does not become
thousands of widgets."""

LAZY_PIECE_LINES = 40
"""The same for a message shown whole (a resumed conversation): its pieces are never
re-rendered while streaming, and each is rendered only once it is on screen, so about
a screenful per piece keeps the widget count of a long conversation low."""


def estimate_height(source: str, width: int) -> int:
    """Lines that Rich's Markdown will take for ``source`` at ``width``, without rendering.

    Rich keeps the source's line structure: blank lines separate blocks, code fences
    become the code block's padding, list bullets take the place of ``-``. Counting the
    source lines, wrapped at ``width``, is within a few lines per screenful.
    """
    columns = max(width, 1)
    return sum(max(1, -(-len(line) // columns)) for line in source.splitlines())


def rich_markdown() -> type[RichMarkdown]:
    """Rich's Markdown class, imported on first use: with markdown-it and Pygments it
    costs about 50 ms, which an empty chat screen's first frame should not pay."""
    from rich.markdown import Markdown

    return Markdown


class MarkdownPiece(Widget):
    """A stretch of Markdown rendered once per change (and per width), then only copied.

    The lines are rendered with Rich into strips and kept; layout asks for their count
    and painting copies them. A ``Static`` holding the same Markdown renders it again
    for every height query and every repaint, which is what made long answers slow.
    """

    DEFAULT_CSS = """
    MarkdownPiece {
        height: auto;
    }
    """

    @dataclass
    class Settled(Message):
        """A lazy piece was rendered and its height differs from the estimate.

        Bubbles up so that a scrolling container can keep what the user is reading in
        place when the piece lies above it.
        """

        piece: MarkdownPiece
        delta: int

    def __init__(
        self, text: str, *, code_theme: str, classes: str | None = None, lazy: bool = False
    ) -> None:
        """Args:
        text: the Markdown source.
        code_theme: Pygments theme for code blocks.
        classes: CSS classes.
        lazy: render only when painted; until then the height is estimated
            (:func:`estimate_height`). For text shown whole, far from the view.
        """
        super().__init__(classes=classes)
        self.source = text
        self._code_theme = code_theme
        self._lines: list[Strip] | None = None
        self._width = -1
        self._lazy = lazy

    def render_source(self) -> None:
        """Render :attr:`source` again (after it changed)."""
        self._lines = None
        self.refresh(layout=True)

    def set_source(self, text: str) -> None:
        """Show ``text`` (the whole piece)."""
        self.source = text
        self.render_source()

    def _rendered(self, width: int) -> list[Strip]:
        if self._lines is None or width != self._width:
            console = self.app.console
            # The model's text: control characters made visible, and links shown with
            # their address as text (no terminal hyperlink whose target is hidden).
            markdown = rich_markdown()(
                neutralise(self.source), code_theme=self._code_theme, hyperlinks=False
            )
            options = console.options.update(width=max(width, 1), height=None)
            lines = console.render_lines(markdown, options, style=self.rich_style, pad=True)
            self._lines = [Strip(line, width) for line in lines]
            self._width = width
        return self._lines

    @property
    def rendered(self) -> bool:
        """Whether the lines for the current width exist (a lazy piece not yet painted
        has only an estimate)."""
        return self._lines is not None and self._width == self.size.width

    def _estimating(self, width: int) -> bool:
        return self._lazy and (self._lines is None or width != self._width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not self.source.strip():
            return 0
        if self._estimating(width):
            return estimate_height(self.source, width)
        return len(self._rendered(width))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if self._estimating(width):
            estimated = estimate_height(self.source, width)
            lines = self._rendered(width)
            if len(lines) != estimated:
                # After this frame: a layout asked for while painting is lost.
                self.call_after_refresh(self.refresh, layout=True)
                self.post_message(self.Settled(self, len(lines) - estimated))
        lines = self._rendered(width)
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)


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
        self._arrived: list[str] = []
        self._frozen_upto = 0
        self._scanner = BlockScanner()
        self._pieces: list[MarkdownPiece] = []
        self._tail: MarkdownPiece | None = None
        # Text given whole (a saved answer) is rendered lazily, in bigger pieces.
        self._whole = bool(text)

    @property
    def text(self) -> str:
        """Everything received so far."""
        self._take_arrived()
        return self._text

    @property
    def piece_count(self) -> int:
        """How many finished pieces are on screen (for tests and benchmarks)."""
        return len(self._pieces)

    @property
    def _piece_lines(self) -> int:
        return LAZY_PIECE_LINES if self._whole else PIECE_LINES

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
        self._arrived.append(text)

    def flush(self, *, final: bool = False) -> None:
        """Bring the screen up to date with the text received.

        Args:
            final: the answer is complete, so the tail is finished too.
        """
        self._take_arrived()
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

    def _take_arrived(self) -> None:
        """Join the chunks that arrived since the last frame onto the text: once per
        frame rather than once per chunk, so a long answer is not copied per chunk."""
        if self._arrived:
            self._text += "".join(self._arrived)
            self._arrived.clear()

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
            if last is not None and last.source.count("\n") < self._piece_lines:
                last.source += block
                if last not in changed and last not in new:
                    changed.append(last)
            else:
                piece = MarkdownPiece(block, code_theme=self._code_theme(), lazy=self._whole)
                self._pieces.append(piece)
                new.append(piece)
        for piece in changed + new:
            piece.render_source()
        if new:
            self.mount_all(new, before=self._tail)
