"""Keep the Qwen tokens in the credential store and fresh, without ever racing.

Servers rotate refresh tokens: each refresh returns a new one and the old one stops
working (reusing it may even revoke the whole grant). Two copies of qwen-tui sharing one
sign-in must therefore never refresh with the same refresh token. Every refresh takes a
file lock in ``QWEN_TUI_HOME`` (``oauth-refresh.lock``, via filelock) and re-reads the
stored tokens inside it: when another process refreshed meanwhile, its tokens are used
and no request is made.

The refresh itself runs in a worker thread with a blocking HTTP client, and is finished
even when the awaiting task is cancelled: once the server has rotated the refresh token,
the answer must reach the store, or the sign-in is lost.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from qwen_tui.providers.qwen_oauth import _http
from qwen_tui.providers.qwen_oauth.errors import SIGN_IN_AGAIN, OAuthError
from qwen_tui.providers.qwen_oauth.tokens import OAuthTokens

if TYPE_CHECKING:
    from qwen_tui.config.model import OAuthSettings
    from qwen_tui.credentials import CredentialStore, StoreLocation

__all__ = ["LOCK_FILE", "REFRESH_MARGIN", "TOKEN_NAME", "TokenManager"]

TOKEN_NAME = "qwen-oauth"
"""The credential-store entry holding the token JSON."""
LOCK_FILE = "oauth-refresh.lock"
"""The file lock in ``QWEN_TUI_HOME`` that serialises refreshes across processes."""
REFRESH_MARGIN = 30.0
"""Refresh when the access token expires in less than this many seconds."""

NOT_SIGNED_IN = (
    "You are not signed in with Qwen OAuth. Sign in with /auth "
    "(or `qwen-tui auth login --method qwen-oauth`)."
)


class TokenManager:
    """The stored Qwen tokens: read, save, and refresh them in time.

    Args:
        store: the credential store; the tokens are its ``"qwen-oauth"`` entry.
        settings: ``oauth.*`` settings (token endpoint and client id for refreshes).
        home: ``QWEN_TUI_HOME``, where the refresh lock lives.
        timeout: seconds for each HTTP phase of a refresh.
        lock_timeout: seconds to wait for another process's refresh.
        clock: epoch clock, replaceable in tests.
    """

    def __init__(
        self,
        store: CredentialStore,
        settings: OAuthSettings,
        home: Path,
        *,
        timeout: float = 15.0,
        lock_timeout: float = 60.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.home = Path(home)
        self.timeout = timeout
        self.lock_timeout = lock_timeout
        self._clock = clock or time.time
        self._cached: OAuthTokens | None = None
        self._lock = threading.Lock()
        self.refreshes = 0
        """Refresh requests this manager sent (for tests and ``/stats``)."""

    def __repr__(self) -> str:
        return f"TokenManager(home={str(self.home)!r})"

    @property
    def lock_path(self) -> Path:
        """The inter-process refresh lock file."""
        return self.home / LOCK_FILE

    # ---------------------------------------------------------------- storage

    def current(self) -> OAuthTokens | None:
        """The stored tokens, or None when there are none (no network; may touch the keyring).

        Raises:
            OAuthError: ``damaged`` when the entry is not a token JSON.
            qwen_tui.credentials.CredentialError: the store cannot be read.
        """
        text = self.store.get(TOKEN_NAME)
        if text is None:
            return None
        try:
            tokens = OAuthTokens.from_json(text)
        except ValueError as error:
            raise OAuthError(
                "damaged",
                f"The stored Qwen sign-in cannot be read ({error}). Sign in again with /auth.",
            ) from None
        with self._lock:
            self._cached = tokens
        return tokens

    def save(self, tokens: OAuthTokens) -> StoreLocation:
        """Store ``tokens`` as the one ``"qwen-oauth"`` entry and return where they went.

        Raises:
            qwen_tui.credentials.KeyringUnavailable: no keyring and no consent to the file.
            qwen_tui.credentials.CredentialError: the store cannot be written.
        """
        location = self.store.set(TOKEN_NAME, tokens.to_json())
        with self._lock:
            self._cached = tokens
        return location

    def delete(self) -> bool:
        """Remove the stored tokens; True if there were any."""
        with self._lock:
            self._cached = None
        return self.store.delete(TOKEN_NAME)

    # ---------------------------------------------------------------- refresh

    async def fresh_tokens(
        self, force: bool = False, *, rejected_access_token: str | None = None
    ) -> OAuthTokens:
        """Tokens whose access token is good for at least 30 s more, refreshing if needed.

        Args:
            force: refresh even if the access token looks valid (the server answered 401).
            rejected_access_token: the token the server refused; when the stored one is
                already different (another process refreshed), that one is used instead.

        Raises:
            OAuthError: ``not_signed_in``; ``invalid_grant`` (revoked or expired sign-in:
                the stored tokens are kept, the user must sign in again); ``network``,
                ``not_json``, ``rejected``, ``server``, ``busy``, ``storage``, ``damaged``.
            qwen_tui.credentials.CredentialError: the store cannot be read.
        """
        return await asyncio.to_thread(
            self.fresh_tokens_sync, force, rejected_access_token=rejected_access_token
        )

    async def access_token(self, force: bool = False) -> str:
        """The access token to send now; the shape ChatService's callback wants."""
        return (await self.fresh_tokens(force)).access_token

    def fresh_tokens_sync(
        self, force: bool = False, *, rejected_access_token: str | None = None
    ) -> OAuthTokens:
        """:meth:`fresh_tokens` for code that already runs in a worker thread."""
        with self._lock:
            known = self._cached
        if known is not None and not force and not self._expiring(known):
            return known
        if known is None:
            known = self.current()
            if known is None:
                raise OAuthError("not_signed_in", NOT_SIGNED_IN)
            if not force and not self._expiring(known):
                return known
        rejected = rejected_access_token or (known.access_token if force else None)
        return self._locked_refresh(force, rejected)

    def _expiring(self, tokens: OAuthTokens) -> bool:
        return tokens.expires_within(REFRESH_MARGIN, now=self._clock())

    def _locked_refresh(self, force: bool, rejected: str | None) -> OAuthTokens:
        import filelock

        from qwen_tui.config.paths import ensure_private_dir

        ensure_private_dir(self.home)
        lock = filelock.FileLock(str(self.lock_path), timeout=self.lock_timeout, mode=0o600)
        try:
            with lock:
                stored = self.current()
                if stored is None:
                    raise OAuthError("not_signed_in", NOT_SIGNED_IN)
                if (
                    force
                    and rejected is not None
                    and stored.access_token != rejected
                    and not self._expiring(stored)
                ):
                    return stored  # another process has refreshed already
                if not force and not self._expiring(stored):
                    return stored  # another process has refreshed already
                try:
                    fresh = self._refresh(stored)
                except OAuthError as error:
                    still_valid = stored.seconds_left(now=self._clock()) > 0
                    if error.kind in ("network", "server") and not force and still_valid:
                        return stored  # good a little longer; the next call tries again
                    raise
                try:
                    self.save(fresh)
                except Exception as error:
                    with self._lock:
                        self._cached = fresh  # at least this process keeps working
                    raise OAuthError(
                        "storage",
                        f"The Qwen sign-in was renewed but could not be stored ({error}). "
                        "It works until qwen-tui exits; fix the keyring, then sign in again.",
                    ) from None
                return fresh
        except filelock.Timeout:
            raise OAuthError(
                "busy",
                f"Another qwen-tui has been renewing the Qwen sign-in for over "
                f"{self.lock_timeout:g} s (lock {self.lock_path}). Try again; if no other "
                "copy is running, delete that file.",
            ) from None

    def _refresh(self, tokens: OAuthTokens) -> OAuthTokens:
        """One refresh request (RFC 6749 section 6); the caller holds the lock."""
        import httpx

        if not tokens.refresh_token:
            raise OAuthError("invalid_grant", SIGN_IN_AGAIN)
        url = self.settings.token_url
        secrets = (tokens.refresh_token, tokens.access_token)
        data = {
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
            "client_id": self.settings.client_id,
        }
        self.refreshes += 1
        with _http.sync_client(self.timeout) as client:
            try:
                response = client.post(url, data=data)
            except httpx.HTTPError as exc:
                raise _http.network_error(exc, url, self.timeout, "token") from None
            received = self._clock()
        status = response.status_code
        if status >= 500:
            raise OAuthError(
                "server",
                f"The Qwen sign-in server had an error while renewing the sign-in "
                f"(HTTP {status}). Try again in a moment.",
                status=status,
            )
        body = _http.read_json(response, "token")
        if 200 <= status < 300:
            return OAuthTokens.from_token_response(body, now=received, previous=tokens)
        code, description = _http.oauth_error(body, secrets)
        if code == "invalid_grant" or (status in (400, 401) and not code):
            raise OAuthError("invalid_grant", SIGN_IN_AGAIN, status=status)
        raise OAuthError(
            "rejected",
            f"The Qwen sign-in server refused to renew the sign-in "
            f"({code or f'HTTP {status}'}).{_http.said(description)} Sign in again with /auth.",
            status=status,
        )
