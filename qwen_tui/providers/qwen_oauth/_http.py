"""HTTP plumbing shared by the device flow and the refresh: form posts, JSON checks, errors.

httpx is imported inside functions only, so importing the package stays cheap. Proxies,
custom CAs, loopback and the wording of network failures follow
:mod:`qwen_tui.providers.http_policy`; redirects are not followed: an OAuth endpoint
that redirects is a wrong URL (usually to a login page).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from qwen_tui.providers.http_policy import LOOPBACK_DIRECT, USER_AGENT, transport_error
from qwen_tui.providers.qwen_oauth.errors import OAuthError
from qwen_tui.providers.web_page import looks_like_web_page
from qwen_tui.text.redact import one_line_excerpt

if TYPE_CHECKING:
    import httpx

HEADERS = {"Accept": "application/json", "User-Agent": USER_AGENT}

SETTING_HINTS = {
    "device": "oauth.deviceAuthorizationUrl (QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL)",
    "token": "oauth.tokenUrl (QWEN_TUI_OAUTH__TOKEN_URL)",
}


def _client_options(timeout: float) -> dict[str, Any]:
    import httpx

    return {
        "timeout": httpx.Timeout(timeout),
        "follow_redirects": False,
        "trust_env": True,
        "headers": HEADERS,
    }


def async_client(timeout: float) -> httpx.AsyncClient:
    """An httpx client for the device flow; close it (``async with``)."""
    from qwen_tui.net import clients

    return clients.async_client(
        purpose="sign_in", content="sign_in", **_client_options(timeout), mounts=LOOPBACK_DIRECT
    )


def sync_client(timeout: float) -> httpx.Client:
    """A blocking httpx client for refreshes, which run in a worker thread."""
    from qwen_tui.net import clients

    return clients.client(
        purpose="token_refresh",
        content="sign_in",
        **_client_options(timeout),
        mounts=LOOPBACK_DIRECT,
    )


def network_error(exc: Exception, url: str, timeout: float, endpoint: str) -> OAuthError:
    """Turn a failure below HTTP (no answer at all) into an ``OAuthError("network")``."""
    reason = transport_error(exc, url, timeout).message
    return OAuthError(
        "network",
        f"Could not reach the Qwen sign-in server. {reason} If you use another sign-in "
        f"server, check {SETTING_HINTS[endpoint]}.",
    )


def read_json(response: httpx.Response, endpoint: str) -> dict[str, Any]:
    """The JSON object of an OAuth answer.

    Raises:
        OAuthError: ``not_json`` for a web page or other non-JSON text (a wrong URL, a
            captive portal, a redirect), ``bad_response`` for JSON that is not an object.
    """
    hint = SETTING_HINTS[endpoint]
    status = response.status_code
    if 300 <= status < 400:
        where = response.headers.get("location", "")
        target = f" to {where.split('?', 1)[0]}" if where else ""
        raise OAuthError(
            "not_json",
            f"The sign-in server redirected{target} (HTTP {status}) instead of answering. "
            f"Check {hint}: it must be the endpoint itself.",
            status=status,
        )
    if looks_like_web_page(response.headers.get("content-type"), response.content[:64]):
        raise OAuthError(
            "not_json",
            f"The sign-in server answered with a web page instead of JSON (HTTP {status}). "
            f"Check {hint}, or whether a proxy or captive portal is in the way.",
            status=status,
        )
    try:
        body = response.json()
    except ValueError:
        raise OAuthError(
            "not_json",
            f"The sign-in server's answer is not JSON (HTTP {status}). Check {hint}.",
            status=status,
        ) from None
    if not isinstance(body, dict):
        raise OAuthError(
            "bad_response",
            f"The sign-in server's answer is not a JSON object (HTTP {status}). Check {hint}.",
            status=status,
        )
    return body


def oauth_error(body: Mapping[str, Any], secrets: Iterable[str | None] = ()) -> tuple[str, str]:
    """``(error, error_description)`` of an RFC 6749 error answer; empty when absent."""
    code = body.get("error")
    description = body.get("error_description") or body.get("message") or ""
    code_text = code if isinstance(code, str) else ""
    return code_text.strip(), one_line_excerpt(str(description), secrets)


def said(description: str) -> str:
    """`` The server said: "…"`` or nothing."""
    return f' The server said: "{description}"' if description else ""
