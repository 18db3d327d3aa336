"""State on disk is kept and kept private: a settings.json that is not UTF-8 is copied
aside like any broken file, and an existing QWEN_TUI_HOME open to others is closed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from qwen_tui.config import load_settings, update_settings_file

NOT_UTF8 = b'{"model": {"name": "caf\xe9"}, "ui": {"language": "ru"}}\n'


def backups(home: Path) -> list[Path]:
    return sorted(home.glob("settings.json.broken-*"))


def test_settings_that_are_not_utf8_are_copied_aside_byte_for_byte(isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o700)
    (isolated_home / "settings.json").write_bytes(NOT_UTF8)

    loaded = load_settings()

    [problem] = [p for p in loaded.problems if "settings.json" in p]
    assert "is not valid UTF-8" in problem
    assert "byte 0xe9 at offset 23" in problem
    [backup] = backups(isolated_home)
    assert backup.name in problem
    assert backup.read_bytes() == NOT_UTF8
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert loaded.settings.model.name is None

    load_settings()
    assert backups(isolated_home) == [backup], "the same damage is copied once"

    update_settings_file(loaded.settings_file, {"model": {"name": "qwen3"}})
    assert json.loads((isolated_home / "settings.json").read_text()) == {"model": {"name": "qwen3"}}
    assert backups(isolated_home) == [backup]
    assert backup.read_bytes() == NOT_UTF8


def test_a_save_without_an_earlier_read_still_keeps_the_damaged_file(
    isolated_home: Path,
) -> None:
    isolated_home.mkdir(mode=0o700)
    settings = isolated_home / "settings.json"
    settings.write_bytes(NOT_UTF8)

    update_settings_file(settings, {"privacy": {"usageStatisticsEnabled": False}})

    [backup] = backups(isolated_home)
    assert backup.read_bytes() == NOT_UTF8
    assert json.loads(settings.read_text()) == {"privacy": {"usageStatisticsEnabled": False}}


def test_an_existing_home_open_to_others_is_made_private(isolated_home: Path) -> None:
    isolated_home.mkdir()
    isolated_home.chmod(0o755)

    loaded = load_settings()

    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700
    assert not [p for p in loaded.problems if "other users" in p]


def test_a_home_that_is_the_users_own_home_is_left_alone_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_home = tmp_path / "user-home"  # $HOME in every test
    user_home.mkdir(mode=0o755)
    user_home.chmod(0o755)
    monkeypatch.setenv("QWEN_TUI_HOME", str(user_home))

    loaded = load_settings()

    assert stat.S_IMODE(user_home.stat().st_mode) == 0o755
    [problem] = [p for p in loaded.problems if "other users" in p]
    assert "mode 0755" in problem
    assert "QWEN_TUI_HOME" in problem


def test_a_home_that_does_not_exist_yet_is_no_problem(isolated_home: Path) -> None:
    loaded = load_settings()
    assert not isolated_home.exists()
    assert loaded.problems == ()
