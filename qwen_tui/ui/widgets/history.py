"""Stand-ins for saved messages far from the view, so a long conversation opens fast.

A resumed conversation of hundreds of long answers would otherwise mount thousands of
widgets and render all their Markdown before the first frame. Instead, messages away
from the end are mounted as one cheap :class:`HistoryPlaceholder` each, as tall as the
message is estimated to be (so the scrollbar is about right), and the transcript swaps
in the real widget once the placeholder comes within a screen of the view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True)
class HistoryEntry:
    """One saved message, ready to be shown now or later.

    Attributes:
        build: makes the message's real widget.
        estimate: its height in lines at a given content width, without rendering.
        classes: CSS classes of the real widget, given to its placeholder too so that
            margins and borders (and so the layout) match.
    """

    build: Callable[[], Widget]
    estimate: Callable[[int], int]
    classes: str = ""


class HistoryPlaceholder(Widget):
    """A blank stretch as tall as the message it stands for (see :class:`HistoryEntry`).

    It draws nothing itself; the transcript hydrates it before it scrolls into view,
    and as a fallback it asks for that the moment it is painted.
    """

    DEFAULT_CSS = """
    HistoryPlaceholder {
        height: auto;
    }
    """

    def __init__(self, entry: HistoryEntry) -> None:
        super().__init__(classes=entry.classes)
        self.entry = entry
        self.hydrating = False
        self.on_painted: Callable[[HistoryPlaceholder], None] | None = None
        self._height: tuple[int, int] | None = None

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        # Every layout of the transcript asks each placeholder; estimate once per width.
        if self._height is None or self._height[0] != width:
            self._height = (width, max(1, self.entry.estimate(width)))
        return self._height[1]

    def render_line(self, y: int) -> Strip:
        if not self.hydrating and self.on_painted is not None:
            self.on_painted(self)
        return Strip.blank(self.size.width, self.rich_style)
