"""One real, tiny request to the chosen model before a sign-in is called done.

A key check (``GET /models``) proves that the server knows the key, not that it will
answer: a used-up quota, an account in arrears, a model outside the plan, a key made
for another region or billing plan, or Qwen's ended free OAuth tier all pass it and
fail only at the first prompt. So after every sign-in (API key or Qwen OAuth) both
front ends ask the model for one token here, and a failure is worded for the person
at sign-in time, with a remedy, while what they typed is still on the screen.

The request is ``POST {base_url}/chat/completions`` with ``max_tokens: 1`` and
``stream: true`` (as the chat asks; some DashScope models refuse non-streamed calls in
thinking mode). The first streamed event decides it; the rest of the short answer is
read within a small bound, so a server that ignores ``max_tokens`` costs little more
than its first chunk. The whole exchange is bounded by a
timeout. The error bodies mapped here are the OpenAI-style ones DashScope / Model
Studio and OpenAI send (``error.code`` such as ``Arrearage``, ``InvalidApiKey``,
``model_not_found``, ``insufficient_quota``; see Model Studio's error-code page).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from qwen_tui.providers.catalogue import Provider
from qwen_tui.providers.errors import ErrorKind, ProviderError
from qwen_tui.providers.qwen_tier import QWEN_FREE_TIER_ENDED
from qwen_tui.providers.refusal_words import (
    ARREARS,
    FREE_TIER_ENDED,
    MODEL_REFUSED,
    QUOTA,
    RATE,
    error_words,
)
from qwen_tui.providers.urls import display_url, host_port, join_url, normalise_base_url
from qwen_tui.providers.verify import error_detail, make_client, transport_error
from qwen_tui.providers.web_page import looks_like_web_page
from qwen_tui.text.redact import one_line_excerpt

__all__ = [
    "LOCAL_PROBE_SECONDS",
    "PROBE_SECONDS",
    "Asked",
    "ProbeError",
    "Problem",
    "classify",
    "probe_model",
]

PROBE_SECONDS = 20.0
"""Bound on the whole test request to a provider on the internet."""
LOCAL_PROBE_SECONDS = 90.0
"""Bound for a server on this machine, which may first have to load the model."""

Problem = Literal[
    "quota",
    "arrears",
    "discontinued",
    "model_not_in_plan",
    "wrong_region",
    "auth",
    "forbidden",
    "rate_limited",
    "server",
    "client_refused",
    "other",
]
"""Why the model could not answer the test request."""

_ALIBABA_SUFFIXES = (".aliyuncs.com", ".alibabacloud.com")


class ProbeError(ProviderError):
    """The model did not answer the test request, worded with what to do.

    Attributes:
        problem: why (see :data:`Problem`), for tests and for a front end that wants
            to place the message beside a field.
    """

    def __init__(
        self, problem: Problem, kind: ErrorKind, message: str, *, status: int | None = None
    ) -> None:
        super().__init__(kind, message, status=status)
        self.problem: Problem = problem


def _sentence(text: str) -> str:
    """``text`` ending as a sentence does, so that the next sentence reads apart."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _is_alibaba(host: str, provider: Provider) -> bool:
    return host.endswith(_ALIBABA_SUFFIXES) or provider.id.startswith(("dashscope", "coding-plan"))


def _key_for_another_plan(host: str, provider: Provider, api_key: str | None) -> str:
    """Which key an Alibaba Cloud endpoint was probably given instead of its own."""
    coding_host = host.startswith("coding") or provider.id.startswith("coding-plan")
    if api_key and api_key.startswith("sk-sp-") and not coding_host:
        return (
            "This looks like a Coding Plan key (sk-sp-…), which works only at the Coding "
            "Plan endpoints: choose the Alibaba Cloud Coding Plan preset for its region."
        )
    if coding_host:
        return (
            "Coding Plan takes only its own key (sk-sp-…, from the Coding Plan page), not a "
            "pay-as-you-go Model Studio key, and a key made for the China (Beijing) plan does "
            "not work at the international endpoint, nor the other way round."
        )
    return (
        "Model Studio keys belong to one region and one billing plan: a key made in "
        "Singapore does not work in Beijing or Virginia, and a Coding Plan key does not "
        f"work at {host}. Choose the preset for the region where the key was made."
    )


@dataclass(frozen=True)
class Asked:
    """What the test request asked, for the wording of its answer.

    Attributes:
        provider: the preset signed in to; Qwen OAuth words a refusal as the end of
            its free tier.
        base_url: where the request went, for the host in the message.
        model: the model asked.
        api_key: the key or token sent, recognised (never quoted) in the wording.
    """

    provider: Provider
    base_url: str
    model: str
    api_key: str | None


def classify(status: int | None, body: Any, asked: Asked, detail: str = "") -> ProbeError:
    """Word the answer a model gave to the test request.

    Args:
        status: the HTTP status, or ``None`` for an error sent inside the stream.
        body: the decoded JSON error body (or ``None``).
        asked: what was asked of whom.
        detail: the server's own words, already redacted and cut short.
    """
    problem, kind, message = _diagnosis(status, body, asked, detail)
    return ProbeError(problem, kind, message, status=status)


def _diagnosis(
    status: int | None, body: Any, asked: Asked, detail: str
) -> tuple[Problem, ErrorKind, str]:
    """What :func:`classify` says: the problem, its kind and the words."""
    provider, model, api_key = asked.provider, asked.model, asked.api_key
    host, _ = host_port(asked.base_url)
    code, message = error_words(body)
    lowered = f"{code} {message}".lower()
    said = f" The server said: {_sentence(detail)}" if detail else ""
    oauth = provider.auth == "qwen-oauth"
    if oauth and (status in (401, 403) or any(m in lowered for m in FREE_TIER_ENDED)):
        return (
            "discontinued",
            "quota",
            f"Signed in at the sign-in server, but {host} refuses to answer with this "
            f"account.{said} {QWEN_FREE_TIER_ENDED}",
        )
    if any(marker in lowered for marker in ARREARS):
        return (
            "arrears",
            "quota",
            f"{host} accepts the key but will not answer: the account is in arrears or has "
            f"no balance.{said} Top up or settle the bill in the provider's console, or "
            "choose another provider.",
        )
    if status == 401 or "invalidapikey" in lowered or "invalid_api_key" in lowered:
        if _is_alibaba(host, provider):
            return (
                "wrong_region",
                "auth",
                f"{host} refused the key (401).{said} "
                f"{_key_for_another_plan(host, provider, api_key)}",
            )
        return (
            "auth",
            "auth",
            f"{host} refused the key when asked for an answer (401).{said} Check that the "
            "key is complete, not revoked, and made for this provider.",
        )
    if any(marker in lowered for marker in MODEL_REFUSED) or status == 404:
        return (
            "model_not_in_plan",
            "model",
            f"{host} will not run the model {model!r} for this key.{said} It may not be in "
            "your plan, not enabled for your account, or not offered in this region: pick "
            "another model from the list.",
        )
    if any(marker in lowered for marker in RATE):
        return (
            "rate_limited",
            "http",
            f"{host} is rate-limiting requests ({status or 'in its answer'}).{said} The key "
            "works; wait a moment and try again.",
        )
    if any(marker in lowered for marker in QUOTA):
        return (
            "quota",
            "quota",
            f"The key works, but its quota with {host} is used up.{said} Wait for the quota "
            "to renew, upgrade the plan, or choose another provider.",
        )
    if status == 403:
        return (
            "forbidden",
            "forbidden",
            f"{host} denied the key access to {model!r} (403).{said} Check in the provider's "
            "console that the service is activated and the key may use this model.",
        )
    if status == 429:
        return (
            "rate_limited",
            "http",
            f"{host} is rate-limiting requests (429).{said} The key works; wait a moment and "
            "try again.",
        )
    if status is not None and status >= 500:
        return (
            "server",
            "http",
            f"{host} had a server error (HTTP {status}) when asked for a test answer.{said} "
            "Try again later.",
        )
    if "only available for coding agents" in lowered:
        return (
            "client_refused",
            "forbidden",
            f"{host} serves the Coding Plan only to the coding tools Alibaba Cloud admits, "
            f"and refused this one.{said} Use a pay-as-you-go Model Studio key with a Model "
            "Studio preset instead.",
        )
    shown = f"HTTP {status}" if status is not None else "an error in its answer"
    return (
        "other",
        "http",
        f"{host} answered a one-token test request to {model!r} with {shown}.{said}",
    )


def _request_body(model: str, limit_field: str) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": "Reply with OK."}],
        limit_field: 1,
        "stream": True,
    }


def _limit_refused(answer: _Answer) -> bool:
    """A 400 about ``max_tokens`` itself: newer OpenAI models want
    ``max_completion_tokens`` instead."""
    body = answer.body
    error = body.get("error") if isinstance(body, dict) else None
    param = error.get("param") if isinstance(error, dict) else None
    code, message = error_words(body)
    text = f"{code} {message}".lower()
    return answer.status == 400 and (param == "max_tokens" or "max_tokens" in text)


def _json_or_none(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Answer:
    """What the server sent back to one test request.

    Attributes:
        status: the HTTP status.
        body: the decoded error body, or the first streamed event (``None`` if neither
            is JSON).
        detail: the server's words from an error body, redacted and cut short.
        web_page: the answer was an HTML page, not the API.
    """

    status: int
    body: Any
    detail: str = ""
    web_page: bool = False


REST_SECONDS = 2.0
REST_CHARACTERS = 64 * 1024
"""Of the rest of a one-token answer after its first event, read at most this long and
this much: a server that keeps to ``max_tokens`` has sent it all by then, so the
exchange ends cleanly and the network ledger's count is what the server sent; one that
ignores the limit is cut off there, and neither costs the sign-in more."""


async def _first_event(response: httpx.Response) -> Any:
    """The first ``data:`` event of a stream, decoded; a plain JSON answer (a server
    that does not stream) is read whole."""
    if "event-stream" not in response.headers.get("content-type", ""):
        return _json_or_none(await response.aread())
    lines = response.aiter_lines()
    async for line in lines:
        if line.startswith("data:"):
            data = line[5:].strip()
            if data == "[DONE]":
                return None
            await _read_the_rest(lines)
            return _json_or_none(data)
    return None


async def _read_the_rest(lines: AsyncIterator[str]) -> None:
    """Read what follows the first event, within :data:`REST_SECONDS` and
    :data:`REST_CHARACTERS`."""
    read = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(REST_SECONDS):
            async for line in lines:
                read += len(line)
                if read > REST_CHARACTERS or line.strip() == "data: [DONE]":
                    return


async def _ask(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    key: str | None,
) -> _Answer:
    """Send one test request; only its first event counts (see :func:`_first_event`)."""
    async with client.stream("POST", url, json=body, headers=headers) as response:
        status = response.status_code
        if status >= 400:
            await response.aread()
            return _Answer(status, _json_or_none(response.content), error_detail(response, key))
        if looks_like_web_page(response.headers.get("content-type"), b""):
            return _Answer(status, None, web_page=True)
        return _Answer(status, await _first_event(response))


async def probe_model(
    base_url: str,
    api_key: str | None,
    model: str,
    *,
    provider: Provider,
    timeout: float | None = None,  # noqa: ASYNC109 - bounds the exchange, part of the API
) -> None:
    """Ask ``model`` for one token; return when it answered, raise when it cannot.

    Args:
        base_url: the API root signed in to (normalised here).
        api_key: the key or OAuth access token; ``None`` sends no Authorization.
        model: the model the sign-in chose.
        provider: the preset (its ``auth`` and ``local`` shape the wording and the
            time allowed).
        timeout: seconds for the whole exchange; by default :data:`PROBE_SECONDS`, or
            :data:`LOCAL_PROBE_SECONDS` for a local server.

    Raises:
        ProbeError: the model answered with an error (quota, arrears, discontinued
            tier, model not in the plan, key for another region or plan …).
        ProviderError: the server could not be reached, did not answer in time, or
            answered with something that is not the API.
    """
    base = normalise_base_url(base_url)
    if timeout is not None:
        seconds = timeout
    else:
        seconds = LOCAL_PROBE_SECONDS if provider.local else PROBE_SECONDS
    url = join_url(base, "/chat/completions")
    headers = {"Accept": "text/event-stream"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    async with make_client(seconds, purpose="key_check") as client:
        try:
            async with asyncio.timeout(seconds):
                answer = await _ask(
                    client, url, headers, _request_body(model, "max_tokens"), api_key
                )
                if _limit_refused(answer):
                    body = _request_body(model, "max_completion_tokens")
                    answer = await _ask(client, url, headers, body, api_key)
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            raise transport_error(exc, url, seconds) from exc
    asked = Asked(provider, base, model, api_key)
    if answer.status >= 400:
        raise classify(answer.status, answer.body, asked, answer.detail)
    if answer.web_page:
        host, _ = host_port(base)
        raise ProviderError(
            "not_json",
            f"{host} answered the test request with a web page, not the API — is "
            f"{display_url(base)} the API's base URL?",
            status=answer.status,
        )
    if isinstance(answer.body, dict) and "error" in answer.body:
        _, message = error_words(answer.body)
        detail = one_line_excerpt(message, [api_key])
        raise classify(None, answer.body, asked, detail)
