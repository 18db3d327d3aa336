"""How full the context is, the prompt's token estimate, /compress and an overflowing
conversation, in the chat screen against the scripted server."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from qwen_tui.agent.mentions import estimate_prompt
from qwen_tui.chat.compress import SUMMARY_ACK, SUMMARY_INSTRUCTION, SUMMARY_INTRO
from qwen_tui.tools import Workspace
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from tests.support.servers.openai_server import OpenAIServer, ScriptedError, Turn
from tests.support.ui_helpers import wait_until
from tests.ui.test_chat_agent import SIZE, agent_app, answered, connected, done, notes, send, status
from tests.ui.test_chat_agent import project as project
from tests.ui.test_chat_agent import server as server
from tests.ui.test_chat_screen import notice, prompt_words

CHAT = "/v1/chat/completions"


async def test_the_status_line_shows_how_full_the_context_is(
    server: OpenAIServer, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QWEN_TUI_MODEL__CONTEXT_WINDOW", "2000")
    server.options.script = [Turn(["Four", " pieces", " of", " text"]), Turn(["More."])]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        line = screen.query_one("#status-line")
        assert "ctx 0%" in status(screen) and not line.has_class("context-full")
        await send(pilot, screen, "word " * 300)
        await wait_until(pilot, lambda: answered(screen, 1))
        used = prompt_words(server.requests[-1]) + 4  # the server's usage: words, pieces
        percent = round(100 * used / 2000)
        assert percent < 80
        await wait_until(pilot, lambda: f"ctx {percent}%" in status(screen))
        assert not line.has_class("context-full") and "/compress" not in status(screen)
        await send(pilot, screen, "word " * 1200)
        await wait_until(pilot, lambda: answered(screen, 2))
        used = prompt_words(server.requests[-1]) + 1
        full = f"ctx {round(100 * used / 2000)}% (/compress)"
        await wait_until(pilot, lambda: full in status(screen))
        assert line.has_class("context-full")


async def test_the_estimate_counts_the_typed_prompt_and_its_attachments(
    server: OpenAIServer, project: Path
) -> None:
    (project / "big.txt").write_text("some data\n" * 1000)  # 10,000 characters
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        prompt = screen.query_one(PromptInput)
        prompt.load_text("x" * 4000)
        await wait_until(pilot, lambda: "prompt ~1.0k tok" in status(screen))
        text = "look at @big.txt please"
        prompt.load_text(text)
        expected = estimate_prompt(text, Workspace(project))
        assert expected > 2500
        await wait_until(pilot, lambda: screen.prompt_tokens == expected)
        assert f"prompt ~{expected / 1000:.1f}k tok" in status(screen)
        prompt.load_text("")
        await wait_until(pilot, lambda: "prompt ~" not in status(screen))


async def test_compress_replaces_the_older_turns_and_the_next_request_sends_that(
    server: OpenAIServer, project: Path
) -> None:
    server.options.script = [
        Turn(["First answer."]),
        Turn(["Second answer."]),
        Turn(["Third answer."]),
        Turn(["We talked about ", "the calculator."]),
        Turn(["Fourth answer."]),
    ]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        for number, prompt in enumerate(["first", "second", "third"], start=1):
            await send(pilot, screen, prompt)
            await wait_until(pilot, lambda n=number: answered(screen, n))  # type: ignore[misc]
        await send(pilot, screen, "/compress")
        await wait_until(pilot, lambda: any(n.startswith("Compressed:") for n in notes(screen)))
        summarising = server.requests[-1].json()
        assert "tools" not in summarising
        assert summarising["messages"][-1] == {"role": "user", "content": SUMMARY_INSTRUCTION}
        assert [m["content"] for m in summarising["messages"][1:-1]] == [
            "first",
            "First answer.",
        ]
        (said,) = [n for n in notes(screen) if n.startswith("Compressed:")]
        assert "1 earlier turn (2 messages)" in said and "We talked about the calculator." in said
        assert "→" in said
        await wait_until(pilot, lambda: done(screen))
        await send(pilot, screen, "fourth")
        await wait_until(pilot, lambda: len(screen.session.messages) == 8 and done(screen))
        sent = server.requests[-1].json()["messages"]
        assert [m["content"] for m in sent[1:]] == [
            SUMMARY_INTRO + "We talked about the calculator.",
            SUMMARY_ACK,
            "second",
            "Second answer.",
            "third",
            "Third answer.",
            "fourth",
        ]
        session_id = screen.session.id
        kept = list(screen.session.messages)
    async with agent_app(project, resume=session_id).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        assert [m.content for m in screen.session.messages] == [m.content for m in kept]
        assert screen.session.messages[0].summary


async def test_compress_with_one_turn_says_there_is_nothing_to_do(
    server: OpenAIServer, project: Path
) -> None:
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "only one")
        await wait_until(pilot, lambda: answered(screen, 1))
        requests = len(server.requests)
        await send(pilot, screen, "/compress")
        await wait_until(pilot, lambda: any("Nothing to compress" in n for n in notes(screen)))
        assert len(server.requests) == requests


async def test_an_overflowing_conversation_says_to_compress_or_clear(
    server: OpenAIServer, project: Path
) -> None:
    server.options.errors[CHAT] = ScriptedError(
        400,
        "This model's maximum context length is 8192 tokens. However, your messages "
        "resulted in 9100 tokens.",
        code="context_length_exceeded",
    )
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "hello")
        await wait_until(pilot, lambda: done(screen) and screen._last_failure is not None)
        failure = screen._last_failure
        assert failure is not None and failure.kind == "context_overflow"
        (answer,) = screen.query(AssistantMessage)
        shown = notice(answer)
        assert "longer than the model's context window" in shown
        assert "/compress" in shown and "/clear" in shown


async def test_attachments_are_read_off_the_event_loop(
    server: OpenAIServer, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qwen_tui.agent import mentions

    threads: list[str] = []
    expand = mentions.expand_mentions

    def recording(prompt: str, workspace: Workspace) -> mentions.Expanded:
        threads.append(threading.current_thread().name)
        return expand(prompt, workspace)

    monkeypatch.setattr(mentions, "expand_mentions", recording)
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "explain @calc.py")
        await wait_until(pilot, lambda: answered(screen, 1))
        assert "Content of @calc.py" in screen.session.messages[0].content
    assert threads and threading.main_thread().name not in threads
