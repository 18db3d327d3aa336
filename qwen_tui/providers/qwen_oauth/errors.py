"""The Qwen OAuth exception: a kind for screens, plain words for people."""

from __future__ import annotations

from typing import Literal

from qwen_tui.text.errors import UserFacingError

__all__ = ["SIGN_IN_AGAIN", "OAuthError", "OAuthErrorKind"]

OAuthErrorKind = Literal[
    "denied",
    "expired",
    "invalid_grant",
    "network",
    "not_json",
    "bad_response",
    "rejected",
    "server",
    "cancelled",
    "not_signed_in",
    "damaged",
    "storage",
    "busy",
]
"""What went wrong:

- ``denied``: the user refused the sign-in in the browser (``access_denied``).
- ``expired``: the device code expired before it was approved (``expired_token`` or
  ``expires_in`` reached).
- ``invalid_grant``: the server no longer accepts the grant (a revoked or reused refresh
  token, a wrong PKCE verifier); the user must sign in again.
- ``network``: the OAuth server could not be reached or did not answer in time.
- ``not_json`` / ``bad_response``: the server answered, but not as RFC 8628 says
  (a web page, or required fields missing).
- ``rejected``: the server refused the request for another OAuth reason
  (``invalid_client``, ``unsupported_grant_type`` …): usually a wrong setting.
- ``server``: the server had an error (HTTP 5xx).
- ``cancelled``: the user cancelled (see :meth:`DeviceFlow.cancel`).
- ``not_signed_in``: no Qwen tokens are stored.
- ``damaged``: the stored token entry cannot be read.
- ``storage``: new tokens could not be stored (keyring / file trouble).
- ``busy``: another qwen-tui held the refresh lock for too long.
"""

SIGN_IN_AGAIN = (
    "Your Qwen sign-in has expired or was revoked. Sign in again with /auth "
    "(or `qwen-tui auth login --method qwen-oauth`); your conversation is kept."
)


class OAuthError(UserFacingError):
    """A Qwen OAuth step failed.

    Attributes:
        kind: machine-readable category (see :data:`OAuthErrorKind`).
        message: plain words with the fix. Never contains a token, a device code or a
            code verifier: messages end up on screen and in logs.
        status: the HTTP status, when the server answered.
    """

    def __init__(self, kind: OAuthErrorKind, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind: OAuthErrorKind = kind
        self.status = status

    def __repr__(self) -> str:
        return f"OAuthError(kind={self.kind!r}, message={self.message!r})"
