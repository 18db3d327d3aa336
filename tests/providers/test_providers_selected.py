"""Which provider the settings and environment choose, with and without its key."""

from __future__ import annotations

import pytest

from qwen_tui.config import load_settings, update_settings_file
from qwen_tui.providers.signin import registry_for, resolve_active, selected_provider


def test_nothing_chosen_means_no_provider() -> None:
    loaded = load_settings()
    assert selected_provider(loaded, registry_for(loaded)) == (None, None)
    assert resolve_active(loaded, registry_for(loaded), None) is None


def test_a_base_url_alone_in_the_environment_selects_that_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    loaded = load_settings()
    method, provider = selected_provider(loaded, registry_for(loaded))
    assert method == "openai"
    assert provider is not None and provider.id == "ollama"
    active = resolve_active(loaded, registry_for(loaded), None)
    assert active is not None
    assert active.base_url == "http://127.0.0.1:11434/v1"
    assert active.api_key is None


def test_qwen_oauth_is_the_qwen_provider(isolated_home: object) -> None:
    loaded = load_settings()
    update_settings_file(
        loaded.settings_file, {"security": {"auth": {"selectedType": "qwen-oauth"}}}
    )
    loaded = load_settings()
    method, provider = selected_provider(loaded, registry_for(loaded))
    assert method == "qwen-oauth"
    assert provider is not None and provider.id == "qwen"


def test_a_chosen_preset_needs_no_key_to_be_named(isolated_home: object) -> None:
    loaded = load_settings()
    update_settings_file(
        loaded.settings_file,
        {"security": {"auth": {"selectedType": "openai"}}, "model": {"provider": "openrouter"}},
    )
    loaded = load_settings()
    method, provider = selected_provider(loaded, registry_for(loaded))
    assert (method, provider.id if provider else None) == ("openai", "openrouter")
