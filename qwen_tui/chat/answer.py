"""One streamed answer, put together from its events: the one accumulator there is.

The agent loop feeds every chat event of a model request here, and the message it
saves (and the chat screen and ``-p`` show and report) is built from it, so what
"partial", "finished" and "usage" mean is decided once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qwen_tui.chat.events import (
    ChatEvent,
    ChatFailure,
    Finished,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    UsageReport,
)
from qwen_tui.chat.messages import ChatMessage, Usage


@dataclass
class AnswerAccumulator:
    """What an answer has said so far.

    Attributes:
        text: the visible answer's pieces.
        reasoning: the reasoning's pieces.
        usage: the token counts, when the server sent them.
        calls: the tool calls asked for (known once the answer finished).
        finish_reason: the server's ``finish_reason``; ``None`` until it ended normally.
        failure: what broke the answer off, if anything.
    """

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    usage: Usage | None = None
    calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    failure: ChatFailure | None = None

    def feed(self, event: ChatEvent) -> None:
        """Take one event of the answer's stream."""
        if isinstance(event, TextDelta):
            self.text.append(event.text)
        elif isinstance(event, ReasoningDelta):
            self.reasoning.append(event.text)
        elif isinstance(event, UsageReport):
            self.usage = Usage(event.prompt_tokens, event.completion_tokens)
        elif isinstance(event, ToolCallsRequested):
            self.calls = event.calls
        elif isinstance(event, Finished):
            self.finish_reason = event.reason or "stop"
        elif isinstance(event, ChatFailure):
            self.failure = event

    @property
    def finished(self) -> bool:
        """Whether the answer ended normally (not stopped, not broken off)."""
        return self.finish_reason is not None and self.failure is None

    def message(self, model: str | None) -> ChatMessage | None:
        """The answer as a message of the conversation; ``None`` when nothing at all
        arrived and nothing failed (a stop before the first token)."""
        text = "".join(self.text)
        if not text and not self.calls and not self.reasoning and self.failure is None:
            return None
        return ChatMessage(
            "assistant",
            text,
            reasoning="".join(self.reasoning),
            partial=not self.finished,
            model=model,
            usage=self.usage,
            error=None if self.failure is None else self.failure.message,
            tool_calls=self.calls if self.finished else (),
        )
