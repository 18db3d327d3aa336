"""The account: typed settings updates, checked before they are written, announced after."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import keyring.backends.fail
import pytest

from qwen_tui.account import (
    Account,
    FileStoreDeclined,
    SettingRefused,
    SettingsChange,
    sign_in_with_key,
    sign_out_key,
)
from qwen_tui.config import load_settings
from tests.support.credentials_fixtures import MemoryKeyring


def account(keyring_backend: Any = None) -> Account:
    return Account(load_settings(), keyring_backend=keyring_backend or MemoryKeyring())


def saved(home: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((home / "settings.json").read_text())
    return data


def test_each_update_is_saved_in_camel_case_reloaded_and_announced(isolated_home: Path) -> None:
    me = account()
    heard: list[SettingsChange] = []
    stop = me.changes.subscribe(heard.append)

    me.set_request_timeout(42)
    me.set_language("ru")

    assert saved(isolated_home)["model"]["requestTimeout"] == 42
    assert saved(isolated_home)["ui"]["language"] == "ru"
    assert me.loaded.settings.model.request_timeout == 42
    assert [change.keys for change in heard] == [{"model.requestTimeout"}, {"ui.language"}]
    assert heard[0].affects_provider and not heard[1].affects_provider
    stop()
    me.set_theme("nord")
    assert len(heard) == 2
    assert me.loaded.settings.ui.theme == "nord"


def test_a_value_the_schema_refuses_is_not_written(isolated_home: Path) -> None:
    me = account()
    me.set_model_name("kept")
    before = (isolated_home / "settings.json").read_text()
    heard: list[SettingsChange] = []
    me.changes.subscribe(heard.append)

    with pytest.raises(SettingRefused) as caught:
        me.set_request_timeout(-3)
    assert "model.requestTimeout" in str(caught.value)
    assert "Nothing was saved" in str(caught.value)
    with pytest.raises(SettingRefused):
        me.set_language("xx")

    assert (isolated_home / "settings.json").read_text() == before
    assert heard == []


def test_damage_elsewhere_in_the_file_does_not_block_a_change(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.json").write_text('{"ui": {"language": "klingon"}}')
    me = account()
    me.set_model_name("m1")
    assert saved(isolated_home)["model"]["name"] == "m1"


def test_statistics_consent_creates_the_install_id_only_on_yes(isolated_home: Path) -> None:
    me = account()
    me.set_statistics(False)
    assert me.loaded.settings.telemetry.install_id is None
    me.set_statistics(True)
    first = me.loaded.settings.telemetry.install_id
    assert first is not None and len(first) == 32
    assert me.reset_install_id() not in (None, first)
    me.set_statistics(False)
    assert me.reset_install_id() is None
    assert "installId" not in saved(isolated_home)["telemetry"]


def test_selecting_qwen_oauth_drops_a_model_chosen_for_another_provider(
    isolated_home: Path,
) -> None:
    me = account()
    me.select_api_key_provider("openai", "https://api.openai.com/v1", "gpt-x")
    me.select_qwen_oauth()
    model = saved(isolated_home)["model"]
    assert model == {"provider": "qwen"}
    assert saved(isolated_home)["security"]["auth"]["selectedType"] == "qwen-oauth"
    me.unselect_auth()
    assert "selectedType" not in saved(isolated_home)["security"]["auth"]


def sign_in(me: Account, answer: bool) -> tuple[list[str], Any]:
    asked: list[str] = []

    async def ask(reason: str) -> bool:
        asked.append(reason)
        return answer

    provider = me.registry.get("openai")
    url = "https://api.openai.com/v1"
    return asked, asyncio.run(sign_in_with_key(me, provider, url, "sk-acct-1234", "gpt-x", ask))


def test_no_keyring_and_the_file_store_declined_stores_nothing(isolated_home: Path) -> None:
    me = account(keyring.backends.fail.Keyring())
    with pytest.raises(FileStoreDeclined):
        sign_in(me, answer=False)
    assert not (isolated_home / "credentials.json").exists()
    assert not (isolated_home / "settings.json").exists()


def test_no_keyring_and_the_file_store_allowed_keeps_the_key_there(isolated_home: Path) -> None:
    me = account(keyring.backends.fail.Keyring())
    asked, location = sign_in(me, answer=True)
    assert len(asked) == 1 and asked[0]
    assert location.kind == "file"
    settings = saved(isolated_home)
    assert settings["credentials"]["allowFileStore"] is True
    assert settings["model"] == {
        "provider": "openai",
        "baseUrl": "https://api.openai.com/v1",
        "name": "gpt-x",
    }
    assert "sk-acct-1234" not in json.dumps(settings)
    assert me.credentials.get("provider:openai") == "sk-acct-1234"


def test_with_a_keyring_nobody_is_asked_and_sign_out_removes_the_key(isolated_home: Path) -> None:
    memory = MemoryKeyring()
    me = account(memory)
    asked, location = sign_in(me, answer=False)
    assert asked == [] and location.kind == "keyring"
    assert "allowFileStore" not in json.dumps(saved(isolated_home))
    assert sign_out_key(me, me.registry.get("openai")) is True
    assert memory.items == {}
    assert "selectedType" not in saved(isolated_home)["security"]["auth"]


def test_this_runs_file_store_consent_is_saved_once_a_secret_goes_there(
    isolated_home: Path,
) -> None:
    me = Account(
        load_settings(), keyring_backend=keyring.backends.fail.Keyring(), file_store_for_run=True
    )
    asked, location = sign_in(me, answer=False)
    assert asked == [] and location.kind == "file"
    assert saved(isolated_home)["credentials"]["allowFileStore"] is True


def test_an_mcp_server_entry_is_replaced_whole_and_removed(isolated_home: Path) -> None:
    run = account()
    run.set_mcp_server("demo", {"command": "node", "args": ["a.js"], "env": {"K": "v"}})
    assert saved(isolated_home)["mcpServers"] == {
        "demo": {"command": "node", "args": ["a.js"], "env": {"K": "v"}}
    }
    run.set_mcp_server("demo", {"url": "https://mcp.example.com/mcp"})
    assert saved(isolated_home)["mcpServers"] == {"demo": {"url": "https://mcp.example.com/mcp"}}
    assert run.loaded.settings.mcp_servers["demo"].command is None
    with pytest.raises(SettingRefused):
        run.set_mcp_server("bad", {"timeout": "soon"})
    run.remove_mcp_server("demo")
    assert saved(isolated_home).get("mcpServers", {}) == {}
