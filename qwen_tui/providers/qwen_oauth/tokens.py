"""Qwen OAuth tokens: what the token endpoint returns, and how they are stored.

The stored form is Qwen Code's ``~/.qwen/oauth_creds.json`` format (``access_token``,
``refresh_token``, ``token_type``, ``resource_url``, ``expiry_date`` in milliseconds), so
a token entry means the same thing to both tools. It lives in the credential store as
one entry, never in a settings file.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qwen_tui.providers.qwen_oauth.errors import OAuthError

__all__ = ["DEFAULT_ACCESS_LIFETIME", "OAuthTokens", "api_base_url"]

DEFAULT_ACCESS_LIFETIME = 3600.0
"""Seconds an access token is assumed to live when the server does not say
(``expires_in`` is only RECOMMENDED by RFC 6749); a 401 triggers a refresh anyway."""


def api_base_url(resource_url: str | None, default: str) -> str:
    """The OpenAI-compatible API base URL for a token's ``resource_url``.

    Qwen's token endpoint names the API host without a scheme (``portal.qwen.ai``), so
    ``https://`` is added when no scheme is given and ``/v1`` when the URL does not end
    with it, as Qwen Code does. An empty ``resource_url`` means ``default``.
    """
    base = (resource_url or "").strip() or default.strip()
    if "://" not in base:
        base = "https://" + base.lstrip("/")
    base = base.rstrip("/")
    if not base.endswith("/v1"):
        base += "/v1"
    return base


def _text(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _seconds(value: Any) -> float | None:
    """A positive finite number of seconds, also from a numeric string."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    return number


@dataclass(frozen=True)
class OAuthTokens:
    """An access token, the refresh token that renews it, and where the API lives.

    Attributes:
        access_token: sent as ``Authorization: Bearer``; kept out of ``repr``.
        refresh_token: renews the access token; servers rotate it on every use; kept out
            of ``repr``. ``None`` when the server issued none.
        expires_at: when the access token expires, in seconds since the epoch.
        resource_url: the API host or base URL named by the token response, if any.
        token_type: normally ``"Bearer"``.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float = 0.0
    resource_url: str | None = None
    token_type: str = "Bearer"

    def expires_within(self, seconds: float, *, now: float | None = None) -> bool:
        """Whether the access token expires in less than ``seconds`` from ``now``."""
        current = time.time() if now is None else now
        return self.expires_at - current < seconds

    def seconds_left(self, *, now: float | None = None) -> float:
        """Seconds until the access token expires (negative once it has)."""
        return self.expires_at - (time.time() if now is None else now)

    def api_base_url(self, default: str) -> str:
        """The API base URL to chat with; see :func:`api_base_url`."""
        return api_base_url(self.resource_url, default)

    # ------------------------------------------------------------ stored form

    def to_json(self) -> str:
        """The credential-store entry (Qwen Code's ``oauth_creds.json`` format)."""
        data: dict[str, Any] = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "resource_url": self.resource_url,
            "expiry_date": round(self.expires_at * 1000),
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> OAuthTokens:
        """Read a stored entry (or a Qwen Code ``oauth_creds.json``).

        Raises:
            ValueError: not JSON, or no access token; the message never quotes the text.
        """
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            raise ValueError("the token entry is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the token entry is not a JSON object")
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OAuthTokens:
        """Build tokens from the stored form; ``expires_at`` (seconds) is also accepted.

        Raises:
            ValueError: there is no access token.
        """
        access = _text(data, "access_token")
        if access is None:
            raise ValueError("the token entry has no access_token")
        expires_at = 0.0
        millis = _seconds(data.get("expiry_date"))
        if millis is not None:
            expires_at = millis / 1000
        else:
            seconds = _seconds(data.get("expires_at"))
            if seconds is not None:
                expires_at = seconds
        return cls(
            access_token=access,
            refresh_token=_text(data, "refresh_token"),
            expires_at=expires_at,
            resource_url=_text(data, "resource_url"),
            token_type=_text(data, "token_type") or "Bearer",
        )

    # ------------------------------------------------------- token responses

    @classmethod
    def from_token_response(
        cls,
        body: Mapping[str, Any],
        *,
        now: float | None = None,
        previous: OAuthTokens | None = None,
    ) -> OAuthTokens:
        """Build tokens from a successful token-endpoint answer (RFC 6749 section 5.1).

        Args:
            body: the JSON object the server sent.
            now: the time the answer arrived (epoch seconds); default now.
            previous: the tokens being refreshed: a refresh answer without a new
                ``refresh_token`` or ``resource_url`` keeps the old one (RFC 6749
                section 6).

        Raises:
            OAuthError: ``bad_response`` when ``access_token`` is missing.
        """
        access = _text(body, "access_token")
        if access is None:
            raise OAuthError(
                "bad_response",
                "The sign-in server answered without an access_token, so the sign-in cannot "
                "be used. Try again; if it keeps happening, check oauth.tokenUrl "
                "(QWEN_TUI_OAUTH__TOKEN_URL).",
            )
        received = time.time() if now is None else now
        lifetime = _seconds(body.get("expires_in")) or DEFAULT_ACCESS_LIFETIME
        return cls(
            access_token=access,
            refresh_token=_text(body, "refresh_token")
            or (previous.refresh_token if previous else None),
            expires_at=round((received + lifetime) * 1000) / 1000,  # stored in ms
            resource_url=_text(body, "resource_url")
            or (previous.resource_url if previous else None),
            token_type=_text(body, "token_type") or "Bearer",
        )
