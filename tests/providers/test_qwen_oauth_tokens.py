"""Token storage and refresh: one keyring entry, refresh in time, rotation, two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from keyring.backends.fail import Keyring as FailKeyring

from qwen_tui.credentials import CredentialStore
from qwen_tui.providers.qwen_oauth import (
    LOCK_FILE,
    OAuthError,
    OAuthTokens,
    TokenManager,
    api_base_url,
)
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.device_flow_server import DeviceFlowServer, device_flow_server
from tests.support.servers.openai_server import closed_port
from tests.support.waiting import wait_until


def tokens_from(server: DeviceFlowServer, *, expires_in: float) -> OAuthTokens:
    body = server.issue_tokens()
    return OAuthTokens.from_token_response(body, now=time.time() - body["expires_in"] + expires_in)


def make_manager(
    server: DeviceFlowServer, home: Path, store: CredentialStore | None = None, **kwargs: Any
) -> TokenManager:
    store = store or CredentialStore(home, backend=MemoryKeyring())
    return TokenManager(store, server.oauth_settings(), home, **kwargs)


# ------------------------------------------------------------------------ the tokens


def test_json_round_trip_uses_qwen_code_format() -> None:
    tokens = OAuthTokens("at-1", "rt-1", expires_at=1_700_000_000.5, resource_url="portal.qwen.ai")
    data = json.loads(tokens.to_json())
    assert data == {
        "access_token": "at-1",
        "refresh_token": "rt-1",
        "token_type": "Bearer",
        "resource_url": "portal.qwen.ai",
        "expiry_date": 1_700_000_000_500,
    }
    assert OAuthTokens.from_json(tokens.to_json()) == tokens


@pytest.mark.parametrize("text", ["not json", "[]", "{}", '{"access_token": ""}'])
def test_bad_json_is_refused_without_quoting_it(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        OAuthTokens.from_json(text)
    assert text not in str(caught.value) or text in ("[]", "{}")


@pytest.mark.parametrize(
    ("resource_url", "expected"),
    [
        ("portal.qwen.ai", "https://portal.qwen.ai/v1"),
        ("127.0.0.1:8443", "https://127.0.0.1:8443/v1"),
        ("https://portal.qwen.ai", "https://portal.qwen.ai/v1"),
        ("https://portal.qwen.ai/v1/", "https://portal.qwen.ai/v1"),
        ("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1"),
        (None, "https://dashscope.aliyuncs.com/compatible-mode/v1"),
        ("", "https://dashscope.aliyuncs.com/compatible-mode/v1"),
    ],
)
def test_api_base_url_adds_scheme_and_v1(resource_url: str | None, expected: str) -> None:
    default = "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert api_base_url(resource_url, default) == expected
    assert OAuthTokens("a", resource_url=resource_url).api_base_url(default) == expected


def test_refresh_answer_without_new_refresh_token_keeps_the_old_one() -> None:
    old = OAuthTokens("a", "rt-old", expires_at=0, resource_url="r.example")
    new = OAuthTokens.from_token_response(
        {"access_token": "b", "expires_in": 60}, now=100, previous=old
    )
    assert (new.refresh_token, new.resource_url, new.expires_at) == ("rt-old", "r.example", 160)


# ------------------------------------------------------------------------- storage


def test_tokens_are_one_keyring_entry_and_never_in_a_file(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    store = CredentialStore(isolated_home, allow_file_store=True, backend=keyring)
    with device_flow_server() as server:
        manager = make_manager(server, isolated_home, store)
        tokens = tokens_from(server, expires_in=3600)
        where = manager.save(tokens)
    assert where.kind == "keyring"
    assert list(keyring.items) == [("qwen-tui", "qwen-oauth")]
    assert OAuthTokens.from_json(keyring.items[("qwen-tui", "qwen-oauth")]) == tokens
    assert manager.current() == tokens
    for path in isolated_home.rglob("*") if isolated_home.exists() else []:
        if path.is_file():
            text = path.read_text(errors="replace")
            assert tokens.access_token not in text
            assert tokens.refresh_token is not None and tokens.refresh_token not in text
    assert manager.delete() is True
    assert keyring.items == {}
    assert manager.current() is None


async def test_not_signed_in_and_damaged_entries(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    with device_flow_server() as server:
        manager = make_manager(
            server, isolated_home, CredentialStore(isolated_home, backend=keyring)
        )
        with pytest.raises(OAuthError) as caught:
            await manager.fresh_tokens()
        assert caught.value.kind == "not_signed_in"
        keyring.items[("qwen-tui", "qwen-oauth")] = "{broken"
        with pytest.raises(OAuthError) as caught:
            manager.current()
        assert caught.value.kind == "damaged"
        assert "{broken" not in caught.value.message


# ------------------------------------------------------------------------- refresh


async def test_refresh_happens_30_seconds_before_expiry(isolated_home: Path) -> None:
    with device_flow_server() as server:
        manager = make_manager(server, isolated_home)
        safe = tokens_from(server, expires_in=31)
        manager.save(safe)
        assert await manager.fresh_tokens() == safe
        assert server.refresh_requests == 0
        due = tokens_from(server, expires_in=29)
        manager.save(due)
        fresh = await manager.fresh_tokens()
    assert server.refresh_requests == 1
    assert fresh.access_token != due.access_token
    assert fresh.expires_at == pytest.approx(time.time() + 3600, abs=5)


async def test_rotated_refresh_token_is_stored_every_time(isolated_home: Path) -> None:
    with device_flow_server(access_lifetime=10) as server:  # always within the margin
        manager = make_manager(server, isolated_home)
        manager.save(tokens_from(server, expires_in=10))
        seen = set()
        for _ in range(3):
            fresh = await manager.fresh_tokens()
            stored = manager.current()
            assert stored == fresh
            assert fresh.refresh_token == server.grants[-1].refresh_token
            seen.add(fresh.refresh_token)
    assert server.refresh_requests == 3
    assert len(seen) == 3
    assert server.reuse_detected == 0
    assert len(set(server.refresh_tokens_seen)) == 3


async def test_force_refreshes_a_valid_token_once(isolated_home: Path) -> None:
    with device_flow_server() as server:
        manager = make_manager(server, isolated_home)
        tokens = tokens_from(server, expires_in=3600)
        manager.save(tokens)
        fresh = await manager.fresh_tokens(force=True, rejected_access_token=tokens.access_token)
        assert fresh.access_token != tokens.access_token
        # The same rejected token again: the store already holds a newer one.
        again = await manager.fresh_tokens(force=True, rejected_access_token=tokens.access_token)
    assert again == fresh
    assert server.refresh_requests == 1


async def test_revoked_refresh_token_asks_to_sign_in_again_and_keeps_tokens(
    isolated_home: Path,
) -> None:
    with device_flow_server() as server:
        manager = make_manager(server, isolated_home)
        tokens = tokens_from(server, expires_in=5)
        manager.save(tokens)
        server.revoke_all()
        with pytest.raises(OAuthError) as caught:
            await manager.fresh_tokens()
    assert caught.value.kind == "invalid_grant"
    assert "/auth" in caught.value.message
    assert "sign in again" in caught.value.message.lower()
    assert tokens.refresh_token is not None and tokens.refresh_token not in caught.value.message
    assert manager.current() == tokens  # not deleted: the UI decides


async def test_network_failure_keeps_a_still_valid_token(isolated_home: Path) -> None:
    with device_flow_server() as server:
        tokens = tokens_from(server, expires_in=20)
    settings = server.oauth_settings(token_url=f"http://127.0.0.1:{closed_port()}/token")
    store = CredentialStore(isolated_home, backend=MemoryKeyring())
    manager = TokenManager(store, settings, isolated_home, timeout=5)
    manager.save(tokens)
    assert await manager.fresh_tokens() == tokens  # 20 s left: use it, retry next time
    with pytest.raises(OAuthError) as caught:
        await manager.fresh_tokens(force=True)
    assert caught.value.kind == "network"
    expired = OAuthTokens(tokens.access_token, tokens.refresh_token, expires_at=time.time() - 1)
    manager.save(expired)
    with pytest.raises(OAuthError) as caught:
        await manager.fresh_tokens()
    assert caught.value.kind == "network"


async def test_refresh_lock_lives_in_the_home(isolated_home: Path) -> None:
    with device_flow_server() as server:
        manager = make_manager(server, isolated_home)
        manager.save(tokens_from(server, expires_in=1))
        await manager.fresh_tokens()
    assert manager.lock_path == isolated_home / LOCK_FILE
    assert manager.lock_path.parent.is_dir()


# ------------------------------------------------------------------- two processes

WORKER = r"""
import asyncio, json, os, sys, time
from pathlib import Path

import filelock, httpx  # loaded before the barrier so both start the race alike

from qwen_tui.config.model import OAuthSettings
from qwen_tui.credentials import CredentialStore
from qwen_tui.providers.qwen_oauth import TokenManager

home = Path(os.environ["QWEN_TUI_HOME"])
barrier, ready, token_url, client_id = sys.argv[1:5]
settings = OAuthSettings(token_url=token_url, client_id=client_id)
manager = TokenManager(CredentialStore(home, allow_file_store=True), settings, home)
Path(ready).write_text("ready")
while not Path(barrier).exists():
    time.sleep(0.001)
tokens = asyncio.run(manager.fresh_tokens())
print(json.dumps({"access": tokens.access_token, "refresh": tokens.refresh_token,
                  "refreshes": manager.refreshes}))
"""


def test_two_processes_refresh_once_and_never_reuse_a_rotated_token(
    isolated_home: Path, tmp_path: Path
) -> None:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["QWEN_TUI_HOME"] = str(isolated_home)
    with device_flow_server(refresh_delay=0.5) as server:
        store = CredentialStore(isolated_home, allow_file_store=True, backend=FailKeyring())
        manager = TokenManager(store, server.oauth_settings(), isolated_home)
        expired = tokens_from(server, expires_in=-60)
        assert manager.save(expired).kind == "file"
        barrier = tmp_path / "go"
        workers = []
        for index in range(2):
            ready = tmp_path / f"ready-{index}"
            workers.append(
                (
                    ready,
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-c",
                            WORKER,
                            str(barrier),
                            str(ready),
                            server.token_url,
                            server.options.client_id,
                        ],
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    ),
                )
            )
        wait_until(lambda: all(ready.exists() for ready, _ in workers), "workers did not start")
        barrier.write_text("go")
        results = []
        for _, process in workers:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            results.append(json.loads(out))
        assert server.refresh_requests == 1
        assert server.reuse_detected == 0
        assert len(server.refresh_tokens_seen) == len(set(server.refresh_tokens_seen))
        grant = server.grants[0]
    assert sum(result["refreshes"] for result in results) == 1
    assert results[0]["access"] == results[1]["access"] == grant.access_tokens[-1]
    assert results[0]["refresh"] == results[1]["refresh"] == grant.refresh_token
    stored = manager.current()
    assert stored is not None
    assert stored.access_token == grant.access_tokens[-1]
    assert stored.refresh_token == grant.refresh_token
    assert not stored.expires_within(60)
