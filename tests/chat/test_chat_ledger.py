"""The chat's requests in the network ledger: purpose ``chat``, and ``tool_output`` once
what a tool read is part of the conversation sent."""

from __future__ import annotations

from qwen_tui.chat.conversation import api_messages
from qwen_tui.chat.events import ToolCall
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.net import ledger
from tests.chat.test_chat_service import KEY, PROMPT, service_for
from tests.support.ledger_checks import assert_matches_server
from tests.support.servers.openai_server import openai_server

WITH_TOOL_OUTPUT = api_messages(
    [
        ChatMessage("user", "hello there"),
        ChatMessage("assistant", "", tool_calls=(ToolCall("c1", "read_file", "{}"),)),
        ChatMessage("tool", "print('plan')\n", tool_call_id="c1", tool_name="read_file"),
    ]
)


async def test_a_prompt_and_then_tool_output_are_told_apart(
    fresh_ledger: ledger.Ledger,
) -> None:
    with openai_server(api_key=KEY, chat_pieces=["ok"]) as server:
        service = service_for(server.base_url)
        async for _ in service.stream(PROMPT):
            pass
        async for _ in service.stream(WITH_TOOL_OUTPUT):
            pass
        await service.aclose()
    entries = [e.to_record() for e in fresh_ledger.entries()]
    assert [(e["purpose"], e["content"]) for e in entries] == [
        ("chat", "prompt"),
        ("chat", "tool_output"),
    ]
    assert_matches_server(entries, server)
    assert all(e["status"] == 200 for e in entries)
