"""The device flow (RFC 8628 + PKCE) against a real device-flow server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from typing import Any

import pytest

from qwen_tui.providers.qwen_oauth import DeviceFlow, OAuthError, make_pkce_pair
from qwen_tui.providers.qwen_oauth.device_flow import DEVICE_CODE_GRANT
from tests.support.servers.device_flow_server import DeviceFlowServer, device_flow_server, s256
from tests.support.servers.openai_server import closed_port
from tests.support.waiting import async_wait_until


class FakeClock:
    """A monotonic clock and a sleep that only advances it, shared with the server."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    @property
    def slept(self) -> float:
        return round(sum(self.sleeps), 6)


def make_flow(
    server: DeviceFlowServer, clock: FakeClock | None = None, **kwargs: Any
) -> DeviceFlow:
    if clock is not None:
        server.clock = clock
        return DeviceFlow(server.oauth_settings(), sleep=clock.sleep, clock=clock, **kwargs)
    return DeviceFlow(server.oauth_settings(), **kwargs)


def token_polls(server: DeviceFlowServer) -> list[dict[str, str]]:
    return [r.form for r in server.requests if r.path == "/token"]


# ---------------------------------------------------------------- happy path and PKCE


async def test_start_sends_pkce_s256_form_encoded_and_poll_returns_tokens() -> None:
    clock = FakeClock()
    with device_flow_server(
        interval=3, auto_approve_after=3, resource_url="portal.example"
    ) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        tokens = await flow.poll(auth)
    device_request = server.requests[0]
    assert device_request.path == "/device/code"
    assert device_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert device_request.headers["accept"] == "application/json"
    form = device_request.form
    assert form["client_id"] == server.options.client_id
    assert form["scope"] == "openid profile email model.completion"
    assert form["code_challenge_method"] == "S256"
    assert form["code_challenge"] == s256(auth.code_verifier)
    assert 43 <= len(auth.code_verifier) <= 128
    polls = token_polls(server)
    assert len(polls) == 3
    for poll in polls:
        assert poll["grant_type"] == DEVICE_CODE_GRANT
        assert poll["device_code"] == auth.device_code
        assert poll["client_id"] == server.options.client_id
        assert poll["code_verifier"] == auth.code_verifier
    assert clock.slept == 9  # interval honoured before each poll
    assert server.slow_downs == 0
    assert tokens.access_token == server.grants[0].access_tokens[0]
    assert tokens.refresh_token == server.grants[0].refresh_token
    assert tokens.resource_url == "portal.example"
    assert tokens.api_base_url("https://unused.example/v1") == "https://portal.example/v1"
    assert auth.verification_uri == f"{server.url}/activate"
    assert auth.verification_uri_complete == f"{server.url}/activate?user_code={auth.user_code}"
    assert auth.browser_url == auth.verification_uri_complete


def test_pkce_pair_is_fresh_and_s256() -> None:
    verifier, challenge = make_pkce_pair()
    other, _ = make_pkce_pair()
    assert verifier != other
    assert challenge == s256(verifier)
    assert set(verifier) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )


@pytest.mark.parametrize("verifier", ["wrong-verifier-" + "x" * 40, ""])
async def test_wrong_or_missing_pkce_verifier_is_invalid_grant(verifier: str) -> None:
    clock = FakeClock()
    with device_flow_server(interval=1, auto_approve_after=1) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        server.approve()
        with pytest.raises(OAuthError) as caught:
            await flow.poll(dataclasses.replace(auth, code_verifier=verifier))
    assert caught.value.kind == "invalid_grant"
    assert "again" in caught.value.message
    assert server.grants == []


def test_secrets_stay_out_of_repr() -> None:
    async def run() -> None:
        with device_flow_server(interval=1, auto_approve_after=1) as server:
            flow = make_flow(server, FakeClock())
            auth = await flow.start()
            tokens = await flow.poll(auth)
        for text in (repr(auth), str(auth)):
            assert auth.device_code not in text
            assert auth.code_verifier not in text
            assert auth.user_code in text
        assert tokens.access_token not in repr(tokens)
        assert tokens.refresh_token is not None
        assert tokens.refresh_token not in repr(tokens)

    asyncio.run(run())


# ---------------------------------------------------------------------- polling rules


async def test_missing_interval_means_five_seconds() -> None:
    clock = FakeClock()
    with device_flow_server(interval=None, auto_approve_after=2) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        assert auth.interval == 5
        await flow.poll(auth)
    assert clock.slept == 10
    assert server.slow_downs == 0  # the server enforces 5 s too


async def test_authorization_pending_keeps_polling_until_approved() -> None:
    clock = FakeClock()
    with device_flow_server(interval=2) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        task = asyncio.create_task(flow.poll(auth))
        await async_wait_until(lambda: server.polls >= 4)
        server.approve(auth.user_code)
        tokens = await task
    assert tokens.access_token
    assert server.polls >= 5


async def test_slow_down_adds_five_seconds_to_the_interval() -> None:
    clock = FakeClock()
    # Advertises 1 s but accepts no poll sooner than 4 s after the last one.
    with device_flow_server(interval=1, min_interval=4, auto_approve_after=4) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        await flow.poll(auth)
    # t=1 pending, t=2 slow_down (interval 1 -> 6), t=8 pending, t=14 approved.
    assert server.slow_downs == 1
    assert flow.interval == 6
    assert clock.slept == 14


async def test_access_denied_stops_at_once() -> None:
    clock = FakeClock()
    with device_flow_server(interval=1) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        server.deny(auth.user_code)
        with pytest.raises(OAuthError) as caught:
            await flow.poll(auth)
    assert caught.value.kind == "denied"
    assert "refused" in caught.value.message
    assert server.polls == 1


async def test_expired_token_from_server_stops_at_once() -> None:
    clock = FakeClock()
    with device_flow_server(interval=1) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        server.clock = lambda: clock.now + 10_000  # the server thinks the code is old
        with pytest.raises(OAuthError) as caught:
            await flow.poll(auth)
    assert caught.value.kind == "expired"
    assert "expired" in caught.value.message
    assert server.polls == 0  # the expiry answer comes before counting
    assert len(token_polls(server)) == 1


async def test_polling_stops_at_expires_in() -> None:
    clock = FakeClock()
    ticks: list[float] = []
    with device_flow_server(interval=5, expires_in=12) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        with pytest.raises(OAuthError) as caught:
            await flow.poll(auth, on_tick=ticks.append)
    assert caught.value.kind == "expired"
    assert len(token_polls(server)) == 2  # at 5 s and 10 s; none after 12 s
    assert clock.slept == 12
    assert ticks[0] == 12 and ticks[-1] == 0
    assert ticks == sorted(ticks, reverse=True)


async def test_invalid_grant_while_polling_stops_at_once() -> None:
    clock = FakeClock()
    with device_flow_server(interval=1) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        with pytest.raises(OAuthError) as caught:
            await flow.poll(dataclasses.replace(auth, device_code="no-such-code"))
    assert caught.value.kind == "invalid_grant"
    assert len(token_polls(server)) == 1


# ------------------------------------------------------------------------ cancelling


async def test_cancelling_the_task_closes_the_running_request() -> None:
    with device_flow_server(interval=0.05, mode="ok") as server:
        flow = make_flow(server)
        auth = await flow.start()
        server.options.mode = "hang"
        task = asyncio.create_task(flow.poll(auth))
        await async_wait_until(lambda: server.open_polls == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await async_wait_until(lambda: server.hangups == 1 and server.open_polls == 0)


async def test_flow_cancel_raises_cancelled_and_closes_the_request() -> None:
    with device_flow_server(interval=0.05) as server:
        flow = make_flow(server)
        auth = await flow.start()
        server.options.mode = "hang"
        task = asyncio.create_task(flow.poll(auth))
        await async_wait_until(lambda: server.open_polls == 1)
        flow.cancel()
        with pytest.raises(OAuthError) as caught:
            await task
        assert caught.value.kind == "cancelled"
        await async_wait_until(lambda: server.hangups == 1 and server.open_polls == 0)
        assert not task.cancelled()


async def test_cancel_while_waiting_between_polls() -> None:
    with device_flow_server(interval=30) as server:
        flow = make_flow(server)
        auth = await flow.start()
        task = asyncio.create_task(flow.poll(auth))
        await async_wait_until(lambda: flow.interval is not None)  # polling has begun
        flow.cancel()
        with pytest.raises(OAuthError) as caught:
            await task
    assert caught.value.kind == "cancelled"
    assert token_polls(server) == []


# ------------------------------------------------------------------------- bad input


async def test_unreachable_server() -> None:
    port = closed_port()
    with device_flow_server() as server:
        settings = server.oauth_settings(
            device_authorization_url=f"http://127.0.0.1:{port}/device/code"
        )
    with pytest.raises(OAuthError) as caught:
        await DeviceFlow(settings, timeout=5).start()
    assert caught.value.kind == "network"
    assert "refused" in caught.value.message
    assert "QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL" in caught.value.message


async def test_polling_gives_up_after_repeated_network_failures() -> None:
    clock = FakeClock()
    with device_flow_server(interval=1) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
    flow.settings = server.oauth_settings(token_url=f"http://127.0.0.1:{closed_port()}/token")
    with pytest.raises(OAuthError) as caught:
        await flow.poll(auth)
    assert caught.value.kind == "network"
    assert "QWEN_TUI_OAUTH__TOKEN_URL" in caught.value.message
    assert flow.polls == 3


async def test_html_instead_of_json() -> None:
    with device_flow_server(mode="html") as server, pytest.raises(OAuthError) as caught:
        await make_flow(server).start()
    assert caught.value.kind == "not_json"
    assert "web page" in caught.value.message
    assert "oauth.deviceAuthorizationUrl" in caught.value.message


async def test_html_from_the_token_endpoint() -> None:
    clock = FakeClock()
    with device_flow_server(interval=1) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        server.options.mode = "html"
        with pytest.raises(OAuthError) as caught:
            await flow.poll(auth)
    assert caught.value.kind == "not_json"
    assert "oauth.tokenUrl" in caught.value.message


@pytest.mark.parametrize(
    ("mode", "field"),
    [("no_user_code", "user_code"), ("no_verification_uri", "verification_uri")],
)
async def test_device_answer_missing_a_field(mode: str, field: str) -> None:
    with device_flow_server(mode=mode) as server, pytest.raises(OAuthError) as caught:
        await make_flow(server).start()
    assert caught.value.kind == "bad_response"
    assert field in caught.value.message


async def test_token_answer_without_access_token() -> None:
    clock = FakeClock()
    with device_flow_server(interval=1, auto_approve_after=1) as server:
        flow = make_flow(server, clock)
        auth = await flow.start()
        server.options.mode = "no_access_token"
        with pytest.raises(OAuthError) as caught:
            await flow.poll(auth)
    assert caught.value.kind == "bad_response"
    assert "access_token" in caught.value.message


async def test_unknown_client_id_names_the_setting() -> None:
    with device_flow_server() as server:
        flow = DeviceFlow(server.oauth_settings(client_id="someone-else"))
        with pytest.raises(OAuthError) as caught:
            await flow.start()
    assert caught.value.kind == "rejected"
    assert "QWEN_TUI_OAUTH__CLIENT_ID" in caught.value.message


def test_importing_the_package_loads_no_http_or_authlib() -> None:
    code = (
        "import sys, json, qwen_tui.providers, qwen_tui.providers.qwen_oauth, qwen_tui.cli;"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = set(json.loads(result.stdout))
    for heavy in ("authlib", "httpx", "filelock", "openai", "textual"):
        assert not {m for m in modules if m == heavy or m.startswith(heavy + ".")}, heavy
