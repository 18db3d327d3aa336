"""Containers that may be hundreds of thousands of lines tall, laid out at a cost that
does not grow with their height.

A multi-megabyte answer is a message of about 165,000 lines, and every container
around it (the transcript, the message, the answer, the reasoning's collapsible) is as
tall. Two of Textual's per-container structures cost in proportion to that height on
every layout:

- the spatial map of each arrangement (which children are where, to find those on
  screen) has a list per 20 rows: 8,000 lists per container level, several times per
  layout, and the garbage collector then walks them all;
- the lines to repaint are a set of line numbers: a resized container marks all of its
  165,000 lines.

:func:`coarse_arrangement` gives the spatial map cells of at least
:data:`GRID_ROWS` rows but at most about :data:`GRID_CELLS` per container, and
:class:`DirtyLines` holds the lines to repaint as ranges; :class:`TallContainer` puts
both on a container class. What is drawn is the same; Textual still asks only for the
lines on screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from textual._spatial_map import SpatialMap
from textual.geometry import Size
from textual.layout import DockArrangeResult, WidgetPlacement
from textual.widget import Widget

GRID_ROWS = 20
"""Textual's own cell height: a container up to ``GRID_ROWS * GRID_CELLS`` lines tall
is mapped as Textual maps it."""

GRID_CELLS = 64
"""Cells per container at most: a taller container gets taller cells. The cells the
view covers then hold a few more children to check (a screenful of short messages at
most), against thousands of lists built per layout."""


def coarse_arrangement(result: DockArrangeResult) -> DockArrangeResult:
    """``result`` with its spatial map (built on first use otherwise) made of cells
    tall enough that there are at most about :data:`GRID_CELLS` down the container."""
    if result._spatial_map is not None or not result.placements:
        return result
    bottom = max(placement.region.bottom for placement in result.placements)
    rows = max(GRID_ROWS, -(-bottom // GRID_CELLS))
    spatial_map: SpatialMap[WidgetPlacement] = SpatialMap(grid_height=rows)
    spatial_map.insert(
        (
            placement.region.grow(placement.margin),
            placement.offset,
            placement.fixed,
            placement.overlay,
            placement,
        )
        for placement in result.placements
    )
    result._spatial_map = spatial_map
    return result


class DirtyLines:
    """The lines of a widget to paint again, as ranges rather than a set of numbers.

    Stands in for the set Textual keeps per widget (``update``, ``difference_update``,
    membership, ``clear``): marking a 165,000-line container dirty is one range, not
    165,000 numbers.
    """

    __slots__ = ("_ranges",)

    def __init__(self) -> None:
        self._ranges: list[tuple[int, int]] = []

    def update(self, lines: range) -> None:
        if not lines:
            return
        start, stop = lines.start, lines.stop
        kept = []
        for low, high in self._ranges:
            if high < start or low > stop:
                kept.append((low, high))
            else:
                start, stop = min(start, low), max(stop, high)
        kept.append((start, stop))
        kept.sort()
        self._ranges = kept

    def difference_update(self, lines: range) -> None:
        if not lines:
            return
        start, stop = lines.start, lines.stop
        kept = []
        for low, high in self._ranges:
            if high <= start or low >= stop:
                kept.append((low, high))
                continue
            if low < start:
                kept.append((low, start))
            if high > stop:
                kept.append((stop, high))
        self._ranges = kept

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and any(low <= line < high for low, high in self._ranges)

    def __bool__(self) -> bool:
        return bool(self._ranges)

    def __iter__(self) -> Iterator[int]:
        for low, high in self._ranges:
            yield from range(low, high)

    def clear(self) -> None:
        self._ranges = []


def light_dirty_lines(widget: Widget) -> None:
    """Give ``widget`` a :class:`DirtyLines` for the lines to paint again."""
    widget._styles_cache._dirty_lines = DirtyLines()  # type: ignore[assignment]


class TallContainer:
    """Put first among the bases of a container that may be as tall as a huge answer
    (``class Answer(TallContainer, Vertical)``): coarse spatial maps, repaint ranges.

    A plain mixin rather than a ``Widget``: Textual fixes ``can_focus`` on every widget
    class as it is created, which would hide the container's own.
    """

    def __init__(self, *children: Widget, **options: Any) -> None:
        super().__init__(*children, **options)
        assert isinstance(self, Widget)
        light_dirty_lines(self)

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        arrangement: DockArrangeResult = super().arrange(size, optimal)  # type: ignore[misc]
        return coarse_arrangement(arrangement)
