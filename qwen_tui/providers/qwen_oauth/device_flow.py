"""The OAuth 2.0 device authorization grant (RFC 8628) with PKCE S256 (RFC 7636).

One :class:`DeviceFlow` drives one sign-in: :meth:`DeviceFlow.start` asks the server for a
user code and a link, the user approves in any browser (on a phone too), and
:meth:`DeviceFlow.poll` asks the token endpoint until the server says yes, no, or the
code expires. The UI and ``qwen-tui auth login`` drive the same object.

Polling follows RFC 8628 section 3.5: wait ``interval`` seconds (5 when the server names
none) between requests, add 5 s after ``slow_down``, keep going on
``authorization_pending``, stop at once on ``access_denied``, ``expired_token`` and
``invalid_grant``, and stop when ``expires_in`` has passed. The HTTP client is used in
``async with``, so cancelling the task (Esc in the app, Ctrl+C headless) closes the
connection and leaves no request running.

authlib supplies the PKCE pieces (the verifier and its S256 challenge); the HTTP is done
with httpx directly, imported on first use.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qwen_tui.providers.qwen_oauth import _http
from qwen_tui.providers.qwen_oauth.errors import OAuthError
from qwen_tui.providers.qwen_oauth.tokens import OAuthTokens, _seconds, _text

if TYPE_CHECKING:
    from qwen_tui.config.model import OAuthSettings

__all__ = [
    "DEFAULT_EXPIRES_IN",
    "DEFAULT_INTERVAL",
    "DEVICE_CODE_GRANT",
    "DeviceAuthorization",
    "DeviceFlow",
    "make_pkce_pair",
]

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5.0
"""Seconds between polls when the server names no ``interval`` (RFC 8628 section 3.2)."""
SLOW_DOWN_STEP = 5.0
"""Seconds added to the interval after ``slow_down`` (RFC 8628 section 3.5)."""
DEFAULT_EXPIRES_IN = 600.0
"""Lifetime assumed for a device code when the server does not say (it must)."""
MAX_TRANSIENT_FAILURES = 3
"""Network errors or 5xx answers in a row tolerated while polling before giving up."""

Sleeper = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def make_pkce_pair() -> tuple[str, str]:
    """A fresh PKCE ``(code_verifier, code_challenge)`` pair, method S256.

    The verifier is 64 characters from the unreserved set (RFC 7636 section 4.1 asks for
    43 to 128), from the system's cryptographic random source.
    """
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier: str = generate_token(64)
    challenge: str = create_s256_code_challenge(verifier)
    return verifier, challenge


def _web_url(value: str | None) -> str | None:
    """``value`` if it is an http(s) URL with a host, else None (never open other schemes)."""
    if not value:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


@dataclass(frozen=True)
class DeviceAuthorization:
    """The server's answer to the device authorization request (RFC 8628 section 3.2).

    Attributes:
        device_code: identifies this sign-in to the token endpoint; kept out of ``repr``.
        user_code: what the user types (or sees pre-filled) on the verification page.
        verification_uri: the page to open.
        verification_uri_complete: the page with the code already in it, if the server
            offers one (best for the browser and a QR code).
        expires_in: seconds the codes are valid, counted from ``received_at``.
        interval: seconds to wait between polls, as the server asked (5 if it did not).
        code_verifier: the PKCE verifier sent with each poll; kept out of ``repr``.
        received_at: when the answer arrived, on the flow's monotonic clock.
    """

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float
    code_verifier: str = field(default="", repr=False)
    received_at: float = 0.0

    @property
    def browser_url(self) -> str:
        """The link to open: the complete one when there is one."""
        return self.verification_uri_complete or self.verification_uri

    @property
    def deadline(self) -> float:
        """When the codes expire, on the flow's monotonic clock."""
        return self.received_at + self.expires_in


class DeviceFlow:
    """Sign in with the device authorization grant against ``settings``' endpoints.

    Args:
        settings: ``oauth.*`` settings: endpoints, client id, scope.
        timeout: seconds allowed for each HTTP phase (connect, read, write).
        sleep: awaitable sleep, replaceable in tests; default :func:`asyncio.sleep`.
        clock: monotonic clock in seconds, replaceable in tests.
        wall_clock: epoch clock for token expiry times, replaceable in tests.
    """

    def __init__(
        self,
        settings: OAuthSettings,
        *,
        timeout: float = 15.0,
        sleep: Sleeper | None = None,
        clock: Clock | None = None,
        wall_clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self._sleep: Sleeper = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._wall: Clock = wall_clock or time.time
        self._task: asyncio.Task[Any] | None = None
        self._cancelled = False
        self.interval: float | None = None
        """The interval in force while polling (grows after ``slow_down``)."""
        self.polls = 0
        """Token requests made by the last :meth:`poll`."""

    # ----------------------------------------------------------------- cancel

    def cancel(self) -> None:
        """Stop the sign-in: a running :meth:`start` or :meth:`poll` raises
        ``OAuthError("cancelled")`` at once, its HTTP request closed.

        Cancelling the task that awaits them (``task.cancel()``) works too and raises
        ``CancelledError`` as usual.
        """
        self._cancelled = True
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _guarded(self, work: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``work`` so that :meth:`cancel` turns into ``OAuthError("cancelled")``."""
        if self._cancelled:
            raise OAuthError("cancelled", "Sign-in cancelled.")
        task = asyncio.current_task()
        self._task = task
        try:
            return await work()
        except asyncio.CancelledError:
            if self._cancelled and task is not None and task.uncancel() == 0:
                raise OAuthError("cancelled", "Sign-in cancelled.") from None
            raise
        finally:
            self._task = None

    # ------------------------------------------------------------------ start

    async def start(self) -> DeviceAuthorization:
        """Ask for a user code and a verification link.

        Raises:
            OAuthError: ``network``, ``not_json``, ``bad_response`` (no ``user_code`` or
                ``verification_uri``), ``rejected`` (e.g. unknown client id), ``server``,
                or ``cancelled``.
        """
        self._cancelled = False
        result: DeviceAuthorization = await self._guarded(self._start)
        return result

    async def _start(self) -> DeviceAuthorization:
        import httpx

        settings = self.settings
        verifier, challenge = make_pkce_pair()
        url = settings.device_authorization_url
        data = {
            "client_id": settings.client_id,
            "scope": settings.scope,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        async with _http.async_client(self.timeout) as client:
            try:
                response = await client.post(url, data=data)
            except httpx.HTTPError as exc:
                raise _http.network_error(exc, url, self.timeout, "device") from None
        received = self._clock()
        status = response.status_code
        if status >= 500:
            raise OAuthError(
                "server",
                f"The sign-in server had an error (HTTP {status}). Try again in a moment.",
                status=status,
            )
        body = _http.read_json(response, "device")
        if not 200 <= status < 300:
            raise self._device_refused(status, body)
        return self._authorization(body, verifier, received)

    def _device_refused(self, status: int, body: dict[str, Any]) -> OAuthError:
        code, description = _http.oauth_error(body)
        said = _http.said(description)
        if code == "invalid_client" or status == 401:
            return OAuthError(
                "rejected",
                f"The sign-in server does not accept client id {self.settings.client_id!r} "
                f"({code or status}).{said} Check oauth.clientId (QWEN_TUI_OAUTH__CLIENT_ID).",
                status=status,
            )
        if code == "invalid_scope":
            return OAuthError(
                "rejected",
                f"The sign-in server refused the scope {self.settings.scope!r}.{said} "
                "Check oauth.scope (QWEN_TUI_OAUTH__SCOPE).",
                status=status,
            )
        return OAuthError(
            "rejected",
            f"The sign-in server refused to start a sign-in ({code or f'HTTP {status}'}).{said} "
            f"Check {_http.SETTING_HINTS['device']}.",
            status=status,
        )

    def _authorization(
        self, body: dict[str, Any], verifier: str, received: float
    ) -> DeviceAuthorization:
        missing = [
            name
            for name, value in (
                ("device_code", _text(body, "device_code")),
                ("user_code", _text(body, "user_code")),
                ("verification_uri", _text(body, "verification_uri")),
            )
            if value is None
        ]
        if missing:
            raise OAuthError(
                "bad_response",
                f"The sign-in server's answer lacks {' and '.join(missing)}, so there is "
                f"nothing to show you. Check {_http.SETTING_HINTS['device']}: it must be the "
                "device authorization endpoint of an RFC 8628 server.",
            )
        uri = _web_url(_text(body, "verification_uri"))
        if uri is None:
            raise OAuthError(
                "bad_response",
                "The sign-in server's verification_uri is not an http(s) link, so it is not "
                f"shown or opened. Check {_http.SETTING_HINTS['device']}.",
            )
        return DeviceAuthorization(
            device_code=_text(body, "device_code") or "",
            user_code=_text(body, "user_code") or "",
            verification_uri=uri,
            verification_uri_complete=_web_url(_text(body, "verification_uri_complete")),
            expires_in=_seconds(body.get("expires_in")) or DEFAULT_EXPIRES_IN,
            interval=_seconds(body.get("interval")) or DEFAULT_INTERVAL,
            code_verifier=verifier,
            received_at=received,
        )

    # ------------------------------------------------------------------- poll

    async def poll(
        self, auth: DeviceAuthorization, *, on_tick: Callable[[float], None] | None = None
    ) -> OAuthTokens:
        """Wait for the user's approval and return the tokens.

        Args:
            auth: what :meth:`start` returned.
            on_tick: called about once a second while waiting, with the seconds left
                before the code expires (for a countdown).

        Raises:
            OAuthError: ``denied``, ``expired``, ``invalid_grant``, ``network`` (after
                several failures in a row), ``not_json``, ``bad_response`` (no
                ``access_token``), ``rejected``, ``server`` or ``cancelled``.
        """
        result: OAuthTokens = await self._guarded(lambda: self._poll(auth, on_tick))
        return result

    async def _poll(
        self, auth: DeviceAuthorization, on_tick: Callable[[float], None] | None
    ) -> OAuthTokens:
        import httpx

        settings = self.settings
        url = settings.token_url
        secrets = (auth.device_code, auth.code_verifier)
        data = {
            "grant_type": DEVICE_CODE_GRANT,
            "device_code": auth.device_code,
            "client_id": settings.client_id,
        }
        if auth.code_verifier:
            data["code_verifier"] = auth.code_verifier
        self.interval = auth.interval if auth.interval > 0 else DEFAULT_INTERVAL
        self.polls = 0
        failures = 0
        async with _http.async_client(self.timeout) as client:
            while True:
                await self._wait(self.interval, auth.deadline, on_tick)
                self.polls += 1
                try:
                    response = await client.post(url, data=data)
                except httpx.HTTPError as exc:
                    failures += 1
                    if failures >= MAX_TRANSIENT_FAILURES:
                        raise _http.network_error(exc, url, self.timeout, "token") from None
                    continue
                status = response.status_code
                if status >= 500:
                    failures += 1
                    if failures >= MAX_TRANSIENT_FAILURES:
                        raise OAuthError(
                            "server",
                            f"The sign-in server kept failing (HTTP {status}). Try again later.",
                            status=status,
                        )
                    continue
                failures = 0
                body = _http.read_json(response, "token")
                if 200 <= status < 300:
                    return OAuthTokens.from_token_response(body, now=self._wall())
                code, description = _http.oauth_error(body, secrets)
                if code == "authorization_pending":
                    continue
                if code == "slow_down" or (status == 429 and not code):
                    self.interval += SLOW_DOWN_STEP
                    continue
                raise _poll_refused(code, description, status)

    async def _wait(
        self, seconds: float, deadline: float, on_tick: Callable[[float], None] | None
    ) -> None:
        """Sleep ``seconds`` (ticking each second), or until ``deadline``, then raise."""
        end = min(self._clock() + seconds, deadline)
        while True:
            now = self._clock()
            if on_tick is not None:
                on_tick(max(0.0, deadline - now))
            if now >= end:
                break
            await self._sleep(min(1.0, end - now))
        if self._clock() >= deadline:
            raise OAuthError("expired", _EXPIRED)


_EXPIRED = (
    "The sign-in code expired before it was approved. Start the sign-in again "
    "(/auth in the app, or `qwen-tui auth login --method qwen-oauth`)."
)


def _poll_refused(code: str, description: str, status: int) -> OAuthError:
    said = _http.said(description)
    if code == "access_denied":
        return OAuthError(
            "denied",
            "The sign-in was refused in the browser (access denied). Start again with /auth "
            "if that was a mistake, or sign in with an API key instead.",
            status=status,
        )
    if code == "expired_token":
        return OAuthError("expired", _EXPIRED, status=status)
    if code == "invalid_grant":
        return OAuthError(
            "invalid_grant",
            f"The sign-in server no longer accepts this sign-in (invalid_grant).{said} "
            "Start the sign-in again.",
            status=status,
        )
    if code == "invalid_client" or status == 401:
        return OAuthError(
            "rejected",
            f"The sign-in server does not accept this client id ({code or status}).{said} "
            "Check oauth.clientId (QWEN_TUI_OAUTH__CLIENT_ID).",
            status=status,
        )
    return OAuthError(
        "rejected",
        f"The sign-in server refused the token request ({code or f'HTTP {status}'}).{said} "
        f"Check {_http.SETTING_HINTS['token']}.",
        status=status,
    )
