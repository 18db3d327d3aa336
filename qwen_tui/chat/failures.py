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
from qwen_tui.text.redact import redact

QUOTA_MARKERS = ("insufficient_quota", "quota", "free tier", "free allocated", "exceeded your")
CONTEXT_MARKERS = (
    "context_length_exceeded",
    "maximum context",
    "context length",
    "context size",  # llama.cpp: "the request exceeds the available context size"
    "context window",
    "input length",  # DashScope: "Range of input length should be [1, 30720]"
    "too long",
)


def _body_error(body: object) -> tuple[str, str]:
    """``(code, message)`` from an OpenAI-style error body, tolerant of other shapes."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            code = str(inner.get("code") or inner.get("type") or "")
            return code, str(inner.get("message") or "")
        if isinstance(inner, str):
            return "", inner
    return "", ""


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
        lowered = f"{exc.code or ''} {exc.message}".lower()
        if any(marker in lowered for marker in QUOTA_MARKERS):
            return ChatFailure(
                "quota",
                f'Your quota with this provider is used up. The server said: "{said}"',
                "switch_provider",
            )
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
    code, message = _body_error(body)
    said = redact(message, secrets).strip()
    quoted = f' The server said: "{said}"' if said else ""
    lowered = f"{code} {message}".lower()
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
        if any(marker in lowered for marker in QUOTA_MARKERS):
            return ChatFailure(
                "quota",
                f"Your quota with this provider is used up (429).{quoted}",
                "switch_provider",
                status=status,
            )
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
