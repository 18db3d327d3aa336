"""Find where a growing Markdown text can be cut into finished blocks, and cut it small.

Streaming Markdown is cheap only if the part of an answer that can no longer change is
parsed once. A block is finished when a blank line follows it outside a code fence, or
when its closing fence has arrived. This scanner is incremental: each call looks only
at the text added since the last one, so its cost follows the new text, not the answer;
the lines are found with regular expressions, so a multi-megabyte answer arriving at
once is scanned in milliseconds rather than a Python loop per line.

A finished block can still be huge (a 5,000-line code block, a 50,000-character line):
:func:`bounded_pieces` cuts such text into pieces of bounded size that each render on
their own, closing a code fence at the end of a piece and opening it again at the start
of the next, so every piece is still the same code block to the renderer.
"""

from __future__ import annotations

import bisect
import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_OPENING_OR_BLANK = re.compile(r"^(?: {0,3}(`{3,}|~{3,})|[^\S\n]*$)", re.MULTILINE)
_closers: dict[str, re.Pattern[str]] = {}


def _closer(fence: str) -> re.Pattern[str]:
    """A line that closes ``fence``: the same character, at least as many, nothing after."""
    pattern = _closers.get(fence)
    if pattern is None:
        char = re.escape(fence[0])
        pattern = re.compile(rf"^ {{0,3}}{char}{{{len(fence)},}}[^\S\n]*$", re.MULTILINE)
        _closers[fence] = pattern
    return pattern


class BlockScanner:
    """Tracks fences over the complete lines seen so far.

    ``stable_end`` is the offset up to which the text consists of finished blocks;
    ``boundaries`` holds every block end found so far, in order.
    """

    def __init__(self) -> None:
        self._scanned = 0
        self._fence: str | None = None
        self.stable_end = 0
        self.boundaries: list[int] = []

    def boundaries_between(self, start: int, end: int) -> list[int]:
        """Block ends in ``(start, end)``, for cutting frozen text into pieces."""
        low = bisect.bisect_right(self.boundaries, start)
        high = bisect.bisect_left(self.boundaries, end)
        return self.boundaries[low:high]

    def _mark(self, offset: int) -> None:
        self.stable_end = offset
        if not self.boundaries or self.boundaries[-1] != offset:
            self.boundaries.append(offset)

    def scan(self, text: str, end: int | None = None) -> int:
        """Advance over the complete lines of ``text`` (before ``end``, if given) not
        seen yet; return ``stable_end``."""
        limit = len(text) if end is None else min(end, len(text))
        last = text.rfind("\n", self._scanned, limit)
        if last < 0:
            return self.stable_end
        position = self._scanned
        while position <= last:
            if self._fence is None:
                match = _OPENING_OR_BLANK.search(text, position, last)
                if match is None:
                    break
                line_end = text.find("\n", match.end(), last + 1)
                if match.group(1):
                    self._fence = match.group(1)
                else:
                    self._mark(line_end + 1)
            else:
                match = _closer(self._fence).search(text, position, last)
                if match is None:
                    break
                line_end = text.find("\n", match.end(), last + 1)
                self._fence = None
                self._mark(line_end + 1)
            position = line_end + 1
        self._scanned = last + 1
        return self.stable_end


def bounded_pieces(
    text: str,
    opener: str | None,
    *,
    max_chars: int,
    max_lines: int,
    markdown: bool = True,
) -> tuple[list[str], str | None]:
    """Cut ``text`` into pieces of at most about ``max_chars`` and ``max_lines``.

    Cuts fall at line ends; a line longer than ``max_chars`` is cut at a space near the
    limit (or anywhere, if it has none). With ``markdown``, a piece that ends inside a
    code fence is closed with its fence and the next piece opens it again with the same
    opening line (language included).

    Args:
        text: the text, which may end in the middle of a line.
        opener: the opening line of the code fence open where ``text`` starts, if any.

    Returns:
        The pieces, and the opening line of the fence still open at the end of ``text``.
    """
    pieces: list[str] = []
    lines: list[str] = []
    size = 0
    fence = opener
    start_fence = opener

    def emit() -> None:
        nonlocal lines, size, start_fence
        if not lines:
            return
        body = "".join(lines)
        if markdown and start_fence is not None:
            body = start_fence + "\n" + body
        if markdown and fence is not None:
            closing = _FENCE.match(fence)
            assert closing is not None
            body += ("" if body.endswith("\n") else "\n") + closing.group(1) + "\n"
        pieces.append(body)
        lines, size, start_fence = [], 0, fence

    for whole in text.splitlines(keepends=True):
        parts = [whole]
        if len(whole) > max_chars:
            parts = _cut_line(whole, max_chars)
        for part in parts:
            if lines and (size + len(part) > max_chars or len(lines) >= max_lines):
                emit()
            lines.append(part)
            size += len(part)
        if markdown and part.endswith("\n"):
            line = whole.rstrip("\n")
            if fence is None:
                match = _FENCE.match(line)
                if match:
                    fence = line.strip()
            elif _closer(_fence_run(fence)).match(line):
                fence = None
    emit()
    return pieces, fence


def _fence_run(opener: str) -> str:
    match = _FENCE.match(opener)
    assert match is not None
    return match.group(1)


def _cut_line(line: str, max_chars: int) -> list[str]:
    """A line longer than ``max_chars`` as parts of at most that, cut after a space
    where there is one in the second half of a part."""
    parts = []
    while len(line) > max_chars:
        cut = line.rfind(" ", max_chars // 2, max_chars)
        cut = cut + 1 if cut > 0 else max_chars
        parts.append(line[:cut])
        line = line[cut:]
    if line:
        parts.append(line)
    return parts
