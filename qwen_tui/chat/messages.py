"""One message of a conversation, as shown, sent to the model and saved to disk.

The same object serves three purposes with different needs: the screen shows the
reasoning and whether an answer broke off, the API must see only role and content,
and the session file must keep everything and still load when a newer or older
version of the app wrote it. Hence :meth:`ChatMessage.to_api` and the tolerant
:meth:`ChatMessage.from_record`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from qwen_tui.chat.events import ToolCall

Role = Literal["system", "user", "assistant", "tool"]
_ROLES: frozenset[str] = frozenset(get_args(Role))


@dataclass
class Usage:
    """Tokens a request used, as the server reported them.

    Attributes:
        prompt_tokens: Tokens of the conversation sent.
        completion_tokens: Tokens of the answer.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        """Sum two counts, so a session total is ``sum(..., Usage())``."""
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    def to_record(self) -> dict[str, int]:
        """The counts as plain JSON-ready data."""
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}

    @classmethod
    def from_record(cls, data: object) -> Usage | None:
        """Read counts saved by :meth:`to_record`; ``None`` when there is nothing usable.

        Saved files may be old, hand-edited or half-written, so anything that is not
        a non-negative whole number counts as zero rather than failing the load.
        """
        if not isinstance(data, dict):
            return None
        return cls(_count(data.get("prompt_tokens")), _count(data.get("completion_tokens")))


def _count(value: object) -> int:
    """A token count from saved data: a non-negative int, anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value


@dataclass
class ChatMessage:
    """A message of the conversation.

    Attributes:
        role: Who wrote it.
        content: The text; for an answer, what the model said (without reasoning).
        reasoning: The model's thinking, shown apart and never sent back to the model,
            because models are trained to see only their final answers in history.
        partial: The answer was stopped or broke off, so the user knows it is incomplete.
        model: The model that wrote an answer, since it can change mid-conversation.
        usage: Tokens the answer used, when the server said.
        error: A plain-words failure attached to a partial answer.
        created: When the message was made (seconds since the epoch).
        tool_calls: The tool calls an answer asked for (an assistant message).
        tool_call_id: The call a tool result answers (a ``tool`` message).
        tool_name: The tool that produced a result, for showing it again.
        diff: For the result of a change that was written, its unified diff, so that
            ``/resume`` shows what changed as it was shown live; never sent to the model.
        summary: The message stands for older turns that ``/compress`` replaced (the
            summary the model wrote, and its acknowledgement).
    """

    role: Role
    content: str
    reasoning: str = ""
    partial: bool = False
    model: str | None = None
    usage: Usage | None = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    tool_name: str | None = None
    diff: str | None = None
    summary: bool = False

    def to_api(self) -> dict[str, Any]:
        """The message as the chat-completions API takes it: role and content, plus the
        tool calls of an answer or the call id of a tool result."""
        if self.role == "tool":
            return {"role": "tool", "tool_call_id": self.tool_call_id, "content": self.content}
        if self.tool_calls:
            return {
                "role": self.role,
                "content": self.content or None,
                "tool_calls": [call.to_api() for call in self.tool_calls],
            }
        return {"role": self.role, "content": self.content}

    def to_record(self) -> dict[str, Any]:
        """Everything about the message as JSON-ready data, for the session file.

        Empty optional fields are left out to keep files small and readable.
        """
        record: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.reasoning:
            record["reasoning"] = self.reasoning
        if self.partial:
            record["partial"] = True
        if self.model is not None:
            record["model"] = self.model
        if self.usage is not None:
            record["usage"] = self.usage.to_record()
        if self.error is not None:
            record["error"] = self.error
        if self.tool_calls:
            record["toolCalls"] = [
                {"id": call.id, "name": call.name, "arguments": call.arguments}
                for call in self.tool_calls
            ]
        if self.tool_call_id is not None:
            record["toolCallId"] = self.tool_call_id
        if self.tool_name is not None:
            record["toolName"] = self.tool_name
        if self.diff is not None:
            record["diff"] = self.diff
        if self.summary:
            record["summary"] = True
        record["created"] = self.created
        return record

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> ChatMessage:
        """Rebuild a message from :meth:`to_record` data.

        Unknown keys are ignored (a newer version may add some) and missing optional
        keys take their defaults (an older version may lack them).

        Raises:
            ValueError: When the role is not one we know or the content is not text,
                because such a message cannot be shown or sent back meaningfully.
        """
        role = data.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise ValueError(f"unknown message role {role!r}")
        content = data.get("content")
        if not isinstance(content, str):
            raise ValueError("message content is not text")
        created = data.get("created")
        return cls(
            role=cast(Role, role),
            content=content,
            reasoning=_text(data.get("reasoning")) or "",
            partial=data.get("partial") is True,
            model=_text(data.get("model")),
            usage=Usage.from_record(data.get("usage")),
            error=_text(data.get("error")),
            created=(
                float(created)
                if isinstance(created, int | float) and not isinstance(created, bool)
                else 0.0
            ),
            tool_calls=_tool_calls(data.get("toolCalls")),
            tool_call_id=_text(data.get("toolCallId")),
            tool_name=_text(data.get("toolName")),
            diff=_text(data.get("diff")),
            summary=data.get("summary") is True,
        )


def _text(value: object) -> str | None:
    """A string field from saved data, or ``None`` if it is missing or not a string."""
    return value if isinstance(value, str) else None


def _tool_calls(value: object) -> tuple[ToolCall, ...]:
    """Saved tool calls; entries that are not well-formed are left out."""
    if not isinstance(value, list):
        return ()
    calls = []
    for item in value:
        if isinstance(item, dict):
            call_id, name, arguments = (item.get(k) for k in ("id", "name", "arguments"))
            if isinstance(call_id, str) and isinstance(name, str) and isinstance(arguments, str):
                calls.append(ToolCall(call_id, name, arguments))
    return tuple(calls)
