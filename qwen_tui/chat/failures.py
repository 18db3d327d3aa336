"""Turn what the SDK raises into a :class:`ChatFailure` a person can act on.

The mapping is by HTTP status and the OpenAI error body (``error.code``,
``error.message``), because OpenAI-compatible servers agree on those far more than on
anything else. Secrets are removed from every server message we quote: some servers
echo the key they refused.

A failure says what happened and names a remedy; how the remedy is worded (a key in
the TUI, a flag on the command line) is up to each front end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qwen_tui.chat.events import ChatFailure
from qwen_tui.chat.sse import StreamError
from qwen_tui.net.retry_after import parse_retry_after
from qwen_tui.providers.http_policy import transport_error
from qwen_tui.providers.refusal_words import (
    ARREARS,
    FREE_TIER_ENDED,
    QUOTA,
    RATE,
    error_words,
    says,
)
from qwen_tui.text.redact import redact

CONTEXT_MARKERS = (
    "context_length_exceeded",
    "maximum context",
    "context length",
    "context size",  # llama.cpp: "the request exceeds the available context size"
    "context window",
    "input length",  # DashScope: "Range of input length should be [1, 30720]"
    "too long",
)


def _refusal(code: str, message: str, quoted: str, status: int | None) -> ChatFailure | None:
    """A provider that will not answer this key for now, though the key is good: an
    account in arrears, a used-up quota or an ended free tier (words shared with the
    sign-in's test request, :mod:`qwen_tui.providers.refusal_words`); a rate limit is
    not one."""
    code_said = f" ({status})" if status else ""
    if says(ARREARS, code, message):
        return ChatFailure(
            "quota",
            f"The provider accepts the key but will not answer: the account is in arrears "
            f"or has no balance{code_said}.{quoted}",
            "switch_provider",
            status=status,
        )
    if says(RATE, code, message):
        return None
    if says(QUOTA + FREE_TIER_ENDED, code, message):
        return ChatFailure(
            "quota",
            f"Your quota with this provider is used up{code_said}.{quoted}",
            "switch_provider",
            status=status,
        )
    return None


def _timeout_failure() -> ChatFailure:
    return ChatFailure("timeout", "The server did not answer in time.", "raise_timeout")


def failure_from_exception(exc: BaseException, secrets: Iterable[str | None] = ()) -> ChatFailure:
    """Classify an exception raised while asking for or reading an answer."""
    import openai

    secret_list = list(secrets)
    if isinstance(exc, openai.APITimeoutError):
        return _timeout_failure()
    if isinstance(exc, openai.APIConnectionError):
        return ChatFailure("connect", redact(_unreachable(exc), secret_list), "check_server")
    if isinstance(exc, openai.APIStatusError):
        return failure_from_status(
            exc.status_code, exc.body, dict(exc.response.headers), secret_list
        )
    if isinstance(exc, openai.APIError):
        return ChatFailure(
            "malformed",
            redact(f"The server sent something that is not a valid answer: {exc}", secret_list),
        )
    if type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore"):
        # Raised while reading the stream body, where the SDK no longer wraps errors.
        if "Timeout" in type(exc).__name__:
            return _timeout_failure()
        return ChatFailure(
            "connect",
            redact(
                f"The connection to the server failed ({type(exc).__name__}: {exc}).",
                secret_list,
            ),
            "retry",
        )
    if isinstance(exc, StreamError):
        said = redact(exc.message, secret_list)
        refusal = _refusal(exc.code or "", exc.message, f' The server said: "{said}"', None)
        if refusal is not None:
            return refusal
        return ChatFailure("server", f'The server reported an error mid-answer: "{said}".', "retry")
    if isinstance(exc, ValueError):
        return ChatFailure(
            "malformed",
            redact(f"The server sent a malformed stream ({exc}).", secret_list),
            "retry",
        )
    return ChatFailure(
        "interrupted",
        redact(f"The answer broke off ({type(exc).__name__}: {exc}).", secret_list),
        "retry",
    )


def _unreachable(exc: BaseException) -> str:
    """What stopped the connection, in the words the sign-in check uses for it
    (connection refused, unknown host, untrusted certificate)."""
    cause = exc.__cause__ or exc
    request = getattr(exc, "request", None)
    url = str(getattr(request, "url", "") or "")
    if url and isinstance(cause, Exception):
        return transport_error(cause, url, 0).message
    return f"Could not reach the server ({type(cause).__name__}: {cause})."


def failure_from_status(
    status: int, body: Any, headers: Mapping[str, str], secrets: Iterable[str | None] = ()
) -> ChatFailure:
    """Classify an HTTP error answer."""
    code, message = error_words(body)
    said = redact(message, secrets).strip()
    quoted = f' The server said: "{said}"' if said else ""
    lowered = f"{code} {message}".lower()
    if says(ARREARS, code, message) or (status == 429 and not says(RATE, code, message)):
        refusal = _refusal(code, message, quoted, status)
        if refusal is not None:
            return refusal
    if status == 401:
        return ChatFailure(
            "auth", f"The server refused the key (401).{quoted}", "new_key", status=status
        )
    if status == 403:
        return ChatFailure(
            "forbidden",
            f"The server denied access (403).{quoted}",
            "check_permissions",
            status=status,
        )
    if status == 404:
        return ChatFailure(
            "model_not_found", f"The model was not found (404).{quoted}", status=status
        )
    if status == 429:
        retry_after = parse_retry_after(headers)
        if retry_after is not None:
            return ChatFailure(
                "rate_limit",
                f"Rate limited (429); the server asks to wait {retry_after:.0f} s.{quoted}",
                retry_after=retry_after,
                status=status,
            )
        return ChatFailure(
            "rate_limit", f"Rate limited (429).{quoted}", "wait_and_retry", status=status
        )
    if status in (400, 413, 422) and any(marker in lowered for marker in CONTEXT_MARKERS):
        return ChatFailure(
            "context_overflow",
            f"The conversation is longer than the model's context window.{quoted}",
            "shorten_conversation",
            status=status,
        )
    if 400 <= status < 500:
        return ChatFailure(
            "bad_request", f"The server rejected the request ({status}).{quoted}", status=status
        )
    return ChatFailure(
        "server",
        f"The server had an error ({status}).{quoted}",
        "retry",
        status=status,
        retry_after=parse_retry_after(headers),
    )
