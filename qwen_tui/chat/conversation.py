"""Which saved messages are sent back to the model."""

from __future__ import annotations

from collections.abc import Sequence

from qwen_tui.chat.messages import ChatMessage


def api_messages(
    messages: Sequence[ChatMessage], *, system_prompt: str | None = None
) -> list[dict[str, str]]:
    """The conversation as the chat-completions API expects it.

    Reasoning is never sent back. An assistant answer that was cut short and then
    answered again (a retry) is replaced by the later one; one that was cut short and
    left is sent as far as it got, so the model sees what the user saw. Empty answers
    are dropped.
    """
    result: list[dict[str, str]] = []
    if system_prompt:
        result.append({"role": "system", "content": system_prompt})
    for index, message in enumerate(messages):
        if message.role == "assistant":
            following = messages[index + 1] if index + 1 < len(messages) else None
            if not message.content.strip():
                continue
            if following is not None and following.role == "assistant":
                continue
        result.append(message.to_api())
    return result


def last_user_index(messages: Sequence[ChatMessage]) -> int | None:
    """Index of the last user message, for retry."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return None
