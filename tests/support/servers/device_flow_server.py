"""A real OAuth 2.0 device-flow server on 127.0.0.1 for tests (standard library only).

Written from the public specs: RFC 8628 (device authorization grant: the device
endpoint, ``authorization_pending``, ``slow_down``, ``access_denied``,
``expired_token``), RFC 7636 (PKCE: the S256 challenge is kept and every token
request's ``code_verifier`` checked against it) and RFC 6749 section 6 (refresh, here
with rotating refresh tokens: a rotated one used again is ``invalid_grant`` and revokes
the whole grant, as careful servers do).

Usage::

    with device_flow_server(auto_approve_after=2) as server:
        settings = server.oauth_settings()  # OAuthSettings pointing here
        ...
        assert server.refresh_requests == 1

Options change at any time (each request reads them anew). ``clock`` (monotonic) drives
the device-code expiry and the polling-interval check, so a test can share a fake clock
with the client. Misbehaviour (``mode``): ``"html"`` (a web page on both endpoints),
``"no_user_code"``, ``"no_verification_uri"`` (device answers lacking that field),
``"no_access_token"`` (token answers lacking it), ``"hang"`` (the token endpoint keeps
device-grant polls open until the client hangs up; ``server.hangups`` counts those).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs

from tests.support.servers.openai_server import OpenAIServer, openai_server

__all__ = ["DeviceFlowOptions", "DeviceFlowServer", "FormRequest", "device_flow_server"]

Mode = Literal["ok", "html", "no_user_code", "no_verification_uri", "no_access_token", "hang"]
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>\n"


@dataclass
class DeviceFlowOptions:
    """What the server does.

    Attributes:
        client_id: the one client id accepted.
        interval: ``interval`` sent in device answers; ``None`` leaves it out (the client
            must assume 5 s).
        enforce_interval: answer ``slow_down`` when polled sooner than ``min_interval``.
        min_interval: the shortest gap between polls the server accepts; ``None``: the
            advertised interval (5 s when none is advertised).
        expires_in: lifetime of device codes, seconds.
        auto_approve_after: approve a code by itself at this poll (1 = the first).
        auto_deny_after: deny a code by itself at this poll.
        access_lifetime: ``expires_in`` of access tokens.
        resource_url: ``resource_url`` put into token answers (``None``: left out).
        require_pkce: refuse device requests without an S256 challenge.
        rotate_refresh_tokens: issue a new refresh token on every refresh.
        refresh_delay: seconds the refresh grant takes (widens race windows).
        mode: misbehaviour, see the module docstring.
        on_issue: called with each new access token (e.g. to tell an API server).
    """

    client_id: str = "qwen-tui-test-client"
    interval: float | None = 5.0
    enforce_interval: bool = True
    min_interval: float | None = None
    expires_in: float = 600.0
    auto_approve_after: int | None = None
    auto_deny_after: int | None = None
    access_lifetime: float = 3600.0
    resource_url: str | None = None
    require_pkce: bool = True
    rotate_refresh_tokens: bool = True
    refresh_delay: float = 0.0
    mode: Mode = "ok"
    on_issue: Callable[[str], None] | None = None


@dataclass
class FormRequest:
    """One request as received: path, lower-case headers, the decoded form."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class _Device:
    device_code: str
    user_code: str
    client_id: str
    challenge: str | None
    issued_at: float
    expires_in: float
    interval: float
    polls: int = 0
    last_poll: float | None = None
    state: Literal["pending", "approved", "denied", "used"] = "pending"


@dataclass
class _Grant:
    grant_id: int
    refresh_token: str
    revoked: bool = False
    used_refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: list[str] = field(default_factory=list)


def s256(verifier: str) -> str:
    """RFC 7636 section 4.2: BASE64URL(SHA256(ASCII(code_verifier))), no padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: DeviceFlowServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    @property
    def owner(self) -> DeviceFlowServer:
        return self.server.owner

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._reply(status, json.dumps(payload).encode(), "application/json")

    def _error(self, status: int, error: str, description: str = "") -> None:
        payload = {"error": error}
        if description:
            payload["error_description"] = description
        self._json(status, payload)

    def do_GET(self) -> None:
        self._reply(200, HTML_PAGE, "text/html; charset=utf-8")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        form = {key: values[0] for key, values in parse_qs(raw).items()}
        request = FormRequest(
            "POST",
            self.path.split("?", 1)[0],
            {name.lower(): value for name, value in self.headers.items()},
            form,
        )
        owner = self.owner
        with owner.lock:
            owner.requests.append(request)
        try:
            if owner.options.mode == "html":
                self._reply(200, HTML_PAGE, "text/html; charset=utf-8")
            elif request.path == "/device/code":
                self._device(form)
            elif request.path == "/token":
                self._token(form)
            else:
                self._error(404, "not_found", f"no endpoint {request.path}")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ----------------------------------------------------------- device endpoint

    def _device(self, form: dict[str, str]) -> None:
        owner = self.owner
        options = owner.options
        if form.get("client_id") != options.client_id:
            self._error(401, "invalid_client", "unknown client")
            return
        challenge = form.get("code_challenge")
        method = form.get("code_challenge_method", "plain")
        if challenge is not None and method != "S256":
            self._error(400, "invalid_request", "only S256 is supported")
            return
        if challenge is None and options.require_pkce:
            self._error(400, "invalid_request", "code_challenge is required")
            return
        device = _Device(
            device_code=secrets.token_urlsafe(24),
            user_code=f"{secrets.randbelow(10**4):04d}-{secrets.randbelow(10**4):04d}",
            client_id=form["client_id"],
            challenge=challenge,
            issued_at=owner.clock(),
            expires_in=options.expires_in,
            interval=options.min_interval or options.interval or 5.0,
        )
        with owner.lock:
            owner.devices[device.device_code] = device
            owner.scopes.append(form.get("scope", ""))
        verification_uri = f"{owner.url}/activate"
        body: dict[str, Any] = {
            "device_code": device.device_code,
            "user_code": device.user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": f"{verification_uri}?user_code={device.user_code}",
            "expires_in": options.expires_in,
        }
        if options.interval is not None:
            body["interval"] = options.interval
        if options.mode == "no_user_code":
            del body["user_code"]
        if options.mode == "no_verification_uri":
            del body["verification_uri"]
            del body["verification_uri_complete"]
        self._json(200, body)

    # ------------------------------------------------------------ token endpoint

    def _token(self, form: dict[str, str]) -> None:
        options = self.owner.options
        if form.get("client_id") != options.client_id:
            self._error(401, "invalid_client", "unknown client")
            return
        grant_type = form.get("grant_type")
        if grant_type == DEVICE_GRANT:
            self._device_grant(form)
        elif grant_type == "refresh_token":
            self._refresh_grant(form)
        else:
            self._error(400, "unsupported_grant_type")

    def _wait_for_hangup(self) -> None:
        """Keep the request open until the client goes away (or the server stops)."""
        owner = self.owner
        while not owner.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if not readable:
                continue
            try:
                data = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                data = b""
            if not data:
                with owner.lock:
                    owner.hangups += 1
                self.close_connection = True
                return

    def _device_grant(self, form: dict[str, str]) -> None:
        owner = self.owner
        options = owner.options
        if options.mode == "hang":
            with owner.lock:
                owner.open_polls += 1
            try:
                self._wait_for_hangup()
            finally:
                with owner.lock:
                    owner.open_polls -= 1
            return
        with owner.lock:
            device = owner.devices.get(form.get("device_code", ""))
            if device is None or device.state == "used":
                error: tuple[int, str, str] | None = (400, "invalid_grant", "unknown device_code")
            elif device.client_id != form.get("client_id"):
                error = (400, "invalid_grant", "device_code was issued to another client")
            elif (
                device.challenge is not None
                and s256(form.get("code_verifier", "")) != device.challenge
            ):
                error = (400, "invalid_grant", "PKCE verification failed")
            else:
                error = None
            if error is not None:
                self._error(*error)
                return
            assert device is not None
            now = owner.clock()
            if now - device.issued_at >= device.expires_in:
                self._error(400, "expired_token", "the device code has expired")
                return
            too_soon = device.last_poll is not None and now - device.last_poll < device.interval
            device.last_poll = now
            device.polls += 1
            owner.polls += 1
            if options.enforce_interval and too_soon:
                owner.slow_downs += 1
                self._error(400, "slow_down", "polling too fast")
                return
            if (
                device.state == "pending"
                and options.auto_approve_after is not None
                and device.polls >= options.auto_approve_after
            ):
                device.state = "approved"
            if (
                device.state == "pending"
                and options.auto_deny_after is not None
                and device.polls >= options.auto_deny_after
            ):
                device.state = "denied"
            if device.state == "denied":
                self._error(400, "access_denied", "the user denied the request")
                return
            if device.state == "pending":
                self._error(400, "authorization_pending")
                return
            device.state = "used"
            body = owner._new_grant()
        self._send_tokens(body)

    def _refresh_grant(self, form: dict[str, str]) -> None:
        owner = self.owner
        options = owner.options
        if options.refresh_delay:
            owner.stopping.wait(options.refresh_delay)
        token = form.get("refresh_token", "")
        with owner.lock:
            owner.refresh_requests += 1
            owner.refresh_tokens_seen.append(token)
            grant = owner.grant_by_refresh.get(token)
            if grant is None:
                self._error(400, "invalid_grant", "unknown refresh token")
                return
            if token in grant.used_refresh_tokens:
                owner.reuse_detected += 1
                grant.revoked = True
                self._error(400, "invalid_grant", "refresh token reused; grant revoked")
                return
            if grant.revoked:
                self._error(400, "invalid_grant", "the grant was revoked")
                return
            if options.rotate_refresh_tokens:
                grant.used_refresh_tokens.add(token)
                grant.refresh_token = secrets.token_urlsafe(24)
                owner.grant_by_refresh[grant.refresh_token] = grant
            body = owner._token_body(grant)
        self._send_tokens(body)

    def _send_tokens(self, body: dict[str, Any]) -> None:
        owner = self.owner
        if owner.options.on_issue is not None:
            owner.options.on_issue(body["access_token"])
        if owner.options.mode == "no_access_token":
            body = {key: value for key, value in body.items() if key != "access_token"}
        self._json(200, body)


class DeviceFlowServer:
    """A running device-flow server.

    Attributes:
        options: what it does (mutable).
        requests: every POST, in order.
        url: ``http://127.0.0.1:PORT``; endpoints ``/device/code`` and ``/token``.
        polls / slow_downs / refresh_requests / reuse_detected / hangups: counters.
        clock: monotonic clock for device-code timing; a test may replace it.
    """

    def __init__(self, options: DeviceFlowOptions) -> None:
        self.options = options
        self.clock: Callable[[], float] = time.monotonic
        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self.requests: list[FormRequest] = []
        self.devices: dict[str, _Device] = {}
        self.scopes: list[str] = []
        self.grants: list[_Grant] = []
        self.grant_by_refresh: dict[str, _Grant] = {}
        self.refresh_tokens_seen: list[str] = []
        self.polls = 0
        self.slow_downs = 0
        self.refresh_requests = 0
        self.reuse_detected = 0
        self.hangups = 0
        self.open_polls = 0
        self._server = _Server(self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"device-flow-server-{self.port}",
            daemon=True,
        )

    @property
    def device_url(self) -> str:
        return f"{self.url}/device/code"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def oauth_settings(self, **overrides: Any) -> Any:
        """``OAuthSettings`` pointing at this server."""
        from qwen_tui.config.model import OAuthSettings

        values: dict[str, Any] = {
            "device_authorization_url": self.device_url,
            "token_url": self.token_url,
            "client_id": self.options.client_id,
            "scope": "openid profile email model.completion",
        }
        values.update(overrides)
        return OAuthSettings(**values)

    def environment(self) -> dict[str, str]:
        """The ``QWEN_TUI_OAUTH__*`` variables that point qwen-tui at this server."""
        return {
            "QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL": self.device_url,
            "QWEN_TUI_OAUTH__TOKEN_URL": self.token_url,
            "QWEN_TUI_OAUTH__CLIENT_ID": self.options.client_id,
        }

    # ------------------------------------------------------------- test controls

    def _device(self, user_code: str | None) -> _Device:
        with self.lock:
            if user_code is None:
                return list(self.devices.values())[-1]
            return next(d for d in self.devices.values() if d.user_code == user_code)

    def approve(self, user_code: str | None = None) -> None:
        """The user approves (the latest code when none is named)."""
        with self.lock:
            self._device(user_code).state = "approved"

    def deny(self, user_code: str | None = None) -> None:
        """The user refuses."""
        with self.lock:
            self._device(user_code).state = "denied"

    def revoke_all(self) -> None:
        """Revoke every grant (e.g. the user signed out everywhere)."""
        with self.lock:
            for grant in self.grants:
                grant.revoked = True

    def issue_tokens(self) -> dict[str, Any]:
        """A new grant as a token answer, without the device flow (for refresh tests)."""
        with self.lock:
            body = self._new_grant()
        if self.options.on_issue is not None:
            self.options.on_issue(body["access_token"])
        return body

    def _new_grant(self) -> dict[str, Any]:
        grant = _Grant(len(self.grants), secrets.token_urlsafe(24))
        self.grants.append(grant)
        self.grant_by_refresh[grant.refresh_token] = grant
        return self._token_body(grant)

    def _token_body(self, grant: _Grant) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(18)
        grant.access_tokens.append(access)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.options.access_lifetime,
            "refresh_token": grant.refresh_token,
            "scope": "openid profile email model.completion",
        }
        if self.options.resource_url is not None:
            body["resource_url"] = self.options.resource_url
        return body

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def device_flow_server(**options: Any) -> Iterator[DeviceFlowServer]:
    """Run a :class:`DeviceFlowServer` for the duration of a ``with`` block."""
    server = DeviceFlowServer(DeviceFlowOptions(**options))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def device_flow_with_api(
    **options: Any,
) -> Iterator[tuple[DeviceFlowServer, OpenAIServer]]:
    """A device-flow server whose ``resource_url`` is an OpenAI-compatible server that
    accepts exactly the access tokens it issued, as Qwen's API does: a sign-in's
    one-token test request is answered. ``options`` go to the device-flow server."""
    with openai_server(api_key="no-token-issued-yet", models=["qwen3-coder-plus"]) as api:
        then = options.pop("on_issue", None)

        def hand_over(token: str) -> None:
            api.options.api_key = token
            if then is not None:
                then(token)

        with device_flow_server(resource_url=api.base_url, on_issue=hand_over, **options) as server:
            yield server, api
