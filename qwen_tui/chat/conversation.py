"""Which saved messages are sent back to the model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qwen_tui.chat.messages import ChatMessage

INTERRUPTED_CALL = "The call did not run: the turn was stopped before it could."


def api_messages(
    messages: Sequence[ChatMessage], *, system_prompt: str | None = None
) -> list[dict[str, Any]]:
    """The conversation as the chat-completions API expects it.

    Reasoning is never sent back. An assistant answer that was cut short and then
    answered again (a retry) is replaced by the later one; one that was cut short and
    left is sent as far as it got, so the model sees what the user saw. Empty answers
    are dropped, unless they asked for tool calls. Every tool call is followed by a
    result, as the API requires: one the turn was stopped before is answered with
    :data:`INTERRUPTED_CALL`, and a result whose call is not in the history is left out.
    """
    result: list[dict[str, Any]] = []
    if system_prompt:
        result.append({"role": "system", "content": system_prompt})
    pending: list[str] = []  # ids of calls still waiting for their result
    for index, message in enumerate(messages):
        if message.role == "tool":
            if message.tool_call_id in pending:
                pending.remove(message.tool_call_id)
                result.append(message.to_api())
            continue
        result.extend(_unanswered(pending))
        pending = []
        if message.role == "assistant" and not message.tool_calls:
            following = messages[index + 1] if index + 1 < len(messages) else None
            if not message.content.strip():
                continue
            if following is not None and following.role == "assistant":
                continue
        result.append(message.to_api())
        pending = [call.id for call in message.tool_calls]
    result.extend(_unanswered(pending))
    return result


def _unanswered(ids: list[str]) -> list[dict[str, Any]]:
    return [{"role": "tool", "tool_call_id": i, "content": INTERRUPTED_CALL} for i in ids]


def last_user_index(messages: Sequence[ChatMessage]) -> int | None:
    """Index of the last user message, for retry."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return None
