"""The built-in provider catalogue (data file) and base-URL handling."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from qwen_tui.providers import (
    Provider,
    ProviderError,
    display_url,
    load_catalogue,
    normalise_base_url,
)
from qwen_tui.providers.catalogue import parse_catalogue
from qwen_tui.providers.urls import host_port, join_url, with_port

EXPECTED_BASE_URLS = {
    "qwen": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "openai": "https://api.openai.com/v1",
    "dashscope-intl": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "dashscope-us": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    "dashscope-cn": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "coding-plan-intl": "https://coding-intl.dashscope.aliyuncs.com/v1",
    "coding-plan-cn": "https://coding.dashscope.aliyuncs.com/v1",
    "modelscope": "https://api-inference.modelscope.cn/v1",
    "openrouter": "https://openrouter.ai/api/v1",
    "ollama": "http://127.0.0.1:11434/v1",
    "lmstudio": "http://127.0.0.1:1234/v1",
    "llamacpp": "http://127.0.0.1:8080/v1",
    "vllm": "http://127.0.0.1:8000/v1",
    "custom": "",
}
EXPECTED_IDS = list(EXPECTED_BASE_URLS)

LOCAL_IDS = {"ollama", "lmstudio", "llamacpp", "vllm"}
REMOTE_KEY_IDS = {
    "openai",
    "dashscope-intl",
    "dashscope-us",
    "dashscope-cn",
    "coding-plan-intl",
    "coding-plan-cn",
    "modelscope",
    "openrouter",
}
CODING_PLAN_IDS = ("coding-plan-intl", "coding-plan-cn")


def by_id() -> dict[str, Provider]:
    return {p.id: p for p in load_catalogue()}


MINIMAL_ENTRY = """
[[provider]]
id = "x"
name = "X"
auth = "openai"
base_url = "https://x.example/v1"
data_use = "see the provider's policy"
needs_key = true
local = false
hosts = ["x.example"]
"""


def test_ids_are_exactly_the_documented_ones_in_order() -> None:
    assert [p.id for p in load_catalogue()] == EXPECTED_IDS


@pytest.mark.parametrize(("provider_id", "base_url"), EXPECTED_BASE_URLS.items())
def test_base_urls(provider_id: str, base_url: str) -> None:
    assert by_id()[provider_id].base_url == base_url


def test_qwen_oauth_entry() -> None:
    qwen = by_id()["qwen"]
    assert qwen.auth == "qwen-oauth"
    assert qwen.name == "Qwen OAuth"
    assert qwen.terms_url == "https://qwen.ai/termsservice"
    assert qwen.privacy_url == "https://qwen.ai/privacypolicy"
    assert qwen.default_model == "qwen3-coder-plus"
    assert not qwen.needs_key


def test_openai_and_openrouter_legal_pages() -> None:
    providers = by_id()
    assert providers["openai"].terms_url == "https://openai.com/policies/terms-of-use"
    assert providers["openai"].privacy_url == "https://openai.com/policies/privacy-policy"
    assert providers["openrouter"].terms_url == "https://openrouter.ai/terms"
    assert providers["openrouter"].privacy_url == "https://openrouter.ai/privacy"


def test_every_provider_but_qwen_uses_api_keys() -> None:
    assert {p.id for p in load_catalogue() if p.auth == "qwen-oauth"} == {"qwen"}


@pytest.mark.parametrize("provider_id", sorted(REMOTE_KEY_IDS | {"qwen"}))
def test_remote_providers_link_https_terms_and_privacy(provider_id: str) -> None:
    provider = by_id()[provider_id]
    for url in (provider.terms_url, provider.privacy_url):
        parts = urlsplit(url)
        assert parts.scheme == "https" and parts.hostname, url
    assert provider.terms_url != provider.privacy_url


@pytest.mark.parametrize("provider_id", sorted(REMOTE_KEY_IDS))
def test_remote_api_key_providers_need_a_key_and_say_where_to_get_one(provider_id: str) -> None:
    provider = by_id()[provider_id]
    assert provider.needs_key
    assert not provider.local
    assert provider.key_url.startswith("https://")
    assert host_port(provider.base_url)[0] in provider.hosts


@pytest.mark.parametrize("provider_id", sorted(LOCAL_IDS))
def test_local_presets(provider_id: str) -> None:
    provider = by_id()[provider_id]
    assert provider.local
    assert not provider.needs_key
    assert provider.terms_url == ""
    assert provider.privacy_url == ""
    assert "your machine" in provider.data_use
    assert urlsplit(provider.base_url).hostname == "127.0.0.1"


def test_custom_has_no_url_and_an_optional_key() -> None:
    custom = by_id()["custom"]
    assert custom.base_url == ""
    assert not custom.needs_key
    assert "terms" in custom.data_use


def test_only_openrouter_needs_a_separate_verify_path() -> None:
    assert {p.id: p.verify_path for p in load_catalogue() if p.verify_path} == {
        "openrouter": "/key"
    }


def test_data_use_is_one_line_and_not_empty() -> None:
    for provider in load_catalogue():
        assert provider.data_use.strip()
        assert "\n" not in provider.data_use


def test_data_use_exists_in_russian_for_every_built_in_provider() -> None:
    for provider in load_catalogue():
        assert provider.data_use_ru.strip(), provider.id
        assert "\n" not in provider.data_use_ru
        assert any("а" <= letter <= "я" for letter in provider.data_use_ru.lower()), provider.id
        assert provider.data_use_ru != provider.data_use


@pytest.mark.parametrize("provider_id", CODING_PLAN_IDS)
def test_coding_plan_says_beside_the_key_that_it_takes_only_its_own_keys(
    provider_id: str,
) -> None:
    plan = by_id()[provider_id]
    assert "sk-sp-" in plan.key_note and "pay-as-you-go" in plan.key_note
    assert "interactive coding tools" in plan.data_use
    assert plan.default_model in plan.models, "no /models there: the plan's list is offered"
    assert plan.terms_url != by_id()["openai"].terms_url


def test_only_servers_without_a_model_list_carry_one() -> None:
    assert {p.id for p in load_catalogue() if p.models} == set(CODING_PLAN_IDS)


def test_model_studio_regions_say_their_keys_belong_to_one_region() -> None:
    for provider_id in ("dashscope-intl", "dashscope-us", "dashscope-cn"):
        assert "one region" in by_id()[provider_id].key_note


def test_catalogue_is_loaded_once_and_immutable() -> None:
    assert load_catalogue() is load_catalogue()
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_catalogue()[0].name = "changed"  # type: ignore[misc]


def test_parse_accepts_a_minimal_entry_with_empty_optional_fields() -> None:
    (provider,) = parse_catalogue(MINIMAL_ENTRY)
    assert provider.terms_url == "" and provider.key_url == "" and provider.verify_path == ""
    assert provider.hosts == ("x.example",)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (MINIMAL_ENTRY + "colour = 'red'\n", "unknown field"),
        (MINIMAL_ENTRY + MINIMAL_ENTRY, "duplicate provider id"),
        (MINIMAL_ENTRY.replace('auth = "openai"', 'auth = "magic"'), "auth must be one of"),
        (MINIMAL_ENTRY.replace("https://x.example/v1", "x.example/v1"), "add http://"),
        (MINIMAL_ENTRY.replace("needs_key = true", 'needs_key = "yes"'), "needs_key"),
        (MINIMAL_ENTRY + 'models = ["a", 1]\n', "models must be a list"),
        (MINIMAL_ENTRY + 'default_model = "z"\nmodels = ["a"]\n', "default_model must be one"),
        ("", "no [[provider]] entries"),
    ],
    ids=[
        "unknown-field",
        "duplicate-id",
        "bad-auth",
        "no-scheme",
        "bool-type",
        "bad-models",
        "default-not-in-models",
        "empty",
    ],
)
def test_parse_rejects_malformed_data(text: str, fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_catalogue(text)
    assert fragment in str(caught.value)


def test_importing_the_package_pulls_in_no_http_stack() -> None:
    code = "import sys, json, qwen_tui.providers; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = set(json.loads(result.stdout))
    assert "qwen_tui.providers.registry" in modules
    for heavy in ("httpx", "httpx2", "openai", "textual"):
        assert heavy not in modules


# -- base URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://api.openai.com/v1/", "https://api.openai.com/v1"),
        ("  HTTPS://API.OpenAI.com/v1//  ", "https://api.openai.com/v1"),
        ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("https://example.com/", "https://example.com"),
        ("http://[::1]:8000/v1", "http://[::1]:8000/v1"),
        ("https://x.example/api?version=2#frag", "https://x.example/api?version=2"),
    ],
)
def test_normalise_base_url(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


def test_normalise_does_not_add_v1() -> None:
    assert not normalise_base_url("https://openrouter.ai/api").endswith("/v1")


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("api.openai.com/v1", "add http:// or https://"),
        ("localhost:11434/v1", "add http:// or https://"),
        ("ftp://example.com/v1", "use http:// or https://"),
        ("https:///v1", "no host"),
        ("", "empty"),
        ("https://exa mple.com", "spaces"),
        ("http://localhost:99999/v1", "not a valid URL"),
    ],
)
def test_normalise_rejects_bad_urls(given: str, fragment: str) -> None:
    with pytest.raises(ProviderError) as caught:
        normalise_base_url(given)
    assert caught.value.kind == "bad_url"
    assert fragment in caught.value.message


def test_bad_url_message_never_shows_credentials() -> None:
    with pytest.raises(ProviderError) as caught:
        normalise_base_url("user:s3cr3t@api.example.com/v1")
    assert "s3cr3t" not in caught.value.message


def test_display_url_strips_userinfo_and_query() -> None:
    shown = display_url("https://user:pw@host.example/v1?key=secret")
    assert shown == "https://host.example/v1"


def test_join_and_with_port_keep_the_base_path() -> None:
    assert join_url("https://openrouter.ai/api/v1", "/key") == "https://openrouter.ai/api/v1/key"
    assert join_url("https://h.example/v1?x=1", "models") == "https://h.example/v1/models?x=1"
    assert with_port("http://127.0.0.1:11434/v1", 5000) == "http://127.0.0.1:5000/v1"
    assert with_port("http://[::1]:1/v1", 2) == "http://[::1]:2/v1"
    assert host_port("https://example.com/v1") == ("example.com", 443)
