"""How the chat screen looks: SVG snapshots (pytest-textual-snapshot), real server.

Run ``pytest --snapshot-update`` after a deliberate change of look, and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from qwen_tui.ui.widgets.streaming_markdown import MarkdownPiece
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import OpenAIServer, openai_server
from tests.support.ui_helpers import make_app, wait_until

KEY = "sk-chat-snapshot-key-1234"
SIZE = (100, 36)
ANSWER = [
    "Use a **list comprehension**:\n\n",
    "```python\n",
    "squares = [n * n for n in range(5)]\n",
    "```\n\n",
    "It gives `[0, 1, 4, 9, 16]`.",
]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY, chat_pieces=ANSWER) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_MODEL", "test-model")
        # The status line shows how long the answer took: fix it for a stable picture.
        monkeypatch.setattr(ChatScreen, "_elapsed_text", lambda self, seconds: "1.2 s")
        yield running


async def _ask(pilot: Pilot[Any], text: str, answers: int) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.chat is not None)
    # A steady cursor from the start: a blink caught half-way would differ per run.
    screen.query_one(PromptInput).cursor_blink = False
    screen.query_one(PromptInput).load_text(text)
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: len(screen.query(AssistantMessage)) == answers and not screen._answering
    )
    await pilot.pause()


def test_chat_screen_answer_and_broken_answer(snap_compare: Any, server: OpenAIServer) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _ask(pilot, "How do I square numbers in Python?", 1)
        server.options.chat_pieces = ["It was ", "going well ", "until"]
        server.options.drop_after = 2
        await _ask(pilot, "And cubes?", 2)
        await pilot.pause()

    app = make_app(keyring_backend=MemoryKeyring())
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_chat_screen_mid_stream(snap_compare: Any, server: OpenAIServer) -> None:
    server.options.chat_pieces = [
        "First, read the file:\n\n",
        "```python\n",
        "with open(path) as f:\n",
        "    data = f.read()\n",
        "```\n\n",
        "Then parse it with",
        " never sent",
    ]
    server.options.stall_after = 6

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ChatScreen)
        await wait_until(pilot, lambda: screen.chat is not None)
        screen.query_one(PromptInput).cursor_blink = False  # steady cursor
        screen.query_one(PromptInput).load_text("How do I load a file?")
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: any(a.text.endswith("parse it with") for a in screen.query(AssistantMessage)),
        )
        # Received is not yet shown: wait for the frame that puts it on the screen.
        await wait_until(
            pilot,
            lambda: any(p.source.endswith("parse it with") for p in screen.query(MarkdownPiece)),
        )

    app = make_app(keyring_backend=MemoryKeyring())
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
