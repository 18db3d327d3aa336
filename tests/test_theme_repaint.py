"""A theme change repaints what was rendered before it (Rich bakes colours into lines)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from qwen_tui.ui.widgets.streaming_markdown import MarkdownPiece, StreamingMarkdown
from tests.ui_helpers import wait_until

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
