"""Streamed tool calls: offered, put together from their pieces, sent back, saved."""

from __future__ import annotations

import json

from qwen_tui.chat.conversation import INTERRUPTED_CALL, api_messages
from qwen_tui.chat.events import Finished, TextDelta, ToolCall, ToolCallsRequested
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.tools import SPECS
from tests.chat.test_chat_service import KEY, PROMPT, service_for
from tests.support.servers.openai_server import Call, Turn, openai_server

TOOLS = [spec.schema() for spec in SPECS]


async def test_parallel_calls_streamed_in_pieces_come_out_whole() -> None:
    script = [
        Turn(
            text=["Let me look."],
            calls=[
                Call("read_file", {"file_path": "src/main.py", "limit": 40}, pieces=5),
                Call("grep_search", {"pattern": "def \\w+\\(", "glob": "*.py"}, pieces=7),
            ],
        )
    ]
    with openai_server(api_key=KEY, script=script) as server:
        service = service_for(server.base_url)
        events = [event async for event in service.stream(PROMPT, tools=TOOLS)]
        await service.aclose()
        body = server.requests[-1].json()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Let me look."
    requested = [e for e in events if isinstance(e, ToolCallsRequested)]
    assert len(requested) == 1
    first, second = requested[0].calls
    assert first.name == "read_file"
    assert json.loads(first.arguments) == {"file_path": "src/main.py", "limit": 40}
    assert second.name == "grep_search"
    assert json.loads(second.arguments) == {"pattern": "def \\w+\\(", "glob": "*.py"}
    assert first.id.startswith("call_") and first.id != second.id
    assert isinstance(events[-1], Finished) and events[-1].reason == "tool_calls"
    assert [tool["function"]["name"] for tool in body["tools"]] == [s.name for s in SPECS]


async def test_without_tools_the_request_offers_none() -> None:
    with openai_server(api_key=KEY) as server:
        service = service_for(server.base_url)
        events = [event async for event in service.stream(PROMPT)]
        await service.aclose()
        body = server.requests[-1].json()
    assert "tools" not in body
    assert not any(isinstance(e, ToolCallsRequested) for e in events)


def test_tool_calls_and_results_are_sent_back_as_the_api_wants() -> None:
    call = ToolCall("call_1", "read_file", '{"file_path": "a.py"}')
    messages = [
        ChatMessage("user", "fix it"),
        ChatMessage("assistant", "", tool_calls=(call,)),
        ChatMessage("tool", "print(1)\n", tool_call_id="call_1", tool_name="read_file"),
        ChatMessage("assistant", "Done."),
    ]
    assert api_messages(messages) == [
        {"role": "user", "content": "fix it"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"file_path": "a.py"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "print(1)\n"},
        {"role": "assistant", "content": "Done."},
    ]


def test_a_call_without_a_result_is_answered_and_a_stray_result_dropped() -> None:
    calls = (ToolCall("a", "glob", "{}"), ToolCall("b", "glob", "{}"))
    messages = [
        ChatMessage("user", "go"),
        ChatMessage("assistant", "", tool_calls=calls),
        ChatMessage("tool", "found", tool_call_id="a"),
        ChatMessage("tool", "stray", tool_call_id="zzz"),
        ChatMessage("user", "and now?"),
    ]
    sent = api_messages(messages)
    tool_messages = [m for m in sent if m["role"] == "tool"]
    assert tool_messages == [
        {"role": "tool", "tool_call_id": "a", "content": "found"},
        {"role": "tool", "tool_call_id": "b", "content": INTERRUPTED_CALL},
    ]
    assert sent[-1] == {"role": "user", "content": "and now?"}


def test_tool_messages_survive_the_session_file_round_trip() -> None:
    call = ToolCall("call_9", "edit", '{"file_path": "x"}')
    answer = ChatMessage("assistant", "Editing.", tool_calls=(call,))
    diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n"
    result = ChatMessage("tool", "Changed x.", tool_call_id="call_9", tool_name="edit", diff=diff)
    for message in (answer, result):
        record = json.loads(json.dumps(message.to_record()))
        assert ChatMessage.from_record(record) == message
    assert result.to_api() == {"role": "tool", "tool_call_id": "call_9", "content": "Changed x."}
    broken = answer.to_record() | {"toolCalls": [{"id": 1}, "junk"]}
    assert ChatMessage.from_record(broken).tool_calls == ()


def test_the_accumulator_builds_the_message_the_conversation_keeps() -> None:
    from qwen_tui.chat.answer import AnswerAccumulator
    from qwen_tui.chat.events import ChatFailure, ReasoningDelta, UsageReport

    call = ToolCall("c1", "glob", "{}")
    done = AnswerAccumulator()
    for event in (
        ReasoningDelta("thinking"),
        TextDelta("Let me "),
        TextDelta("look."),
        UsageReport(10, 3),
        ToolCallsRequested((call,)),
        Finished("tool_calls"),
    ):
        done.feed(event)
    message = done.message("m1")
    assert message is not None and done.finished
    assert (message.content, message.reasoning, message.partial) == (
        "Let me look.",
        "thinking",
        False,
    )
    assert message.tool_calls == (call,) and message.model == "m1"
    assert message.usage is not None and message.usage.prompt_tokens == 10

    broken = AnswerAccumulator()
    broken.feed(TextDelta("half"))
    broken.feed(ChatFailure("interrupted", "The connection closed."))
    cut = broken.message("m1")
    assert cut is not None and cut.partial and cut.error == "The connection closed."
    assert not broken.finished and cut.tool_calls == ()
    assert AnswerAccumulator().message("m1") is None
