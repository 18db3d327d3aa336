"""A list of bullet points whose wrapped lines stay under their text.

Text with "  • " in front of each item wraps its second line to the left edge, under
the bullet, which makes long items hard to tell apart. Each item here is a row of two
widgets, the bullet and the text, so the text wraps within its own column.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from qwen_tui.ui.plain import plain


class BulletList(Vertical):
    """``items`` as bullet points, shown as plain text (never markup)."""

    DEFAULT_CSS = """
    BulletList {
        height: auto;
    }
    BulletList > Horizontal {
        height: auto;
        padding-left: 2;
    }
    BulletList .bullet-mark {
        width: 2;
    }
    BulletList .bullet-text {
        width: 1fr;
    }
    """

    def __init__(self, items: Iterable[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items = list(items)

    def compose(self) -> ComposeResult:
        for item in self.items:
            with Horizontal():
                yield Static("•", classes="bullet-mark")
                yield Static(plain(item), classes="bullet-text")
