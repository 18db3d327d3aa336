"""Answers follow the theme: a change repaints them, and NO_COLOR keeps them legible."""

from __future__ import annotations

import pytest
from rich.style import Style
from textual.app import App, ComposeResult

from qwen_tui.ui.widgets.streaming_markdown import MarkdownPiece, StreamingMarkdown
from tests.support.ui_helpers import wait_until

ANSWER = "Some text.\n\n```python\nanswer = 42\n```\n"


class _AnswerApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StreamingMarkdown(ANSWER)


def _colours(app: _AnswerApp) -> set[str]:
    """Every background colour the answer's lines are drawn with."""
    colours: set[str] = set()
    for piece in app.query(MarkdownPiece):
        for y in range(piece.size.height):
            for segment in piece.render_line(y):
                if segment.style is not None and segment.style.bgcolor is not None:
                    colours.add(str(segment.style.bgcolor.triplet or segment.style.bgcolor.name))
    return colours


async def test_code_blocks_rendered_before_a_theme_change_take_the_new_theme() -> None:
    app = _AnswerApp()
    app.theme = "textual-dark"
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_until(pilot, lambda: bool(_colours(app)))
        dark = _colours(app)
        app.theme = "textual-light"
        await wait_until(pilot, lambda: _colours(app) != dark and bool(_colours(app)))
        light = _colours(app)
        assert not dark & light, (dark, light)


class _HeadingsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StreamingMarkdown("Body text.\n\n## Sub heading\n\n#### Small heading\n")


def _styles_of(app: App[None]) -> dict[str, Style]:
    """The style each piece of the answer's text is drawn in."""
    styles: dict[str, Style] = {}
    for piece in app.query(MarkdownPiece):
        for y in range(piece.size.height):
            for segment in piece.render_line(y):
                if segment.text.strip() and segment.style is not None:
                    styles[segment.text.strip()] = segment.style
    return styles


async def test_headings_under_no_color_stand_out_without_colour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Textual draws colours as greys under NO_COLOR: a coloured heading turns dark."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = _HeadingsApp()
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_until(pilot, lambda: "Small heading" in _styles_of(app))
        styles = _styles_of(app)
        body = styles["Body text."]
        for heading in ("Sub heading", "Small heading"):
            assert styles[heading].color == body.color, heading
            assert styles[heading].bold, heading
