"""The one-token test request of a sign-in, against a real OpenAI-compatible server on
loopback that answers with each error a provider really sends."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from qwen_tui.providers import Provider, ProviderError, load_catalogue
from qwen_tui.providers.probe import ProbeError, Problem, probe_model
from tests.support.servers import OpenAIServer, ScriptedError, openai_server
from tests.support.waiting import LOAD_SLACK

KEY = "sk-probe-0123456789abcdef"
CHAT = "/v1/chat/completions"


def preset(provider_id: str) -> Provider:
    return next(p for p in load_catalogue() if p.id == provider_id)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY, models=["qwen3-coder-plus", "glm-5"]) as running:
        yield running


async def refusal(
    server: OpenAIServer,
    *,
    provider: str = "openai",
    key: str = KEY,
    model: str = "qwen3-coder-plus",
) -> ProbeError:
    with pytest.raises(ProbeError) as caught:
        await probe_model(server.base_url, key, model, provider=preset(provider), timeout=5)
    error = caught.value
    assert key not in error.message and key not in repr(error)
    return error


async def test_an_answering_model_passes_with_one_small_streamed_request(
    server: OpenAIServer,
) -> None:
    await probe_model(server.base_url, KEY, "glm-5", provider=preset("openai"))
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", CHAT)
    assert request.authorization == f"Bearer {KEY}"
    body = request.json()
    assert body["model"] == "glm-5"
    assert body["max_tokens"] == 1
    assert body["stream"] is True


async def test_a_model_that_refuses_max_tokens_is_asked_with_max_completion_tokens(
    server: OpenAIServer,
) -> None:
    server.options.refuse_max_tokens = True
    await probe_model(server.base_url, KEY, "glm-5", provider=preset("openai"))
    first, second = (request.json() for request in server.requests)
    assert "max_tokens" in first
    assert second["max_completion_tokens"] == 1 and "max_tokens" not in second


DASHSCOPE_ARREARS = ScriptedError(
    400,
    "Access denied, please make sure your account is in good standing. For details, see: "
    "https://help.aliyun.com/zh/model-studio/error-code#overdue-payment",
    type="Arrearage",
    code="Arrearage",
)
OPENAI_QUOTA = ScriptedError(
    429,
    "You exceeded your current quota, please check your plan and billing details.",
    type="insufficient_quota",
    code="insufficient_quota",
)
DASHSCOPE_FREE_QUOTA = ScriptedError(
    429,
    "Free allocated quota exceeded.",
    type="Throttling.AllocationQuota",
    code="Throttling.AllocationQuota",
)
QWEN_FREE_TIER = ScriptedError(
    429,
    "Qwen OAuth free tier quota exceeded. Note: Qwen OAuth free tier will be discontinued "
    "on 2026-04-15.",
    code="insufficient_quota",
)
QWEN_TOKEN_REFUSED = ScriptedError(401, "invalid access token or token expired", code="401")
RATE_LIMITED = ScriptedError(
    429,
    "Requests rate limit exceeded, please try again later.",
    type="Throttling.RateQuota",
    code="Throttling.RateQuota",
)
ACCESS_DENIED = ScriptedError(403, "Access denied.", type="AccessDenied", code="AccessDenied")
MODEL_NOT_SUPPORTED = ScriptedError(
    400, "The model `glm-5` is not supported in your plan.", code="model_not_supported"
)
SERVER_ERROR = ScriptedError(500, "The server had an error.", type="server_error")
CODING_AGENTS_ONLY = ScriptedError(
    405, "Coding Plan is currently only available for Coding Agents", type="", code=None
)


@pytest.mark.parametrize(
    ("provider", "scripted", "problem", "words"),
    [
        ("dashscope-intl", DASHSCOPE_ARREARS, "arrears", "in arrears"),
        ("openai", OPENAI_QUOTA, "quota", "quota with 127.0.0.1 is used up"),
        ("dashscope-cn", DASHSCOPE_FREE_QUOTA, "quota", "is used up"),
        ("qwen", QWEN_FREE_TIER, "discontinued", "discontinued on 2026-04-15"),
        ("qwen", QWEN_TOKEN_REFUSED, "discontinued", "refuses to answer with this account"),
        ("dashscope-intl", RATE_LIMITED, "rate_limited", "wait a moment and try again"),
        ("dashscope-us", ACCESS_DENIED, "forbidden", "service is activated"),
        ("coding-plan-intl", MODEL_NOT_SUPPORTED, "model_not_in_plan", "pick another model"),
        ("openrouter", SERVER_ERROR, "server", "Try again later"),
        ("coding-plan-cn", CODING_AGENTS_ONLY, "client_refused", "pay-as-you-go Model Studio"),
    ],
    ids=[
        "arrears",
        "openai-quota",
        "free-quota",
        "qwen-free-tier",
        "qwen-token-refused",
        "rate-limited",
        "access-denied",
        "model-not-in-plan",
        "server-error",
        "coding-agents-only",
    ],
)
async def test_each_refusal_is_worded_with_what_to_do(
    server: OpenAIServer, provider: str, scripted: ScriptedError, problem: Problem, words: str
) -> None:
    server.options.errors[CHAT] = scripted
    error = await refusal(server, provider=provider)
    assert error.problem == problem
    assert words in error.message
    assert scripted.message.split(".")[0] in error.message, "the server's own words are quoted"
    assert error.status == scripted.status


async def test_the_qwen_oauth_refusal_names_what_still_works_and_what_to_use_instead(
    server: OpenAIServer,
) -> None:
    server.options.errors[CHAT] = QWEN_FREE_TIER
    message = (await refusal(server, provider="qwen")).message
    assert "oauth.*" in message and "RFC 8628" in message
    assert "Coding Plan" in message and "OpenRouter" in message


async def test_a_model_the_server_does_not_run_is_not_in_the_plan() -> None:
    with openai_server(api_key=KEY, models=["qwen3-coder-plus"], strict_model=True) as server:
        error = await refusal(server, provider="coding-plan-cn", model="kimi-k2.5")
    assert error.problem == "model_not_in_plan"
    assert error.kind == "model"
    assert "'kimi-k2.5'" in error.message
    assert error.status == 404


async def test_a_pay_as_you_go_key_at_the_coding_plan_is_a_key_for_another_plan(
    server: OpenAIServer,
) -> None:
    error = await refusal(server, provider="coding-plan-intl", key="sk-0123456789abcdef")
    assert error.problem == "wrong_region"
    assert "Coding Plan takes only its own key (sk-sp-…" in error.message


async def test_a_coding_plan_key_at_model_studio_points_to_the_coding_plan_preset(
    server: OpenAIServer,
) -> None:
    error = await refusal(server, provider="dashscope-intl", key="sk-sp-0123456789abcdef")
    assert error.problem == "wrong_region"
    assert "looks like a Coding Plan key" in error.message


async def test_a_model_studio_key_from_another_region(server: OpenAIServer) -> None:
    server.options.errors[CHAT] = ScriptedError(
        401,
        "Incorrect API key provided. For details, see: "
        "https://help.aliyun.com/zh/model-studio/error-code#apikey-error",
        type="invalid_request_error",
        code="invalid_api_key",
    )
    error = await refusal(server, provider="dashscope-us")
    assert error.problem == "wrong_region"
    assert "belong to one region" in error.message


async def test_a_refused_key_elsewhere_is_plain_auth(server: OpenAIServer) -> None:
    error = await refusal(server, provider="openai", key="sk-not-this-one-000000")
    assert (error.problem, error.kind, error.status) == ("auth", "auth", 401)


async def test_a_server_that_does_not_answer_in_time_is_bounded(server: OpenAIServer) -> None:
    server.options.mode = "slow"
    server.options.delay = 30
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await probe_model(server.base_url, KEY, "glm-5", provider=preset("openai"), timeout=0.5)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 0.5 + LOAD_SLACK


async def test_a_web_page_is_not_the_api() -> None:
    with openai_server(mode="html") as server, pytest.raises(ProviderError) as caught:
        await probe_model(server.base_url, None, "m", provider=preset("custom"), timeout=5)
    assert caught.value.kind == "not_json"
    assert "web page" in caught.value.message


async def test_an_error_sent_as_the_first_event_of_the_stream_is_worded_too(
    server: OpenAIServer,
) -> None:
    server.options.errors[CHAT] = ScriptedError(
        0,
        "Free allocated quota exceeded.",
        type="Throttling.AllocationQuota",
        code="Throttling.AllocationQuota",
        in_stream=True,
    )
    error = await refusal(server, provider="dashscope-intl")
    assert error.problem == "quota"
    assert error.status is None
    assert "The server said: Free allocated quota exceeded. " in error.message
