"""Settings: sources, precedence, damage handling and safe saving."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from qwen_tui.config import SettingsWriteError, load_settings, update_settings_file
from qwen_tui.config.dotenv_discovery import find_dotenv


def write_settings(home: Path, data: object) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "settings.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_defaults_when_nothing_is_configured(isolated_home: Path) -> None:
    loaded = load_settings()
    assert loaded.home == isolated_home
    assert loaded.settings.security.auth.selected_type is None
    assert loaded.settings.privacy.usage_statistics_enabled is None
    assert loaded.settings.oauth.client_id == "f0304373b74a44d2b584a3fb70ca9e56"
    assert loaded.problems == ()
    assert not loaded.configured_by_environment


def test_settings_json_uses_qwen_code_key_names(isolated_home: Path) -> None:
    write_settings(
        isolated_home,
        {
            "security": {"auth": {"selectedType": "openai"}},
            "model": {"name": "gpt-x", "provider": "openrouter", "requestTimeout": 30},
            "privacy": {"usageStatisticsEnabled": False},
            "telemetry": {"otlpEndpoint": "http://127.0.0.1:4318"},
            "credentials": {"allowFileStore": True},
        },
    )
    settings = load_settings().settings
    assert settings.security.auth.selected_type == "openai"
    assert settings.model.name == "gpt-x"
    assert settings.model.provider == "openrouter"
    assert settings.model.request_timeout == 30
    assert settings.privacy.usage_statistics_enabled is False
    assert settings.telemetry.otlp_endpoint == "http://127.0.0.1:4318"
    assert settings.credentials.allow_file_store is True


@pytest.mark.parametrize(
    ("variable", "value", "path", "expected"),
    [
        (
            "QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED",
            "true",
            ("privacy", "usage_statistics_enabled"),
            True,
        ),
        (
            "QWEN_TUI_TELEMETRY__OTLP_ENDPOINT",
            "http://c:4318",
            ("telemetry", "otlp_endpoint"),
            "http://c:4318",
        ),
        (
            "QWEN_TUI_OAUTH__RESOURCE_URL",
            "https://r.example/v1",
            ("oauth", "resource_url"),
            "https://r.example/v1",
        ),
        (
            "QWEN_TUI_SECURITY__AUTH__SELECTED_TYPE",
            "qwen-oauth",
            ("security", "auth", "selected_type"),
            "qwen-oauth",
        ),
        ("QWEN_TUI_MODEL__REQUEST_TIMEOUT", "7.5", ("model", "request_timeout"), 7.5),
    ],
)
def test_environment_names_map_to_settings(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    path: tuple[str, ...],
    expected: object,
) -> None:
    monkeypatch.setenv(variable, value)
    node: object = load_settings().settings
    for part in path:
        node = getattr(node, part)
    assert node == expected


def test_precedence_flags_over_env_over_dotenv_over_file(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_settings(
        isolated_home,
        {"model": {"name": "from-file", "requestTimeout": 11}, "ui": {"theme": "file-theme"}},
    )
    (Path.cwd() / ".env").write_text(
        "QWEN_TUI_MODEL__NAME=from-dotenv\nQWEN_TUI_UI__THEME=dotenv-theme\nQWEN_TUI_MODEL__REQUEST_TIMEOUT=22\n"
    )
    monkeypatch.setenv("QWEN_TUI_MODEL__NAME", "from-env")
    monkeypatch.setenv("QWEN_TUI_UI__THEME", "env-theme")
    loaded = load_settings({"model": {"name": "from-flag"}})
    assert loaded.settings.model.name == "from-flag"
    assert loaded.settings.ui.theme == "env-theme"
    assert loaded.settings.model.request_timeout == 22
    assert load_settings().settings.model.name == "from-env"


def test_openai_variables_configure_the_provider_without_saving_the_key(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_settings(
        isolated_home,
        {"security": {"auth": {"selectedType": "qwen-oauth"}}, "model": {"provider": "ollama"}},
    )
    monkeypatch.setenv("OPENAI_BASE_URL", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1")
    monkeypatch.setenv("OPENAI_MODEL", "qwen-max")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-env-key")
    loaded = load_settings()
    assert loaded.settings.security.auth.selected_type == "openai"
    assert (
        loaded.settings.model.base_url == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    )
    assert loaded.settings.model.provider is None
    assert loaded.settings.model.name == "qwen-max"
    assert loaded.env_api_key == "sk-secret-env-key"
    assert loaded.env_api_key_origin == "environment"
    assert loaded.configured_by_environment
    assert "sk-secret-env-key" not in repr(loaded)
    assert "sk-secret-env-key" not in json.dumps(
        loaded.settings.model_dump(mode="json", by_alias=True)
    )


def test_dotenv_never_overrides_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    (Path.cwd() / ".env").write_text("OPENAI_API_KEY=from-dotenv\nOPENAI_MODEL=dotenv-model\n")
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    loaded = load_settings()
    assert loaded.env_api_key == "from-env"
    assert loaded.env_api_key_origin == "environment"
    assert loaded.settings.model.name == "dotenv-model"


def test_dotenv_discovery_order(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    deep = root / "a" / "b"
    deep.mkdir(parents=True)
    user_home = tmp_path / "home"
    (user_home / ".qwen").mkdir(parents=True)
    assert find_dotenv(deep, user_home) is None
    (user_home / ".env").write_text("X=1")
    assert find_dotenv(deep, user_home) == user_home / ".env"
    (user_home / ".qwen" / ".env").write_text("X=1")
    assert find_dotenv(deep, user_home) == user_home / ".qwen" / ".env"
    (root / ".env").write_text("X=1")
    assert find_dotenv(deep, user_home) == root / ".env"
    (root / "a" / ".qwen").mkdir()
    (root / "a" / ".qwen" / ".env").write_text("X=1")
    assert find_dotenv(deep, user_home) == root / "a" / ".qwen" / ".env"
    (deep / ".env").write_text("X=1")
    assert find_dotenv(deep, user_home) == deep / ".env"


def test_settings_file_that_is_not_json_is_backed_up_and_reported(isolated_home: Path) -> None:
    path = write_settings(isolated_home, '{"model": {"name": "x",,}')
    loaded = load_settings()
    assert loaded.settings.model.name is None
    assert len(loaded.problems) == 1
    assert str(path) in loaded.problems[0]
    assert "not valid JSON" in loaded.problems[0]
    backups = list(isolated_home.glob("settings.json.broken-*"))
    assert len(backups) == 1
    assert backups[0].read_text() == '{"model": {"name": "x",,}'
    load_settings()
    assert len(list(isolated_home.glob("settings.json.broken-*"))) == 1


def test_wrong_type_names_the_field_and_keeps_the_rest(isolated_home: Path) -> None:
    write_settings(
        isolated_home,
        {"privacy": {"usageStatisticsEnabled": "sometimes"}, "model": {"name": "kept"}},
    )
    loaded = load_settings()
    assert loaded.settings.privacy.usage_statistics_enabled is None
    assert loaded.settings.model.name == "kept"
    assert len(loaded.problems) == 1
    assert "privacy.usageStatisticsEnabled" in loaded.problems[0]
    assert "settings.json" in loaded.problems[0]
    assert list(isolated_home.glob("settings.json.broken-*"))


def test_bad_environment_value_is_reported_not_fatal(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_settings(isolated_home, {"model": {"name": "kept"}})
    monkeypatch.setenv("QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED", "perhaps")
    loaded = load_settings()
    assert loaded.settings.model.name == "kept"
    assert any("QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED" in p for p in loaded.problems)


def test_update_is_atomic_private_and_keeps_unknown_keys(isolated_home: Path) -> None:
    path = write_settings(
        isolated_home, {"someOtherTool": {"x": 1}, "model": {"name": "old", "extra": True}}
    )
    update_settings_file(
        path, {"model": {"name": "new"}, "privacy": {"usageStatisticsEnabled": True}}
    )
    data = json.loads(path.read_text())
    assert data == {
        "someOtherTool": {"x": 1},
        "model": {"name": "new", "extra": True},
        "privacy": {"usageStatisticsEnabled": True},
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700
    assert [p.name for p in isolated_home.iterdir()] == ["settings.json"]
    assert load_settings().settings.model.name == "new"


def test_update_none_removes_a_key(isolated_home: Path) -> None:
    path = write_settings(isolated_home, {"model": {"name": "old", "provider": "openai"}})
    update_settings_file(path, {"model": {"name": None}})
    assert json.loads(path.read_text()) == {"model": {"provider": "openai"}}


def test_unwritable_home_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the home folder should be")
    with pytest.raises(SettingsWriteError) as info:
        update_settings_file(blocker / "settings.json", {"model": {"name": "x"}})
    assert str(blocker) in str(info.value)
    assert "QWEN_TUI_HOME" in str(info.value)


def test_environment_takes_json_for_lists_and_ignores_unknown_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    custom = [{"id": "mine", "name": "Mine", "baseUrl": "http://127.0.0.1:9/v1"}]
    monkeypatch.setenv("QWEN_TUI_PROVIDERS__CUSTOM", json.dumps(custom))
    monkeypatch.setenv("qwen_tui_ui__theme", "nord")
    monkeypatch.setenv("QWEN_TUI_NOT_A_SECTION__X", "1")
    monkeypatch.setenv("QWEN_TUI_MODEL__NOT_A_KEY", "1")
    loaded = load_settings()
    assert [p.id for p in loaded.settings.providers.custom] == ["mine"]
    assert loaded.settings.providers.custom[0].base_url == "http://127.0.0.1:9/v1"
    assert loaded.settings.ui.theme == "nord"
    assert loaded.problems == ()


def test_environment_section_as_json_is_refined_by_nested_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QWEN_TUI_MODEL", json.dumps({"name": "json-model", "requestTimeout": 9}))
    monkeypatch.setenv("QWEN_TUI_MODEL__NAME", "nested-model")
    model = load_settings().settings.model
    assert model.name == "nested-model"
    assert model.request_timeout == 9


def test_broken_json_in_the_environment_is_a_problem_not_a_crash(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_settings(isolated_home, {"model": {"name": "kept"}})
    monkeypatch.setenv("QWEN_TUI_PROVIDERS__CUSTOM", "[not json")
    loaded = load_settings()
    assert loaded.settings.model.name == "kept"
    assert any("QWEN_TUI_PROVIDERS__CUSTOM" in p for p in loaded.problems)
