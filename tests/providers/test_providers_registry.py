"""ProviderRegistry: lookups, user-defined providers, URL matching, and the SDK arguments."""

from __future__ import annotations

from typing import Any

import pytest

from qwen_tui.providers import (
    NO_KEY_PLACEHOLDER,
    ActiveProvider,
    CustomProviderError,
    ProviderError,
    ProviderRegistry,
    UnknownProvider,
    load_catalogue,
    openai_client_kwargs,
)
from tests.support.servers import closed_port, openai_server

BUILTIN_IDS = [p.id for p in load_catalogue()]

WORK_PROXY: dict[str, Any] = {
    "id": "work-proxy",
    "name": "Work LLM gateway",
    "baseUrl": "https://llm.corp.example/openai/v1/",
    "model": "gateway-large",
    "needsKey": True,
    "termsUrl": "https://corp.example/terms",
    "privacyUrl": "https://corp.example/privacy",
    "dataUse": "Stays inside the company network.",
}


# -- lookups ---------------------------------------------------------------------------


def test_list_is_builtins_then_user_providers() -> None:
    registry = ProviderRegistry(custom=[WORK_PROXY])
    assert [p.id for p in registry.list()] == [*BUILTIN_IDS, "work-proxy"]


def test_get_returns_the_preset() -> None:
    assert ProviderRegistry().get("openrouter").base_url == "https://openrouter.ai/api/v1"


def test_unknown_id_lists_every_known_id() -> None:
    registry = ProviderRegistry(custom=[WORK_PROXY])
    with pytest.raises(UnknownProvider) as caught:
        registry.get("open-ai")
    message = str(caught.value)
    assert "'open-ai'" in message
    for provider_id in [*BUILTIN_IDS, "work-proxy"]:
        assert provider_id in message
    assert isinstance(caught.value, ValueError)


# -- user-defined providers -----------------------------------------------------------


def test_custom_provider_fields_come_from_settings() -> None:
    provider = ProviderRegistry(custom=[WORK_PROXY]).get("work-proxy")
    assert provider.custom
    assert provider.auth == "openai"
    assert provider.name == "Work LLM gateway"
    assert provider.base_url == "https://llm.corp.example/openai/v1"
    assert provider.default_model == "gateway-large"
    assert provider.needs_key
    assert provider.terms_url == "https://corp.example/terms"
    assert provider.privacy_url == "https://corp.example/privacy"
    assert provider.data_use == "Stays inside the company network."
    assert provider.hosts == ("llm.corp.example",)
    assert not provider.local


def test_custom_provider_defaults() -> None:
    entry = {"id": "box", "baseUrl": "http://localhost:5000/v1"}
    provider = ProviderRegistry(custom=[entry]).get("box")
    assert provider.name == "box"
    assert not provider.needs_key
    assert provider.local
    assert provider.terms_url == "" and provider.privacy_url == ""
    assert "terms" in provider.data_use


@pytest.mark.parametrize("taken", ["openai", "ollama", "custom", "qwen"])
def test_custom_id_colliding_with_a_builtin_is_refused(taken: str) -> None:
    with pytest.raises(CustomProviderError) as caught:
        ProviderRegistry(custom=[{**WORK_PROXY, "id": taken}])
    message = str(caught.value)
    assert repr(taken) in message
    assert "built-in" in message
    assert "providers.custom[0]" in message


def test_duplicate_custom_ids_are_refused() -> None:
    with pytest.raises(CustomProviderError, match="another entry"):
        ProviderRegistry(custom=[WORK_PROXY, {**WORK_PROXY, "name": "again"}])


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ({"id": "x"}, "'baseUrl' is required"),
        ({"baseUrl": "https://x.example/v1"}, "'id' is required"),
        ({"id": "x", "baseUrl": "x.example/v1"}, "add http:// or https://"),
        ({"id": "Bad Id", "baseUrl": "https://x.example/v1"}, "lower-case"),
        ({"id": "x", "baseUrl": "https://x.example/v1", "needsKey": "yes"}, "needsKey"),
        ({"id": "x", "baseUrl": "https://x.example/v1", "name": 3}, "'name' must be a string"),
    ],
    ids=["no-url", "no-id", "no-scheme", "bad-id", "needs-key-type", "name-type"],
)
def test_malformed_custom_entries_say_what_to_fix(entry: dict[str, Any], fragment: str) -> None:
    with pytest.raises(CustomProviderError) as caught:
        ProviderRegistry(custom=[entry])
    assert fragment in str(caught.value)


# -- matching OPENAI_BASE_URL to a preset ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "dashscope-intl"),
        ("https://DASHSCOPE-INTL.aliyuncs.com/compatible-mode/v1/", "dashscope-intl"),
        ("https://dashscope.aliyuncs.com/compatible-mode/v1", "dashscope-cn"),
        ("https://api.openai.com/v1", "openai"),
        ("https://api.openai.com/v1beta", "openai"),
        ("https://openrouter.ai/api/v1", "openrouter"),
        ("https://api-inference.modelscope.cn/v1", "modelscope"),
        ("http://127.0.0.1:11434/v1", "ollama"),
        ("http://localhost:11434/v1", "ollama"),
        ("http://localhost:1234/v1", "lmstudio"),
        ("http://127.0.0.1:8080/v1", "llamacpp"),
        ("http://[::1]:8000/v1", "vllm"),
    ],
)
def test_match_base_url_by_host(url: str, expected: str) -> None:
    assert ProviderRegistry().match_base_url(url).id == expected


def test_qwen_oauth_is_never_matched_from_a_base_url() -> None:
    # Qwen OAuth shares DashScope's URL; an API key for that URL is DashScope's.
    matched = ProviderRegistry().match_base_url("https://dashscope.aliyuncs.com/compatible-mode/v1")
    assert matched.auth == "openai"


def test_unknown_host_gives_custom_with_that_url() -> None:
    matched = ProviderRegistry().match_base_url("https://llm.example.net/v1/")
    assert matched.id == "custom"
    assert matched.base_url == "https://llm.example.net/v1"
    assert not matched.local
    assert "terms" in matched.data_use


def test_unknown_loopback_port_gives_a_local_custom_provider() -> None:
    matched = ProviderRegistry().match_base_url("http://127.0.0.1:5555/v1")
    assert matched.id == "custom"
    assert matched.local


def test_loopback_preset_needs_the_same_port() -> None:
    assert ProviderRegistry().match_base_url("http://127.0.0.1:11435/v1").id == "custom"


def test_user_providers_take_part_in_matching() -> None:
    registry = ProviderRegistry(custom=[WORK_PROXY])
    assert registry.match_base_url("https://llm.corp.example/openai/v1").id == "work-proxy"


def test_match_base_url_rejects_a_url_without_scheme() -> None:
    with pytest.raises(ProviderError) as caught:
        ProviderRegistry().match_base_url("api.openai.com/v1")
    assert caught.value.kind == "bad_url"


# -- the active provider and the SDK --------------------------------------------------


def test_active_provider_repr_hides_the_key() -> None:
    active = ActiveProvider(
        provider=ProviderRegistry().get("openai"),
        base_url="https://api.openai.com/v1",
        model="gpt-4o-mini",
        api_key="sk-very-secret-123",
        source="environment",
    )
    assert "sk-very-secret-123" not in repr(active)
    assert "sk-very-secret-123" not in str(active)
    assert active.has_key


def test_client_kwargs_pin_key_and_url() -> None:
    registry = ProviderRegistry()
    keyed = ActiveProvider(registry.get("openai"), "https://api.openai.com/v1", None, "sk-1")
    assert openai_client_kwargs(keyed) == {
        "api_key": "sk-1",
        "base_url": "https://api.openai.com/v1",
    }
    local = ActiveProvider(registry.get("ollama"), "http://127.0.0.1:11434/v1", None, "  ")
    assert openai_client_kwargs(local)["api_key"] == NO_KEY_PLACEHOLDER
    assert not local.has_key


async def test_sdk_never_sends_the_environment_key_to_another_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openai

    env_key = "sk-env-key-for-openai-only"
    monkeypatch.setenv("OPENAI_API_KEY", env_key)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    with openai_server(api_key=None, models=["llama3"]) as server:
        active = ActiveProvider(
            provider=ProviderRegistry().get("ollama"),
            base_url=server.base_url,
            model=None,
            api_key=None,
            source="settings",
        )
        client = openai.AsyncOpenAI(**openai_client_kwargs(active), max_retries=0)
        try:
            page = await client.models.list()
        finally:
            await client.close()
        assert [model.id for model in page.data] == ["llama3"]
        (request,) = server.requests
        assert request.path == "/v1/models"
        assert request.authorization == f"Bearer {NO_KEY_PLACEHOLDER}"
        assert all(env_key not in value for value in request.headers.values())


async def test_sdk_sends_the_active_key_not_the_environment_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openai

    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key")
    with openai_server(api_key="sk-chosen") as server:
        active = ActiveProvider(
            ProviderRegistry().match_base_url(server.base_url), server.base_url, None, "sk-chosen"
        )
        client = openai.AsyncOpenAI(**openai_client_kwargs(active), max_retries=0)
        try:
            await client.models.list()
        finally:
            await client.close()
        assert server.requests[-1].authorization == "Bearer sk-chosen"
