"""Markdown that grows while it streams, at a cost set by what is new and what is seen.

Finished blocks are rendered once and then left alone. They are held as *segments* of
bounded size (short segments absorb the next block, see :data:`PIECE_LINES`; no segment
is longer than :data:`SEGMENT_CHARS` or :data:`SEGMENT_LINES`, a bigger block being cut
by :func:`~qwen_tui.chat.blocks.bounded_pieces`) inside a few :class:`MarkdownPiece`
widgets of up to :data:`PIECE_SEGMENTS` segments each. Only the open tail (the block
still being written, itself kept under :data:`TAIL_CHARS` / :data:`TAIL_LINES`) is
re-rendered, at most once per frame however many chunks arrived.

Every frame's work is bounded, whatever arrives: a flush takes in at most
:data:`INTAKE_CHARS` of new text and schedules the next step itself while more is
waiting, so a multi-megabyte answer in one chunk is shown over a few frames with the
keys answered in between. Segments that arrive in bulk are rendered only when painted
(their height estimated until then), so text far from the view costs nothing to draw.

Rendering uses Rich's Markdown (with Pygments highlighting for code) into pre-rendered
lines: Textual's ``Markdown`` widget builds a widget per paragraph, which makes layout
cost grow with the answer and is what makes long answers crawl in other clients.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from qwen_tui.chat.blocks import BlockScanner, bounded_pieces
from qwen_tui.text import neutralise
from qwen_tui.ui.widgets.tall import TallContainer, light_dirty_lines

if TYPE_CHECKING:
    from rich.console import Console
    from rich.markdown import Markdown as RichMarkdown
    from rich.theme import Theme as RichTheme
    from textual.theme import Theme

PIECE_LINES = 12
"""A finished block joins the previous segment while that segment is shorter than this;
otherwise it starts a new one. Small enough that re-rendering a segment (code
highlighting included) stays cheap, large enough that a slow stream does not become
thousands of segments."""

LAZY_PIECE_LINES = 40
"""The same for a message shown whole (a resumed conversation): its segments are never
re-rendered while streaming, and each is rendered only once it is on screen, so about
a screenful per segment."""

SEGMENT_CHARS = 4000
SEGMENT_LINES = 60
"""No segment is longer than this: rendering one (about 60 lines of highlighted code
at most) stays within a few tens of milliseconds, so painting a screen does too."""

PIECE_SEGMENTS = 200
"""Segments per widget. Textual lays out every child of the answer on each change, so
the widget count must stay low: a 5 MB answer is about 40 widgets, not thousands."""

INTAKE_CHARS = 64_000
INTAKE_SECONDS = 0.03
"""New text is taken in steps of :data:`INTAKE_CHARS` (scanning and cutting one costs
a few milliseconds) for at most about :data:`INTAKE_SECONDS` per flush; more waits for
the next step, which is scheduled right after the next frame."""

PUBLISH_SECONDS = 0.4
"""While a bulk of text is being taken in, the screen's layout is brought up to date
at most this often (and when the bulk is all in), and at most once per four times what
the last update took. Textual's layout of an answer costs in proportion to its height
(tens of milliseconds for a 5 MB answer); laying it out after every step would make
the steps slow and the keys wait."""

BULK_CHARS = 16_000
"""Segments frozen in a flush bigger than this are rendered only when painted. Smaller
flushes (ordinary streaming) are rendered at once, so their height is exact."""

TAIL_CHARS = 4000
TAIL_LINES = 60
"""The open tail is re-rendered every frame, so it is kept under this: complete lines
beyond it are frozen early (a code fence closed and opened again around the cut), and
a line longer than this is cut at a space."""

CACHED_SEGMENTS = 128
"""Rendered segments kept per widget; others keep only their height and are rendered
again when painted."""


def estimate_height(source: str, width: int) -> int:
    """Lines that Rich's Markdown will take for ``source`` at ``width``, without rendering.

    Rich keeps the source's line structure: blank lines separate blocks, code fences
    become the code block's padding, list bullets take the place of ``-``. Counting the
    source lines, wrapped at ``width``, is within a few lines per screenful.
    """
    columns = max(width, 1)
    # Every line takes one row and a line longer than the width one more per ``columns``
    # characters; only those long lines are looked at one by one (found by a regular
    # expression), so estimating a 5 MB answer again for a new width takes milliseconds
    # rather than a Python step per line. Only "\n" breaks a line: other line breaks are
    # shown as visible stand-ins (:func:`~qwen_tui.text.neutralise`).
    if not source:
        return 0
    rows = source.count("\n") + (0 if source.endswith("\n") else 1)
    if len(source) - rows < columns:
        return rows
    for match in _long_lines(columns).finditer(source):
        rows += (len(match.group()) - 1) // columns
    return rows


_long_line_patterns: dict[int, re.Pattern[str]] = {}


def _long_lines(columns: int) -> re.Pattern[str]:
    """Lines longer than ``columns`` characters."""
    pattern = _long_line_patterns.get(columns)
    if pattern is None:
        pattern = re.compile(rf"^[^\n]{{{columns + 1},}}", re.MULTILINE)
        _long_line_patterns[columns] = pattern
    return pattern


_heap_frozen = False


def freeze_heap_once() -> None:
    """Leave the objects that exist now out of every later garbage collection, once.

    A multi-megabyte answer allocates many small lists while it is laid out (Textual's
    spatial maps), which sets off full collections every few frames; each one walked
    every object of the process (modules, classes, the SDK's models: about 200,000),
    0.2–0.4 s on a loaded 2-core machine, a stall of the event loop each time. Frozen,
    a full collection walks only what came later: about a third of the time. Called at
    the first bulk of text, by which time start-up and the SDK import are done. Frozen
    objects are still freed when their last reference goes; only cycles among them that
    become garbage are kept, a one-off amount.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()


def rich_markdown() -> type[RichMarkdown]:
    """Rich's Markdown class, imported on first use: with markdown-it and Pygments it
    costs about 50 ms, which an empty chat screen's first frame should not pay.

    The first call also builds Pygments' Python lexer (its rules are compiled on first
    use, 50–100 ms): the chat screen makes that call in a background thread after its
    first frame, so the first code block of an answer is not drawn with that delay.
    """
    global _lexer_ready
    from rich.markdown import Markdown

    if not _lexer_ready:
        _lexer_ready = True
        from rich.syntax import Syntax

        Syntax("", "python").lexer  # noqa: B018 (built for its side effect)
    return Markdown


_lexer_ready = False


def code_theme(theme: Theme) -> str:
    """The Pygments theme for code blocks under the app's ``theme``."""
    return "monokai" if theme.dark else "default"


@cache
def _colourless_styles() -> RichTheme:
    """Markdown styles told apart without colour.

    Under ``NO_COLOR`` Textual draws every colour as the grey of its brightness, and
    Rich's magenta headings and dim rules come out as near-black on black.
    """
    from rich.theme import Theme as RichTheme

    bold, italic, underline = Style(bold=True), Style(italic=True), Style(underline=True)
    return RichTheme(
        {
            "markdown.h2": Style(bold=True, underline=True),
            "markdown.h3": bold,
            "markdown.h4": Style(bold=True, italic=True),
            "markdown.h5": italic,
            "markdown.h6": italic,
            "markdown.h7": italic,
            "markdown.hr": Style(),
            "markdown.block_quote": italic,
            "markdown.list": Style(),
            "markdown.item.number": Style(),
            "markdown.link": underline,
            "markdown.link_url": underline,
            "markdown.table.border": Style(),
            "markdown.table.header": bold,
            "markdown.kbd": bold,
        }
    )


def render_source(
    console: Console,
    source: str,
    width: int,
    style: Style,
    *,
    code_theme: str,
    plain: bool,
    colourless: bool = False,
) -> list[Strip]:
    """``source`` as lines ``width`` wide: Markdown, or (``plain``) wrapped text;
    ``colourless``: in styles that do without colour (``NO_COLOR``).

    Control characters are made visible first; links are not made clickable (a link's
    target is not shown, so a click could go anywhere).
    """
    safe = neutralise(source)
    renderable = (
        Text(safe) if plain else rich_markdown()(safe, code_theme=code_theme, hyperlinks=False)
    )
    options = console.options.update(width=max(width, 1), height=None)
    if colourless and not plain:
        with console.use_theme(_colourless_styles()):
            lines = console.render_lines(renderable, options, style=style, pad=True)
    else:
        lines = console.render_lines(renderable, options, style=style, pad=True)
    return [Strip(line, width) for line in lines]


@dataclass
class _Segment:
    source: str
    height: int = 0
    exact: bool = False
    estimates: dict[int, int] = field(default_factory=dict)
    """Estimated heights by width: layout may go back and forth between two widths
    (the transcript's scrollbar comes and goes), each a pass over every segment."""


class MarkdownPiece(Widget):
    """Stretches of Markdown (segments) rendered once per change and width, then copied.

    The lines are rendered with Rich into strips and kept; layout asks for their count
    and painting copies them. A ``Static`` holding the same Markdown renders it again
    for every height query and every repaint, which is what made long answers slow. A
    lazy segment is rendered only when one of its lines is painted; until then its
    height is estimated (:func:`estimate_height`).
    """

    DEFAULT_CSS = """
    MarkdownPiece {
        height: auto;
    }
    """

    @dataclass
    class Settled(Message):
        """A lazy segment was rendered and its height differs from the estimate.

        Bubbles up so that a scrolling container can keep what the user is reading in
        place when the segment lies above it.
        """

        piece: MarkdownPiece
        delta: int
        top: int = 0
        """Where the segment starts in the piece."""

    def __init__(
        self,
        text: str = "",
        *,
        classes: str | None = None,
        lazy: bool = False,
        plain: bool = False,
    ) -> None:
        """Args:
        text: the Markdown source of the first segment.
        classes: CSS classes.
        lazy: render the first segment only when painted.
        plain: show the text as it is, wrapped, not as Markdown.
        """
        super().__init__(classes=classes)
        self._plain = plain
        self._segments: list[_Segment] = []
        self._tops: list[int] | None = None
        self._total = 0
        self._width = -1
        self._cache: OrderedDict[int, list[Strip]] = OrderedDict()
        self._eager: set[int] = set()
        light_dirty_lines(self)
        if text:
            self.add_segment(text, lazy=lazy)
            self.refresh(layout=True)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: Theme) -> None:
        """Render again, in the new colours, whatever is painted from now on."""
        self._cache.clear()
        self.refresh()

    # ----- content -----------------------------------------------------------------

    @property
    def source(self) -> str:
        """The whole text shown (all segments)."""
        return "".join(segment.source for segment in self._segments)

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    @property
    def last_segment_lines(self) -> int:
        """Lines of the last segment's source (to decide whether a block joins it)."""
        return self._segments[-1].source.count("\n") if self._segments else PIECE_SEGMENTS

    @property
    def last_segment_chars(self) -> int:
        return len(self._segments[-1].source) if self._segments else SEGMENT_CHARS

    def set_source(self, text: str) -> None:
        """Show ``text`` alone, rendered at the next layout (the open tail)."""
        self._segments = [_Segment(text)] if text else []
        self._cache.clear()
        self._eager = {0} if text else set()
        self._heights_changed()
        self.refresh(layout=True)

    def add_segment(self, text: str, *, lazy: bool) -> None:
        """Add a segment at the end (``lazy``: rendered when painted); shown once the
        piece is refreshed (``refresh(layout=True)``)."""
        index = len(self._segments)
        segment = _Segment(text)
        self._segments.append(segment)
        self._place(index, lazy=lazy)

    def extend_last(self, text: str, *, lazy: bool) -> None:
        """Add ``text`` to the last segment, which is rendered again (once refreshed)."""
        index = len(self._segments) - 1
        self._segments[index].source += text
        self._segments[index].estimates.clear()
        self._cache.pop(index, None)
        self._place(index, lazy=lazy)

    def _place(self, index: int, *, lazy: bool) -> None:
        segment = self._segments[index]
        segment.exact = False
        segment.height = self._estimate(segment) if self._width > 0 else 0
        if not lazy:
            self._eager.add(index)
        self._heights_changed()

    def _estimate(self, segment: _Segment) -> int:
        height = segment.estimates.get(self._width)
        if height is None:
            source = segment.source
            height = estimate_height(source, self._width) if source.strip() else 0
            segment.estimates[self._width] = height
        return height

    def _heights_changed(self) -> None:
        self._tops = None

    def _layout(self) -> list[int]:
        """Where each segment starts (and, last, the total height)."""
        if self._tops is None:
            self._tops = [0, *itertools.accumulate(s.height for s in self._segments)]
            self._total = self._tops[-1]
        return self._tops

    # ----- rendering ---------------------------------------------------------------

    def _set_width(self, width: int) -> None:
        """A new width: every height is estimated again; the segments not yet laid out
        once are still rendered at once."""
        if width == self._width:
            return
        self._width = width
        self._cache.clear()
        for segment in self._segments:
            segment.height = self._estimate(segment)
            segment.exact = False
        self._heights_changed()

    def _render_segment(self, index: int) -> list[Strip]:
        lines = self._cache.get(index)
        if lines is not None:
            self._cache.move_to_end(index)
            return lines
        segment = self._segments[index]
        if segment.source.strip():
            lines = render_source(
                self.app.console,
                segment.source,
                self._width,
                self.rich_style,
                code_theme=code_theme(self.app.current_theme),
                plain=self._plain,
                colourless=self.app.no_color,
            )
        else:
            lines = []
        self._cache[index] = lines
        while len(self._cache) > CACHED_SEGMENTS:
            self._cache.popitem(last=False)
        if not segment.exact or segment.height != len(lines):
            segment.height = len(lines)
            segment.exact = True
            self._heights_changed()
        return lines

    @property
    def rendered(self) -> bool:
        """Whether every segment's height is known for the current width (a lazy
        segment not yet painted has only an estimate)."""
        return self._width == self.size.width and all(s.exact for s in self._segments)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._set_width(width)
        eager, self._eager = self._eager, set()
        for index in sorted(eager):
            if index < len(self._segments):
                self._render_segment(index)
        self._layout()
        return self._total

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._set_width(width)
        tops = self._layout()
        index = bisect.bisect_right(tops, y) - 1
        if index >= len(self._segments):
            return Strip.blank(width, self.rich_style)
        segment = self._segments[index]
        top = tops[index]
        estimated = segment.height
        was_exact = segment.exact
        lines = self._render_segment(index)
        if not was_exact and len(lines) != estimated:
            # After this frame: a layout asked for while painting is lost.
            self.call_after_refresh(self.refresh, layout=True)
            self.post_message(self.Settled(self, len(lines) - estimated, top))
        offset = y - top
        return lines[offset] if 0 <= offset < len(lines) else Strip.blank(width, self.rich_style)


class StreamingMarkdown(TallContainer, Vertical):
    """An answer being streamed: ``append`` is cheap; ``flush`` updates the screen."""

    DEFAULT_CSS = """
    StreamingMarkdown {
        height: auto;
    }
    """

    def __init__(
        self,
        text: str = "",
        *,
        id: str | None = None,
        classes: str | None = None,
        plain: bool = False,
    ) -> None:
        """Args:
        text: text shown whole (a saved answer), rendered lazily.
        plain: show the text as it is, wrapped, not as Markdown (reasoning).
        """
        super().__init__(id=id, classes=classes)
        self._text = text
        self._arrived: list[str] = []
        self._taken = 0
        self._frozen_upto = 0
        self._open_fence: str | None = None
        self._scanner = BlockScanner()
        self._pieces: list[MarkdownPiece] = []
        self._tail: MarkdownPiece | None = None
        self._plain = plain
        self._final = False
        self._step_pending = False
        self._changed: list[MarkdownPiece] = []
        self._unmounted: list[MarkdownPiece] = []
        self._published = 0.0
        self._publish_cost = 0.0
        self._measuring = False
        # Text given whole (a saved answer) is rendered lazily, in bigger segments.
        self._whole = bool(text)

    @property
    def text(self) -> str:
        """Everything received so far."""
        self._take_arrived()
        return self._text

    @property
    def piece_count(self) -> int:
        """How many finished segments there are (for tests and benchmarks)."""
        return sum(piece.segment_count for piece in self._pieces)

    @property
    def widget_count(self) -> int:
        """How many widgets hold the finished segments."""
        return len(self._pieces)

    @property
    def caught_up(self) -> bool:
        """Whether everything received is on screen (no flush step is waiting)."""
        return self._taken == len(self.text) and not self._step_pending

    @property
    def _piece_lines(self) -> int:
        return LAZY_PIECE_LINES if self._whole else PIECE_LINES

    def compose(self) -> ComposeResult:
        self._tail = MarkdownPiece(classes="tail", plain=self._plain)
        yield self._tail

    def on_mount(self) -> None:
        if self._text:
            self.flush(final=True)

    def append(self, text: str) -> None:
        """Add streamed text; shown at the next :meth:`flush`."""
        self._arrived.append(text)

    def flush(self, *, final: bool = False) -> None:
        """Bring the screen closer to the text received: steps of :data:`INTAKE_CHARS`
        for about :data:`INTAKE_SECONDS` per call; when more is waiting, the next step
        runs after the next frame by itself (and until it has, a call only takes note).

        Args:
            final: the answer is complete, so the tail is finished too.
        """
        self._take_arrived()
        self._final = self._final or final
        if self._step_pending:
            # A step is already due after the next frame: taking in more now as well
            # (a timer's flush, the final one) would double this frame's work.
            return
        started, taken_before = time.perf_counter(), self._taken
        while True:
            self._taken = min(len(self._text), self._taken + INTAKE_CHARS)
            taken = self._taken
            done = self._final and taken == len(self._text)
            stable = self._scanner.scan(self._text, taken)
            end = taken if done else stable
            bulk = (
                self._whole
                or taken - taken_before > BULK_CHARS
                or end - self._frozen_upto > BULK_CHARS
            )
            if bulk:
                freeze_heap_once()
            if end > self._frozen_upto:
                self._freeze(end, lazy=bulk, at_boundaries=True)
            if not done:
                self._bound_tail(taken, lazy=bulk)
            if taken == len(self._text) or time.perf_counter() - started > INTAKE_SECONDS:
                break
        caught_up = taken == len(self._text)
        interval = max(PUBLISH_SECONDS, 4 * self._publish_cost)
        if caught_up or not bulk or started - self._published >= interval:
            self._publish(taken)
        if not caught_up and not self._step_pending:
            self._step_pending = True
            self.call_after_refresh(self._step)

    def _publish(self, taken: int) -> None:
        """Show the segments added since the last time, and the open tail."""
        self._published = time.perf_counter()
        self._measuring = True
        for piece in self._changed:
            piece.refresh(layout=True)
        self._changed.clear()
        if self._unmounted:
            self.mount_all(self._unmounted, before=self._tail)
            self._unmounted = []
        tail = self._tail
        if tail is not None:
            rest = self._text[self._frozen_upto : taken]
            if rest and self._open_fence is not None and not self._plain:
                rest = self._open_fence + "\n" + rest
            if rest != tail.source:
                tail.set_source(rest)
            tail.display = bool(rest.strip())

    def _step(self) -> None:
        self._step_pending = False
        if self._measuring:
            # Runs after the frame that laid out the last update: about what it cost.
            self._measuring = False
            self._publish_cost = time.perf_counter() - self._published
        if self.is_attached:
            self.flush()

    def _take_arrived(self) -> None:
        """Join the chunks that arrived since the last frame onto the text: once per
        frame rather than once per chunk, so a long answer is not copied per chunk."""
        if self._arrived:
            self._text += "".join(self._arrived)
            self._arrived.clear()

    def _bound_tail(self, taken: int, *, lazy: bool) -> None:
        """Freeze the start of an open tail that grew too long to render every frame."""
        rest = self._text[self._frozen_upto : taken]
        if len(rest) <= TAIL_CHARS and rest.count("\n") <= TAIL_LINES:
            return
        cut = rest.rfind("\n") + 1
        if len(rest) - cut > TAIL_CHARS:
            # One enormous line: keep its last part open, at a space if there is one.
            cut = len(rest) - TAIL_CHARS // 2
            space = rest.rfind(" ", cut - TAIL_CHARS // 4, cut)
            cut = space + 1 if space > 0 else cut
        if cut > 0:
            self._freeze(self._frozen_upto + cut, lazy=lazy, at_boundaries=False)

    def _freeze(self, end: int, *, lazy: bool, at_boundaries: bool) -> None:
        """Move text up to ``end`` into finished segments, cut at block boundaries.

        Args:
            at_boundaries: ``end`` is a block boundary (else the cut is forced and may
                fall inside a code fence or a line).
        """
        cuts = [*self._scanner.boundaries_between(self._frozen_upto, end), end]
        for cut in cuts:
            block = self._text[self._frozen_upto : cut]
            self._frozen_upto = cut
            small = len(block) <= SEGMENT_CHARS and block.count("\n") <= SEGMENT_LINES
            if small and self._open_fence is None and (at_boundaries or cut != end):
                parts = [block]
            else:
                parts, self._open_fence = bounded_pieces(
                    block,
                    self._open_fence,
                    max_chars=SEGMENT_CHARS,
                    max_lines=SEGMENT_LINES,
                    markdown=not self._plain,
                )
                if at_boundaries or cut != end:
                    self._open_fence = None
            for part in parts:
                self._add(part, lazy=lazy, joins=small)

    def _add(self, block: str, *, lazy: bool, joins: bool) -> None:
        if not block.strip():
            return
        last = self._pieces[-1] if self._pieces else None
        if (
            joins
            and last is not None
            and last.last_segment_lines < self._piece_lines
            and last.last_segment_chars + len(block) <= SEGMENT_CHARS
        ):
            last.extend_last(block, lazy=lazy)
        else:
            if last is None or last.segment_count >= PIECE_SEGMENTS:
                last = MarkdownPiece(plain=self._plain)
                self._pieces.append(last)
                self._unmounted.append(last)
            last.add_segment(block, lazy=lazy)
        if last not in self._changed:
            self._changed.append(last)
