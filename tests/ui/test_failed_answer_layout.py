"""A failed answer with nothing received is its failure notice alone: no empty line."""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_tui.ui.widgets.messages import AssistantMessage
from tests.support.servers.openai_server import closed_port
from tests.support.ui_helpers import wait_until
from tests.ui.test_chat_screen import SIZE, answer_done, answers, chat_app, connected, notice, send


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-unreachable-1234")
    monkeypatch.setenv("OPENAI_MODEL", "test-model")


def notice_on_first_line(answer: AssistantMessage) -> bool:
    shown = answer._notice
    return bool(notice(answer)) and shown.region.y == answer.content_region.y


async def test_each_failed_retry_is_one_notice_without_an_empty_answer_line(
    unreachable: None, isolated_home: Path
) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "hello")
        await wait_until(pilot, lambda: answer_done(screen, 1) and bool(notice(answers(screen)[0])))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: answer_done(screen, 2) and bool(notice(answers(screen)[1])))
        await wait_until(pilot, lambda: all(notice_on_first_line(a) for a in answers(screen)))
        for answer in answers(screen):
            assert answer.content_region.height == answer._notice.region.height
