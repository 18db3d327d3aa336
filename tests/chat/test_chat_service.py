"""The chat service against a real OpenAI-compatible SSE server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from qwen_tui.chat.events import (
    ChatEvent,
    ChatFailure,
    Finished,
    ReasoningDelta,
    TextDelta,
    UsageReport,
)
from qwen_tui.chat.service import ChatService
from qwen_tui.providers import ProviderRegistry
from qwen_tui.providers.registry import ActiveProvider
from qwen_tui.ui.failure_text import failure_text
from tests.support.servers.openai_server import ScriptedError, closed_port, openai_server
from tests.support.waiting import LOAD_SLACK

KEY = "sk-chat-key-987"
PROMPT = [{"role": "user", "content": "hello there"}]


def service_for(
    server_url: str, *, model: str = "test-model", key: str | None = KEY, timeout: float = 10.0
) -> ChatService:
    registry = ProviderRegistry()
    active = ActiveProvider(registry.get("custom"), server_url, model, key)
    return ChatService(
        active, timeout=timeout, list_models=lambda: registry.list_models(server_url, key)
    )


async def collect(service: ChatService) -> list[ChatEvent]:
    events = [event async for event in service.stream(PROMPT)]
    await service.aclose()
    return events


def text_of(events: list[ChatEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def failure_of(events: list[ChatEvent]) -> ChatFailure:
    assert isinstance(events[-1], ChatFailure), events[-1]
    return events[-1]


async def test_streams_text_usage_and_finish() -> None:
    with openai_server(api_key=KEY, chat_pieces=["Hel", "lo", " **world**"]) as server:
        events = await collect(service_for(server.base_url))
        body = server.requests[-1].json()
    assert text_of(events) == "Hello **world**"
    assert isinstance(events[-1], Finished) and events[-1].reason == "stop"
    usage = [e for e in events if isinstance(e, UsageReport)]
    assert usage == [UsageReport(prompt_tokens=2, completion_tokens=3)]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == PROMPT


async def test_think_tags_become_reasoning() -> None:
    pieces = ["<think>", "weigh", " options", "</think>\n\n", "Use a dict."]
    with openai_server(api_key=KEY, chat_pieces=pieces) as server:
        events = await collect(service_for(server.base_url))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == "weigh options"
    assert text_of(events) == "Use a dict."


async def test_stats_count_requests_and_tokens() -> None:
    with openai_server(api_key=KEY, chat_pieces=["a", "b"]) as server:
        service = service_for(server.base_url)
        for _ in range(2):
            [e async for e in service.stream(PROMPT)]
        await service.aclose()
    assert service.stats.requests == 2
    assert service.stats.completion_tokens == 4
    assert service.stats.api_seconds > 0


async def test_wrong_key_says_so_without_the_key() -> None:
    with openai_server(api_key=KEY) as server:
        events = await collect(service_for(server.base_url, key="sk-wrong-one-555"))
    failure = failure_of(events)
    assert failure.kind == "auth"
    assert "sk-wrong-one-555" not in failure.message
    assert "/auth" in failure_text(failure)


async def test_forbidden() -> None:
    with openai_server(api_key=KEY, mode="forbidden") as server:
        assert failure_of(await collect(service_for(server.base_url))).kind == "forbidden"


async def test_unknown_model_lists_the_servers_models() -> None:
    with openai_server(api_key=KEY, strict_model=True, models=["good-1", "good-2"]) as server:
        failure = failure_of(await collect(service_for(server.base_url, model="nope")))
    assert failure.kind == "model_not_found"
    assert failure.models == ("good-1", "good-2")
    assert "good-1" in failure.message


async def test_rate_limit_and_quota() -> None:
    path = "/v1/chat/completions"
    with openai_server(api_key=KEY) as server:
        server.options.errors[path] = ScriptedError(
            429, "Rate limit reached", code="rate_limit_exceeded"
        )
        assert failure_of(await collect(service_for(server.base_url))).kind == "rate_limit"
        server.options.errors[path] = ScriptedError(
            429, "You exceeded your current quota", code="insufficient_quota"
        )
        failure = failure_of(await collect(service_for(server.base_url)))
    assert failure.kind == "quota"
    assert "/auth" in failure_text(failure)


async def test_dashscope_refusals_are_told_as_at_sign_in() -> None:
    """DashScope's bodies (Model Studio's error-code page): a rate limit whose code says
    "quota" is still a rate limit; an account in arrears says so, streamed or not."""
    path = "/v1/chat/completions"
    with openai_server(api_key=KEY) as server:
        server.options.errors[path] = ScriptedError(
            429,
            "Requests rate limit exceeded, please try again later.",
            code="Throttling.RateQuota",
            headers={"Retry-After": "3"},
        )
        limited = failure_of(await collect(service_for(server.base_url)))
        arrears_body = "Access denied, please make sure your account is in good standing."
        server.options.errors[path] = ScriptedError(400, arrears_body, code="Arrearage")
        arrears = failure_of(await collect(service_for(server.base_url)))
        server.options.errors[path] = ScriptedError(
            400, arrears_body, code="Arrearage", in_stream=True
        )
        streamed = failure_of(await collect(service_for(server.base_url)))
    assert (limited.kind, limited.retry_after) == ("rate_limit", 3.0)
    for failure in (arrears, streamed):
        assert failure.kind == "quota"
        assert "in arrears" in failure.message and "good standing" in failure.message


async def test_server_error() -> None:
    with openai_server(api_key=KEY, mode="server_error") as server:
        failure = failure_of(await collect(service_for(server.base_url)))
    assert failure.kind == "server"
    assert failure.retryable


async def test_connection_refused() -> None:
    failure = failure_of(await collect(service_for(f"http://127.0.0.1:{closed_port()}/v1")))
    assert failure.kind == "connect"


async def test_server_that_stops_mid_answer_keeps_what_arrived() -> None:
    with openai_server(api_key=KEY, chat_pieces=["one ", "two ", "three"], drop_after=2) as server:
        events = await collect(service_for(server.base_url))
    assert text_of(events) == "one two "
    assert failure_of(events).kind == "interrupted"


async def test_read_timeout() -> None:
    with openai_server(api_key=KEY, mode="slow", delay=60) as server:
        started = time.monotonic()
        failure = failure_of(await collect(service_for(server.base_url, timeout=0.5)))
    assert failure.kind == "timeout"
    assert time.monotonic() - started < 0.5 + LOAD_SLACK


async def test_cancelling_closes_the_stream_at_once() -> None:
    pieces = [f"w{i} " for i in range(200)]
    with openai_server(api_key=KEY, chat_pieces=pieces, chunk_delay=0.05) as server:
        service = service_for(server.base_url)
        received: list[str] = []
        three_arrived = asyncio.Event()

        async def consume() -> None:
            async for event in service.stream(PROMPT):
                if isinstance(event, TextDelta):
                    received.append(event.text)
                    if len(received) >= 3:
                        three_arrived.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(three_arrived.wait(), 10)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - started < LOAD_SLACK  # the whole answer takes 10 s
        await service.aclose()
    assert 3 <= len(received) < 50


async def test_env_key_is_never_sent_to_a_server_it_was_not_given_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-openai-key")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-private")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-private")
    with openai_server(api_key=None) as server:
        events = await collect(service_for(server.base_url, key=None))
        request = server.requests[-1]
    assert isinstance(events[-1], Finished)
    assert "sk-env-openai-key" not in (request.authorization or "")
    assert "openai-organization" not in request.headers
    assert "openai-project" not in request.headers


async def test_a_local_server_is_reached_directly_whatever_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As for the key check: a proxy cannot reach this machine's loopback interface."""
    dead_proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    with openai_server(api_key=KEY, chat_pieces=["direct"]) as server:
        events = await collect(service_for(server.base_url))
        target = server.requests[-1].target
    assert text_of(events) == "direct"
    assert target == "/v1/chat/completions"


async def test_reasoning_content_is_shown_apart() -> None:
    with openai_server(
        api_key=KEY, reasoning_pieces=["step one, ", "step two"], chat_pieces=["Done."]
    ) as server:
        events = await collect(service_for(server.base_url))
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "step one, step two"
    assert text_of(events) == "Done."


async def test_rate_limit_with_retry_after_says_how_long() -> None:
    error = ScriptedError(
        429, "Slow down", code="rate_limit_exceeded", headers={"Retry-After": "7"}
    )
    with openai_server(api_key=KEY, errors={"/v1/chat/completions": error}) as server:
        failure = failure_of(await collect(service_for(server.base_url)))
    assert (failure.kind, failure.retry_after) == ("rate_limit", 7)
    assert "7 s" in failure.message


async def test_malformed_sse_keeps_what_arrived() -> None:
    with openai_server(api_key=KEY, chat_pieces=["good ", "bad"], malformed_after=1) as server:
        events = await collect(service_for(server.base_url))
    assert text_of(events) == "good "
    assert failure_of(events).kind == "malformed"


async def test_reply_with_no_choices() -> None:
    with openai_server(api_key=KEY, no_choices=True) as server:
        failure = failure_of(await collect(service_for(server.base_url)))
    assert failure.kind == "no_choices"


async def test_server_without_usage_is_fine() -> None:
    with openai_server(api_key=KEY, send_usage=False, chat_pieces=["ok"]) as server:
        events = await collect(service_for(server.base_url))
    assert text_of(events) == "ok"
    assert not [e for e in events if isinstance(e, UsageReport)]
    assert isinstance(events[-1], Finished)


async def test_context_overflow_is_explained() -> None:
    error = ScriptedError(
        400, "This model's maximum context length is 8192 tokens.", code="context_length_exceeded"
    )
    with openai_server(api_key=KEY, errors={"/v1/chat/completions": error}) as server:
        failure = failure_of(await collect(service_for(server.base_url)))
    assert failure.kind == "context_overflow"
    assert "/clear" in failure_text(failure)


async def test_web_page_at_the_base_url_is_named() -> None:
    with openai_server(api_key=KEY, mode="html") as server:
        failure = failure_of(await collect(service_for(server.base_url)))
    assert failure.kind == "malformed"
    assert failure.remedy == "check_base_url"
    assert "web page, not an OpenAI-compatible API" in failure.message
    assert "no choices" not in failure.message
    assert "/auth" in failure_text(failure)


async def test_no_choices_names_its_remedy() -> None:
    with openai_server(api_key=KEY, no_choices=True) as server:
        failure = failure_of(await collect(service_for(server.base_url)))
    assert failure.kind == "no_choices"
    assert failure_text(failure) == (
        "The server answered without any reply (no choices). Press Ctrl+R to retry, "
        "or try another model with /model."
    )
