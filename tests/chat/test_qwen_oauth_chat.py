"""Chatting under Qwen OAuth: the active provider, refresh before expiry and on 401, quota."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qwen_tui.account import Account, sign_out_qwen
from qwen_tui.chat.events import ChatEvent, ChatFailure, Finished, TextDelta
from qwen_tui.chat.service import ChatService
from qwen_tui.config import LoadedSettings, load_settings, update_settings_file
from qwen_tui.credentials import CredentialStore
from qwen_tui.providers import ProviderError
from qwen_tui.providers.qwen_oauth import OAuthTokens, TokenManager
from qwen_tui.providers.registry import ActiveProvider
from qwen_tui.providers.signin import credentials_refresher, registry_for, resolve_active
from qwen_tui.ui.failure_text import failure_text
from tests.support.account_helpers import store_qwen_sign_in
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.device_flow_server import DeviceFlowServer, device_flow_server
from tests.support.servers.openai_server import OpenAIServer, ScriptedError, openai_server

PROMPT = [{"role": "user", "content": "hello"}]


@dataclass
class Setup:
    oauth: DeviceFlowServer
    api: OpenAIServer
    loaded: LoadedSettings
    store: CredentialStore
    keyring: MemoryKeyring

    def manager(self) -> TokenManager:
        return TokenManager(self.store, self.loaded.settings.oauth, self.loaded.home)

    def sign_in(self, *, expires_in: float = 3600) -> OAuthTokens:
        body = self.oauth.issue_tokens()  # on_issue hands the token to the API server
        tokens = OAuthTokens.from_token_response(
            body, now=time.time() - body["expires_in"] + expires_in
        )
        store_qwen_sign_in(self.loaded, tokens, self.keyring)
        self.loaded = load_settings()
        return tokens

    def resolve(self) -> ActiveProvider:
        active = resolve_active(self.loaded, registry_for(self.loaded), self.store)
        assert active is not None
        return active

    def service(self, active: ActiveProvider) -> ChatService:
        return ChatService(
            active, timeout=10, refresh_credentials=credentials_refresher(self.loaded, self.store)
        )

    def chat_requests(self) -> list[str | None]:
        return [r.authorization for r in self.api.requests if r.path == "/v1/chat/completions"]


@pytest.fixture
def setup(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    with openai_server(api_key="nobody-yet", models=["qwen3-coder-plus"]) as api:

        def hand_over(token: str) -> None:
            api.options.api_key = token

        with device_flow_server(resource_url=api.base_url, on_issue=hand_over) as oauth:
            for name, value in oauth.environment().items():
                monkeypatch.setenv(name, value)
            keyring = MemoryKeyring()
            store = CredentialStore(isolated_home, backend=keyring)
            yield Setup(oauth, api, load_settings(), store, keyring)


async def collect(service: ChatService) -> list[ChatEvent]:
    events = [event async for event in service.stream(PROMPT)]
    await service.aclose()
    return events


def text_of(events: list[ChatEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# ------------------------------------------------------------------- the provider


def test_sign_in_selects_qwen_oauth_and_keeps_tokens_out_of_settings(setup: Setup) -> None:
    update_settings_file(
        setup.loaded.settings_file,
        {"model": {"provider": "openai", "name": "gpt-4o", "baseUrl": "https://x.example/v1"}},
    )
    setup.loaded = load_settings()
    tokens = setup.sign_in()
    text = setup.loaded.settings_file.read_text()
    data = json.loads(text)
    assert data["security"]["auth"]["selectedType"] == "qwen-oauth"
    assert data["model"] == {"provider": "qwen"}  # a model of another provider is dropped
    assert tokens.access_token not in text
    assert tokens.refresh_token is not None and tokens.refresh_token not in text
    assert list(setup.keyring.items) == [("qwen-tui", "qwen-oauth")]


def test_resolve_active_uses_the_token_and_resource_url(setup: Setup) -> None:
    tokens = setup.sign_in()
    active = setup.resolve()
    assert active.provider.id == "qwen"
    assert active.base_url == setup.api.base_url
    assert active.api_key == tokens.access_token
    assert active.model == "qwen3-coder-plus"
    assert active.source == "settings"
    assert tokens.access_token not in repr(active)


def test_resolve_active_adds_https_and_v1_or_uses_the_default(setup: Setup) -> None:
    setup.oauth.options.resource_url = f"127.0.0.1:{setup.api.port}"
    setup.sign_in()
    assert setup.resolve().base_url == f"https://127.0.0.1:{setup.api.port}/v1"
    setup.oauth.options.resource_url = None
    setup.sign_in()
    assert setup.resolve().base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"


def test_resolve_active_without_tokens_is_none_and_refreshes_when_due(setup: Setup) -> None:
    update_settings_file(
        setup.loaded.settings_file, {"security": {"auth": {"selectedType": "qwen-oauth"}}}
    )
    setup.loaded = load_settings()
    assert resolve_active(setup.loaded, registry_for(setup.loaded), setup.store) is None
    old = setup.sign_in(expires_in=10)
    active = setup.resolve()
    assert setup.oauth.refresh_requests == 1
    assert active.api_key != old.access_token
    assert active.api_key == setup.api.options.api_key


def test_resolve_active_reports_a_revoked_sign_in_as_provider_error(setup: Setup) -> None:
    setup.sign_in(expires_in=10)
    setup.oauth.revoke_all()
    with pytest.raises(ProviderError) as caught:
        setup.resolve()
    assert caught.value.kind == "auth"
    assert "/auth" in caught.value.message


def test_sign_out_removes_the_entry(setup: Setup) -> None:
    setup.sign_in()
    assert sign_out_qwen(Account(setup.loaded, keyring_backend=setup.keyring)) is True
    assert setup.keyring.items == {}
    assert (
        "selectedType" not in json.loads(setup.loaded.settings_file.read_text())["security"]["auth"]
    )


def test_refresher_is_only_for_qwen_oauth(setup: Setup) -> None:
    assert credentials_refresher(setup.loaded, setup.store) is None
    setup.sign_in()
    assert credentials_refresher(setup.loaded, setup.store) is not None


# ---------------------------------------------------------------------- the chat


async def test_401_refreshes_once_and_retries_with_the_new_token(setup: Setup) -> None:
    old = setup.sign_in()
    service = setup.service(setup.resolve())
    setup.api.options.api_key = "revoked-on-the-server"
    events = await collect(service)
    assert text_of(events) == "Hello, world!"
    assert isinstance(events[-1], Finished)
    new = setup.manager().current()
    assert new is not None and new.access_token != old.access_token
    assert setup.oauth.refresh_requests == 1
    assert setup.chat_requests() == [f"Bearer {old.access_token}", f"Bearer {new.access_token}"]
    assert service.active.api_key == new.access_token


async def test_token_about_to_expire_is_refreshed_before_the_request(setup: Setup) -> None:
    setup.sign_in(expires_in=3600)
    active = setup.resolve()
    stored = setup.manager().current()
    assert stored is not None
    setup.manager().save(dataclasses.replace(stored, expires_at=time.time() + 10))
    events = await collect(setup.service(active))
    assert isinstance(events[-1], Finished)
    assert setup.oauth.refresh_requests == 1
    assert len(setup.chat_requests()) == 1  # no failed request first
    assert setup.chat_requests()[0] != f"Bearer {stored.access_token}"


async def test_second_401_after_the_retry_is_a_clear_auth_failure(setup: Setup) -> None:
    setup.sign_in()
    service = setup.service(setup.resolve())
    setup.oauth.options.on_issue = None
    setup.api.options.api_key = "never-matches"
    events = await collect(service)
    failure = events[-1]
    assert isinstance(failure, ChatFailure)
    assert failure.kind == "auth" and failure.status == 401
    assert "/auth" in failure.message
    assert len(setup.chat_requests()) == 2  # one retry only
    assert setup.oauth.refresh_requests == 1
    for secret in (service.active.api_key, "never-matches"):
        assert secret is not None and secret not in failure.message


async def test_refresh_token_revoked_while_a_chat_is_open(setup: Setup) -> None:
    tokens = setup.sign_in()
    service = setup.service(setup.resolve())
    events = await collect(service)
    assert isinstance(events[-1], Finished)
    setup.oauth.revoke_all()  # signed out everywhere, say
    setup.api.options.api_key = "revoked"
    events = await collect(service)
    failure = events[-1]
    assert isinstance(failure, ChatFailure)
    assert failure.kind == "auth"
    assert "Sign in again with /auth" in failure.message
    assert "conversation is kept" in failure.message
    assert setup.manager().current() == tokens  # nothing deleted
    assert len(setup.chat_requests()) == 2  # the first chat and the refused one; no retry


async def test_free_quota_used_up_offers_an_api_key(setup: Setup) -> None:
    setup.sign_in()
    setup.api.options.errors["/v1/chat/completions"] = ScriptedError(
        429, "Free allocated quota exceeded.", type="insufficient_quota", code="insufficient_quota"
    )
    events = await collect(setup.service(setup.resolve()))
    failure = events[-1]
    assert isinstance(failure, ChatFailure)
    assert failure.kind == "quota"
    assert "Qwen OAuth quota is used up" in failure.message
    assert "/auth" in failure_text(failure) and "API key" in failure_text(failure)
    assert setup.oauth.refresh_requests == 0


async def test_other_429_still_follows_retry_after(setup: Setup) -> None:
    setup.sign_in()
    setup.api.options.errors["/v1/chat/completions"] = ScriptedError(
        429, "Slow down.", type="rate_limit", code="rate_limit", headers={"Retry-After": "7"}
    )
    events = await collect(setup.service(setup.resolve()))
    failure = events[-1]
    assert isinstance(failure, ChatFailure)
    assert failure.kind == "rate_limit" and failure.retry_after == 7
