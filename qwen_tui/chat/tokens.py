"""How many tokens a text or a conversation holds, and how full the model's context is.

An estimate, not a count: about four characters per token, the rule of thumb OpenAI
and Qwen give for English text and code. A real tokenizer would need the model's own
vocabulary (tiktoken downloads it on first use, and Qwen's is another one again), which
the app may not fetch and which differs from provider to provider; the estimate is
labelled ``~`` wherever it is shown. Where the server reported ``usage`` for an
answer, that count is used instead and only what came after it is estimated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from qwen_tui.chat.messages import ChatMessage

CHARS_PER_TOKEN = 4
"""Characters per token of the estimate."""

MESSAGE_OVERHEAD = 4
"""Tokens each message costs beyond its text (its role and separators in the chat
template)."""

DEFAULT_CONTEXT_WINDOW = 131_072
"""Context window assumed when neither ``model.contextWindow`` nor the table of known
models says (128K tokens, what most current coding models offer at least)."""

KNOWN_CONTEXT_WINDOWS: tuple[tuple[str, int], ...] = (
    # Model-id prefixes, most specific first, with the windows their providers publish.
    ("qwen3-coder-plus", 1_000_000),
    ("qwen3-coder-flash", 1_000_000),
    ("qwen3-coder", 262_144),
    ("qwen-turbo", 1_000_000),
    ("qwen-plus", 131_072),
    ("qwen-max", 32_768),
    ("qwen3", 131_072),
    ("qwen2.5-coder", 32_768),
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("gpt-5", 400_000),
    ("o3", 200_000),
    ("o4-mini", 200_000),
    ("deepseek", 65_536),
)
"""Context windows of model families whose size is published, matched by the model
id's start (an OpenRouter id's ``vendor/`` prefix is ignored)."""


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` holds, estimated (see the module docstring)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def message_tokens(message: ChatMessage) -> int:
    """Tokens one message costs when it is sent (reasoning is never sent back)."""
    arguments = sum(len(call.name) + len(call.arguments) for call in message.tool_calls)
    return (
        MESSAGE_OVERHEAD + estimate_tokens(message.content) + math.ceil(arguments / CHARS_PER_TOKEN)
    )


def estimate_messages(messages: Sequence[ChatMessage]) -> int:
    """Tokens of ``messages`` as sent, all estimated."""
    return sum(message_tokens(message) for message in messages)


def conversation_tokens(messages: Sequence[ChatMessage], overhead: int = 0) -> int:
    """Tokens the conversation fills in the model's context.

    The last answer the server counted gives its prompt and answer tokens (the system
    prompt and the tools' definitions included); what was added after it is estimated.
    Counts made before a ``/compress`` describe the longer conversation it replaced, so
    they are not used. Without a count, everything is estimated, and ``overhead`` (the
    system prompt's and the tools' tokens, which a count includes) is added.
    """
    compressed_at = max((m.created for m in messages if m.summary), default=None)
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        usage = message.usage
        if compressed_at is not None and message.created < compressed_at:
            break
        if usage is not None and usage.prompt_tokens and not message.summary:
            counted = usage.prompt_tokens + usage.completion_tokens
            return counted + estimate_messages(messages[index + 1 :])
    return overhead + estimate_messages(messages)


def context_window(model: str | None, configured: int | None = None) -> int:
    """The context window of ``model``: ``configured`` (``model.contextWindow``) when
    set, else the known size of its family, else :data:`DEFAULT_CONTEXT_WINDOW`."""
    if configured:
        return configured
    name = (model or "").lower().rsplit("/", 1)[-1]
    for prefix, window in KNOWN_CONTEXT_WINDOWS:
        if name.startswith(prefix):
            return window
    return DEFAULT_CONTEXT_WINDOW


@dataclass(frozen=True)
class ContextUse:
    """How much of the model's context a conversation fills.

    Attributes:
        used: tokens of the conversation (see :func:`conversation_tokens`).
        window: the model's context window (see :func:`context_window`).
    """

    used: int
    window: int

    @property
    def percent(self) -> int:
        """``used`` as a whole percentage of ``window`` (over 100 when it overflows)."""
        return round(100 * self.used / self.window) if self.window else 0


def short_count(tokens: int) -> str:
    """A token count as the status line shows it: ``950``, ``1.2k``, ``34k``, ``1.1M``."""
    if tokens < 1000:
        return str(tokens)
    if tokens < 10_000:
        return f"{tokens / 1000:.1f}k"
    if tokens < 1_000_000:
        return f"{tokens // 1000}k"
    return f"{tokens / 1_000_000:.1f}M"
