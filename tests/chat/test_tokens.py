"""The token estimate and how full the context is."""

from __future__ import annotations

from qwen_tui.chat.messages import ChatMessage, Usage
from qwen_tui.chat.tokens import (
    DEFAULT_CONTEXT_WINDOW,
    ContextUse,
    context_window,
    conversation_tokens,
    estimate_tokens,
    short_count,
)


def test_the_estimate_is_four_characters_a_token() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    assert estimate_tokens("x" * 4000) == 1000


def test_the_servers_count_wins_and_what_follows_is_estimated() -> None:
    messages = [
        ChatMessage("user", "x" * 400),
        ChatMessage("assistant", "ok", usage=Usage(5000, 20)),
        ChatMessage("user", "y" * 400),
    ]
    assert conversation_tokens(messages) == 5020 + 4 + 100
    assert conversation_tokens(messages[:1], overhead=10) == 10 + 4 + 100
    assert conversation_tokens(messages, overhead=10) == 5020 + 4 + 100  # counted in usage


def test_counts_from_before_a_compress_are_not_used() -> None:
    old = ChatMessage("assistant", "ok", usage=Usage(90_000, 20), created=1.0)
    summary = ChatMessage("user", "z" * 40, summary=True, created=2.0)
    ack = ChatMessage("assistant", "ok", summary=True, created=2.0, usage=Usage(90_000, 5))
    assert conversation_tokens([summary, ack, old]) == (4 + 10) + (4 + 1) + (4 + 1)
    newer = ChatMessage("assistant", "ok", usage=Usage(300, 2), created=3.0)
    assert conversation_tokens([summary, ack, old, newer]) == 302


def test_the_context_window_comes_from_the_setting_the_family_or_the_default() -> None:
    assert context_window("qwen3-coder-plus", 32_000) == 32_000
    assert context_window("qwen3-coder-plus") == 1_000_000
    assert context_window("openai/gpt-4o-mini") == 128_000
    assert context_window("my-local-model") == DEFAULT_CONTEXT_WINDOW
    assert context_window(None) == DEFAULT_CONTEXT_WINDOW


def test_percent_and_short_counts() -> None:
    assert ContextUse(34_000, 100_000).percent == 34
    assert ContextUse(150, 100).percent == 150
    assert [short_count(n) for n in (950, 1234, 34_567, 1_100_000)] == [
        "950",
        "1.2k",
        "34k",
        "1.1M",
    ]
