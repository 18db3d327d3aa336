"""Find where a growing Markdown text can be cut into finished blocks.

Streaming Markdown is cheap only if the part of an answer that can no longer change is
parsed once. A block is finished when a blank line follows it outside a code fence, or
when its closing fence has arrived. This scanner is incremental: each call looks only
at the text added since the last one, so its cost follows the new text, not the answer.
"""

from __future__ import annotations

import bisect
import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


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

    def scan(self, text: str) -> int:
        """Advance over the complete lines of ``text`` not seen yet; return ``stable_end``."""
        while True:
            newline = text.find("\n", self._scanned)
            if newline < 0:
                return self.stable_end
            line = text[self._scanned : newline]
            after = newline + 1
            self._scanned = after
            match = _FENCE.match(line)
            if self._fence is not None:
                if (
                    match
                    and match.group(1)[0] == self._fence[0]
                    and len(match.group(1)) >= len(self._fence)
                    and not line.strip()[len(match.group(1)) :].strip()
                ):
                    self._fence = None
                    self._mark(after)
                continue
            if match:
                self._fence = match.group(1)
                continue
            if not line.strip():
                self._mark(after)
