"""What a streaming answer yields: small typed events, so screens never parse SDK objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FailureKind = Literal[
    "auth",
    "forbidden",
    "model_not_found",
    "rate_limit",
    "quota",
    "context_overflow",
    "bad_request",
    "server",
    "connect",
    "timeout",
    "interrupted",
    "malformed",
    "no_choices",
]

RETRYABLE_KINDS: frozenset[FailureKind] = frozenset(
    {"rate_limit", "server", "connect", "timeout", "interrupted"}
)
"""Failures after which the same request, sent again unchanged, may succeed."""

Remedy = Literal[
    "retry",
    "wait_and_retry",
    "ask_again",
    "raise_timeout",
    "check_server",
    "check_base_url",
    "new_key",
    "check_permissions",
    "switch_provider",
    "switch_to_api_key",
    "sign_in_qwen",
    "pick_model",
    "retry_or_pick_model",
    "shorten_conversation",
]
"""What the user can do about a failure, named apart from its wording: the TUI says
"press Ctrl+R", the command line says "run the command again", for the same remedy.
Each front end words every remedy its own way (``qwen_tui.ui.failure_text`` and
``qwen_tui.headless.failure_text``)."""


@dataclass(frozen=True)
class TextDelta:
    """A piece of the visible answer."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of the model's reasoning, shown apart from the answer."""

    text: str


@dataclass(frozen=True)
class UsageReport:
    """Token counts the server reported for this answer."""

    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for, its arguments as the JSON text it wrote.

    Attributes:
        id: the call's id, which the result must quote back.
        name: the tool's name (not checked here: the agent refuses unknown ones).
        arguments: the arguments, all streamed pieces joined (not parsed here).
    """

    id: str
    name: str
    arguments: str

    def to_api(self) -> dict[str, object]:
        """The call as an assistant message's ``tool_calls`` entry."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class ToolCallsRequested:
    """The answer ended by asking for tool calls (after any text); sent before
    :class:`Finished`."""

    calls: tuple[ToolCall, ...]


@dataclass(frozen=True)
class Finished:
    """The answer ended normally; ``reason`` is the server's ``finish_reason``."""

    reason: str | None


@dataclass(frozen=True)
class ChatFailure:
    """The answer could not be (fully) produced.

    Attributes:
        kind: what went wrong (also the telemetry error kind).
        message: plain words for what happened, without advice on what to do (that
            depends on the front end; see ``remedy``); never contains a secret. May
            quote the server, so show it through ``qwen_tui.text.neutralise()``.
        remedy: what the user can do about it, if anything is worth saying.
        retry_after: seconds the server asked us to wait (429), if it said.
        status: HTTP status, when there was one.
        models: the server's model list, when the model was not found.
    """

    kind: FailureKind
    message: str
    remedy: Remedy | None = None
    retry_after: float | None = None
    status: int | None = None
    models: tuple[str, ...] = ()

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again may succeed without user changes."""
        return self.kind in RETRYABLE_KINDS


ChatEvent = TextDelta | ReasoningDelta | UsageReport | ToolCallsRequested | Finished | ChatFailure
