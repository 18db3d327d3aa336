"""Pure helpers of the chat: think-tag splitting, block boundaries, API messages, faults."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qwen_tui.chat.blocks import BlockScanner
from qwen_tui.chat.failures import failure_from_status
from qwen_tui.chat.sse import StreamError, iter_chunks
from qwen_tui.chat.think import ThinkSplitter
from qwen_tui.net.retry_after import parse_retry_after
from qwen_tui.text.redact import redact
from qwen_tui.ui.failure_text import failure_text


def split_all(chunks: list[str]) -> tuple[str, str]:
    splitter = ThinkSplitter()
    answer, reasoning = [], []
    for chunk in chunks:
        a, r = splitter.feed(chunk)
        answer.append(a)
        reasoning.append(r)
    a, r = splitter.flush()
    return "".join(answer) + a, "".join(reasoning) + r


def test_think_tags_split_across_chunks() -> None:
    assert split_all(["<thi", "nk>plan", " it</th", "ink>Answer"]) == ("Answer", "plan it")


def test_text_that_only_looks_like_a_tag_is_kept() -> None:
    assert split_all(["a <b> and <th", "ing>"]) == ("a <b> and <thing>", "")
    assert split_all(["ends with <thi"]) == ("ends with <thi", "")


@given(
    st.text(alphabet="ab<>/thinkx ", max_size=40),
    st.text(alphabet="ab xy", max_size=30),
    st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=30),
)
def test_any_chunking_gives_the_same_split(answer: str, thought: str, sizes: list[int]) -> None:
    answer = answer.replace("<think>", "").replace("</think>", "")
    text = f"<think>{thought}</think>{answer}"
    chunks, position, index = [], 0, 0
    while position < len(text):
        size = sizes[index % len(sizes)]
        chunks.append(text[position : position + size])
        position += size
        index += 1
    assert split_all(chunks) == split_all([text]) == (answer, thought)


def scan_stream(text: str, step: int) -> int:
    scanner = BlockScanner()
    end = 0
    for stop in range(step, len(text) + step, step):
        end = scanner.scan(text[:stop])
    return end


def test_blocks_end_at_blank_lines_outside_fences() -> None:
    text = "# Title\n\npara\nmore\n\n```py\nx = 1\n\ny = 2\n```\ntail text"
    for step in (1, 3, 100):
        assert (
            text[: scan_stream(text, step)]
            == "# Title\n\npara\nmore\n\n```py\nx = 1\n\ny = 2\n```\n"
        )


def test_open_fence_keeps_everything_after_it_open() -> None:
    text = "intro\n\n~~~\ncode\n\nmore code\n"
    assert text[: scan_stream(text, 2)] == "intro\n\n"


def test_shorter_or_other_fence_does_not_close() -> None:
    text = "````\n```\nstill code\n~~~\n\n````\n"
    assert scan_stream(text, 1) == len(text)
    assert text[: scan_stream(text[:-6], 1)] == ""


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "7"}) == 7
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480) == 10
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


def test_status_classification_and_redaction() -> None:
    body = {
        "error": {"message": "Incorrect API key provided: sk-abcdef123", "code": "invalid_api_key"}
    }
    failure = failure_from_status(401, body, {}, ["sk-abcdef123"])
    assert failure.kind == "auth"
    assert "sk-abcdef123" not in failure.message
    assert "/auth" in failure_text(failure)
    quota = failure_from_status(429, {"error": {"code": "insufficient_quota", "message": "x"}}, {})
    assert quota.kind == "quota"
    limited = failure_from_status(429, {}, {"Retry-After": "3"})
    assert (limited.kind, limited.retry_after) == ("rate_limit", 3)
    overflow = failure_from_status(
        400, {"error": {"code": "context_length_exceeded", "message": "too many tokens"}}, {}
    )
    assert overflow.kind == "context_overflow"
    assert failure_from_status(503, {}, {}).kind == "server"
    assert redact("key=abcd1234", ["abcd1234", None, ""]) == "key=[redacted]"


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def test_sse_lines_are_decoded_per_spec() -> None:
    chunks = [
        chunk
        async for chunk in iter_chunks(
            _lines(
                ": keep-alive",
                "",
                "event: message",
                'data: {"a": 1}',
                'data:{"b": 2}',
                "data: [DONE]",
                'data: {"after": "done"}',
            )
        )
    ]
    assert chunks == [{"a": 1}, {"b": 2}]


async def test_sse_error_object_and_malformed_line() -> None:
    with pytest.raises(StreamError) as info:
        [
            c
            async for c in iter_chunks(
                _lines('data: {"error": {"message": "overloaded", "code": "x"}}')
            )
        ]
    assert (info.value.message, info.value.code) == ("overloaded", "x")
    with pytest.raises(ValueError):
        [c async for c in iter_chunks(_lines("data: {not json"))]
