"""Importing a Qwen Code sign-in once, and opening the browser only where there is one."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

from qwen_tui.account import Account, import_qwen_code
from qwen_tui.config import load_settings
from qwen_tui.credentials import CredentialStore
from qwen_tui.providers.qwen_oauth import (
    TOKEN_NAME,
    OAuthTokens,
    browser_available,
    find_qwen_code_credentials,
    import_offer,
    mark_import_offered,
    open_browser,
)
from tests.support.account_helpers import refuse_file_store
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.waiting import holds_for, wait_until

QWEN_CODE_FILE = {
    "access_token": "qc-access-123456",
    "refresh_token": "qc-refresh-123456",
    "token_type": "Bearer",
    "resource_url": "portal.qwen.ai",
    "expiry_date": 1_900_000_000_000,
}


@pytest.fixture
def user_home(tmp_path: Path) -> Path:
    home = tmp_path / "user-home"
    (home / ".qwen").mkdir(parents=True)
    return home


def write_creds(user_home: Path, data: object) -> Path:
    path = user_home / ".qwen" / "oauth_creds.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_finds_qwen_code_credentials(user_home: Path) -> None:
    assert find_qwen_code_credentials(user_home) is None
    write_creds(user_home, QWEN_CODE_FILE)
    tokens = find_qwen_code_credentials(user_home)
    assert tokens == OAuthTokens(
        "qc-access-123456", "qc-refresh-123456", 1_900_000_000.0, "portal.qwen.ai"
    )
    write_creds(user_home, "{not json")
    assert find_qwen_code_credentials(user_home) is None


def test_offer_is_made_once_and_import_stores_in_the_keyring(
    user_home: Path, isolated_home: Path
) -> None:
    path = write_creds(user_home, QWEN_CODE_FILE)
    keyring = MemoryKeyring()
    store = CredentialStore(isolated_home, backend=keyring)
    loaded = load_settings()
    offer = import_offer(loaded, store, home_dir=user_home)
    assert offer is not None and offer.path == path
    text = offer.describe(now=1_900_000_000 - 7200)
    assert str(path) in text and "delete" in text and "2 h" in text
    assert "qc-access" not in repr(offer) + text

    location = asyncio.run(
        import_qwen_code(Account(loaded, keyring_backend=keyring), offer, refuse_file_store)
    )
    assert location.kind == "keyring"
    stored = json.loads(keyring.items[("qwen-tui", TOKEN_NAME)])
    assert stored["access_token"] == "qc-access-123456"
    settings = json.loads(loaded.settings_file.read_text())
    assert settings["security"]["auth"]["selectedType"] == "qwen-oauth"
    assert "qc-access" not in loaded.settings_file.read_text()
    assert path.exists()  # the user deletes it, not us
    assert import_offer(load_settings(), store, home_dir=user_home) is None


def test_no_offer_when_tokens_are_stored_or_the_offer_was_made(
    user_home: Path, isolated_home: Path
) -> None:
    write_creds(user_home, QWEN_CODE_FILE)
    keyring = MemoryKeyring()
    store = CredentialStore(isolated_home, backend=keyring)
    loaded = load_settings()
    store.set(TOKEN_NAME, OAuthTokens("mine", expires_at=time.time() + 60).to_json())
    assert import_offer(loaded, store, home_dir=user_home) is None
    store.delete(TOKEN_NAME)
    assert import_offer(loaded, store, home_dir=user_home) is not None
    mark_import_offered(loaded.home)
    assert import_offer(loaded, store, home_dir=user_home) is None


# --------------------------------------------------------------------------- browser


def fake_opener(folder: Path, name: str = "xdg-open") -> Path:
    folder.mkdir(exist_ok=True)
    record = folder / "opened.txt"
    script = folder / name
    script.write_text(f'#!/bin/sh\nprintf "%s" "$@" > "{record}"\n')
    script.chmod(0o755)
    return record


@pytest.mark.parametrize(
    ("env", "platform", "expected"),
    [
        ({}, "linux", False),
        ({"BROWSER": "lynx", "TERM": "xterm"}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_browser_only_where_there_is_a_display(
    tmp_path: Path, env: dict[str, str], platform: str, expected: bool
) -> None:
    fake_opener(tmp_path / "bin")
    assert browser_available({**env, "PATH": str(tmp_path / "bin")}, platform) is expected


def test_open_browser_starts_the_desktop_opener_detached(tmp_path: Path) -> None:
    record = fake_opener(tmp_path / "bin")
    env = {"DISPLAY": ":0", "PATH": f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin"}
    url = "https://chat.example/authorize?user_code=ABCD-1234"
    assert open_browser(url, environ=env, platform="linux") is True
    wait_until(lambda: record.exists() and bool(record.read_text()), "the opener never ran")
    assert record.read_text() == url


def test_open_browser_refuses_without_display_or_with_odd_urls(tmp_path: Path) -> None:
    record = fake_opener(tmp_path / "bin")
    path = f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin"
    assert open_browser("https://x.example", environ={"PATH": path}, platform="linux") is False
    for url in ("file:///etc/passwd", "javascript:alert(1)", "not a url"):
        assert open_browser(url, environ={"DISPLAY": ":0", "PATH": path}, platform="linux") is False
    holds_for(lambda: not record.exists(), 0.1, "a browser was opened")
