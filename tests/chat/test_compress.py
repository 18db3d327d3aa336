"""/compress against the scripted server: one summarising request, the recent turns and
their tool calls kept, the result saved so that a reopened session continues from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qwen_tui.chat.compress import (
    CUT_MARK,
    SUMMARY_ACK,
    SUMMARY_INSTRUCTION,
    SUMMARY_INTRO,
    CompressFailed,
    NothingToCompress,
    compress_conversation,
    cut_index,
    fit_request,
)
from qwen_tui.chat.conversation import api_messages
from qwen_tui.chat.events import ToolCall
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.sessions import SessionStore
from qwen_tui.chat.tokens import estimate_tokens
from tests.chat.test_chat_service import KEY, service_for
from tests.support.servers.openai_server import ScriptedError, Turn, openai_server

CALL = ToolCall("call_7", "read_file", '{"file_path": "calc.py"}')


def conversation() -> list[ChatMessage]:
    """Three user turns; the last two hold a tool call and its result."""
    messages = [
        ChatMessage("user", "What does this project do?"),
        ChatMessage("assistant", "It is a calculator. " * 200),
        ChatMessage("user", "Read calc.py"),
        ChatMessage("assistant", "", tool_calls=(CALL,)),
        ChatMessage("tool", "def add(a, b): ...", tool_call_id="call_7", tool_name="read_file"),
        ChatMessage("assistant", "It adds."),
        ChatMessage("user", "Now make it subtract"),
        ChatMessage("assistant", "", tool_calls=(ToolCall("call_8", "edit", "{}"),)),
    ]
    return [dataclasses.replace(m, created=float(i)) for i, m in enumerate(messages)]


def test_the_cut_is_at_the_start_of_a_kept_user_turn() -> None:
    messages = conversation()
    assert cut_index(messages) == 2
    assert cut_index(messages, keep_turns=1) == 6
    assert cut_index(messages[:2]) == 0


async def test_the_summary_replaces_the_older_turns_and_the_recent_ones_stay() -> None:
    messages = conversation()
    script = [Turn(text=["The user asked ", "what the project does: a calculator."])]
    with openai_server(api_key=KEY, script=script) as server:
        service = service_for(server.base_url)
        done = await compress_conversation(service, messages, system_prompt="You work here.")
        await service.aclose()
        sent = server.requests[-1].json()
    assert "tools" not in sent
    assert sent["messages"] == [
        {"role": "system", "content": "You work here."},
        *api_messages(messages[:2]),
        {"role": "user", "content": SUMMARY_INSTRUCTION},
    ]
    assert done.replaced == 2 and done.turns_replaced == 1
    user, ack = done.summary
    assert user.content == SUMMARY_INTRO + "The user asked what the project does: a calculator."
    assert (user.role, ack.role, ack.content) == ("user", "assistant", SUMMARY_ACK)
    assert user.summary and ack.summary
    assert done.messages[2:] == messages[2:]  # the call and its result, and the open call
    assert done.tokens_after < done.tokens_before
    assert messages == conversation()  # the caller's list is not changed


async def test_the_next_request_sends_the_compressed_conversation(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider="custom", model="test-model")
    for message in conversation()[:6]:
        session.append(message)
    script = [Turn(text=["Summary: a calculator; calc.py read."]), Turn(text=["Sure."])]
    with openai_server(api_key=KEY, script=script) as server:
        service = service_for(server.base_url)
        done = await compress_conversation(service, session.messages)
        session.compress(done.replaced, done.summary)
        session.append(ChatMessage("user", "Thanks"))
        async for _ in service.stream(api_messages(session.messages)):
            pass
        await service.aclose()
        after = server.requests[-1].json()["messages"]
    session.close()
    roles = ["user", "assistant", "user", "assistant", "tool", "assistant", "user"]
    assert [m["role"] for m in after] == roles
    assert after[0]["content"].endswith("Summary: a calculator; calc.py read.")
    assert after[3]["tool_calls"][0]["id"] == "call_7" and after[4]["tool_call_id"] == "call_7"
    reopened = store.open(session.id)
    assert reopened.messages == session.messages
    assert reopened.messages[0].summary and reopened.skipped_lines == 0
    reopened.close()


async def test_a_failed_summary_changes_nothing() -> None:
    messages = conversation()
    error = ScriptedError(400, "This model's maximum context length is 8192 tokens.")
    with openai_server(api_key=KEY, errors={"/v1/chat/completions": error}) as server:
        service = service_for(server.base_url)
        with pytest.raises(CompressFailed) as raised:
            await compress_conversation(service, messages)
        await service.aclose()
    assert raised.value.failure.kind == "context_overflow"
    assert messages == conversation()


async def test_one_turn_is_nothing_to_compress() -> None:
    with openai_server(api_key=KEY) as server:
        service = service_for(server.base_url)
        with pytest.raises(NothingToCompress):
            await compress_conversation(service, conversation()[:2])
        await service.aclose()
        assert not [r for r in server.requests if r.path.endswith("/chat/completions")]


async def test_a_conversation_too_long_for_the_window_is_cut_to_fit_the_request() -> None:
    huge = "line of output\n" * 30_000  # 450,000 characters, about 112k tokens
    messages = [
        ChatMessage("user", "Read the log"),
        ChatMessage("assistant", "", tool_calls=(CALL,)),
        ChatMessage("tool", huge, tool_call_id="call_7", tool_name="read_file"),
        ChatMessage("assistant", "The log is long."),
        *conversation()[2:],
    ]
    with openai_server(api_key=KEY, script=[Turn(["Read a long log."])]) as server:
        service = service_for(server.base_url)
        done = await compress_conversation(service, messages, context_window=8192)
        await service.aclose()
        sent = server.requests[-1].json()["messages"]
    assert sum(estimate_tokens(str(m.get("content") or "")) for m in sent) <= 8192 * 0.75
    (result,) = [m for m in sent if m["role"] == "tool"]
    assert CUT_MARK in result["content"]
    assert result["content"].startswith("line of output\n") and result["content"].endswith("\n")
    assert sent[-1]["content"] == SUMMARY_INSTRUCTION
    assert done.replaced == 4
    assert messages[2].content == huge  # the conversation itself is not cut


def test_short_contents_are_not_cut() -> None:
    request = [{"role": "user", "content": "x" * 1000}, {"role": "user", "content": "go"}]
    fit_request(request, budget=10)
    assert request[0]["content"] == "x" * 1000
