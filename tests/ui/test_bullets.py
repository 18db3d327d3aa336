"""Bullet points wrap under their text, not under the bullet (Privacy tab, the question)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from qwen_tui.privacy import texts_for
from qwen_tui.ui.screens.usage_question import UsageStatisticsQuestion
from qwen_tui.ui.widgets.bullets import BulletList
from tests.support.ui_helpers import make_app, wait_until
from tests.ui.test_settings_screen import choose_qwen_oauth, open_settings


def hanging(lists: list[BulletList]) -> bool:
    """Whether some item wraps, and every item's lines start right of its bullet."""
    wrapped = False
    for bullets in lists:
        for mark, text in zip(
            bullets.query(".bullet-mark").results(Static),
            bullets.query(".bullet-text").results(Static),
            strict=True,
        ):
            if text.region.width == 0:
                return False
            if text.region.x != mark.region.x + 2 or text.region.y != mark.region.y:
                return False
            wrapped = wrapped or text.region.height > 1
            for y in range(text.region.height):
                line = text.render_line(y).text
                if line.strip() and line[0] == " ":
                    return False  # a continuation indented inside the text column
    return wrapped


async def test_privacy_tab_bullets_wrap_under_their_text(isolated_home: Path) -> None:
    choose_qwen_oauth(isolated_home)
    app = make_app()
    async with app.run_test(size=(60, 45)) as pilot:
        screen = await open_settings(pilot, "/privacy")
        await wait_until(pilot, lambda: hanging(list(screen.query(BulletList))))
        shown = [str(s.render()) for s in screen.query(".bullet-text").results(Static)]
        assert shown == [*texts_for("en").collected, *texts_for("en").never]


class _QuestionApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("")

    def on_mount(self) -> None:
        self.push_screen(UsageStatisticsQuestion(texts_for("en")))


async def test_usage_question_bullets_wrap_under_their_text() -> None:
    app = _QuestionApp()
    async with app.run_test(size=(70, 50)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, UsageStatisticsQuestion))
        await wait_until(pilot, lambda: hanging(list(app.screen.query(BulletList))))
