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
class Finished:
    """The answer ended normally; ``reason`` is the server's ``finish_reason``."""

    reason: str | None


@dataclass(frozen=True)
class ChatFailure:
    """The answer could not be (fully) produced.

    Attributes:
        kind: what went wrong, for the screen to choose a remedy.
        message: plain words for the user, with the fix; never contains a secret.
        retry_after: seconds the server asked us to wait (429), if it said.
        status: HTTP status, when there was one.
        models: the server's model list, when the model was not found.
    """

    kind: FailureKind
    message: str
    retry_after: float | None = None
    status: int | None = None
    models: tuple[str, ...] = ()

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again may succeed without user changes."""
        return self.kind in {"rate_limit", "server", "connect", "timeout", "interrupted"}


ChatEvent = TextDelta | ReasoningDelta | UsageReport | Finished | ChatFailure
