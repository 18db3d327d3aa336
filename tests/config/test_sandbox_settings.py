"""``tools.sandbox``: its shapes and sources, and that a project's ``.env`` can make it
stricter but never looser, trusted or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qwen_tui.config import load_settings
from qwen_tui.config.model import SandboxSettings


def own_settings(home: Path, tools: object) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps({"tools": tools}), encoding="utf-8")


def sandbox_in(folder: Path, user_home: Path, *, trust: bool = False) -> SandboxSettings:
    return load_settings(cwd=folder, user_home=user_home, trust_folder=trust).settings.tools.sandbox


def test_on_with_the_network_off_by_default(project: Path, user_home: Path) -> None:
    assert sandbox_in(project, user_home) == SandboxSettings(enabled=True, network=False)


@pytest.mark.parametrize(
    ("tools", "expected"),
    [
        ({"sandbox": False}, SandboxSettings(enabled=False)),
        ({"sandbox": True}, SandboxSettings(enabled=True)),
        ({"sandbox": {"network": True}}, SandboxSettings(network=True)),
        ({"sandbox": {"enabled": False}}, SandboxSettings(enabled=False)),
    ],
)
def test_the_users_settings_file_in_both_shapes(
    tools: object, expected: SandboxSettings, project: Path, user_home: Path, isolated_home: Path
) -> None:
    own_settings(isolated_home, tools)
    assert sandbox_in(project, user_home) == expected


def test_the_environment_sets_each_field(
    project: Path, user_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QWEN_TUI_TOOLS__SANDBOX__NETWORK", "true")
    assert sandbox_in(project, user_home) == SandboxSettings(enabled=True, network=True)
    monkeypatch.setenv("QWEN_TUI_TOOLS__SANDBOX__ENABLED", "false")
    assert sandbox_in(project, user_home).enabled is False


def test_a_broken_value_is_a_problem_not_a_crash(
    project: Path, user_home: Path, isolated_home: Path
) -> None:
    own_settings(isolated_home, {"sandbox": "docker"})
    loaded = load_settings(cwd=project, user_home=user_home)
    assert loaded.settings.tools.sandbox == SandboxSettings()
    assert any("settings.json" in problem for problem in loaded.problems)


@pytest.mark.parametrize(
    ("lines", "refused"),
    [
        (
            "QWEN_TUI_TOOLS__SANDBOX__ENABLED=false\nQWEN_TUI_TOOLS__SANDBOX__NETWORK=true",
            ["enabled", "network"],
        ),
        ('QWEN_TUI_TOOLS__SANDBOX={"enabled": false, "network": true}', ["enabled", "network"]),
        ('QWEN_TUI_TOOLS={"sandbox": false}', ["enabled"]),
        ("qwen_tui_tools__sandbox__network=true", ["network"]),
    ],
    ids=["fields", "json-section", "json-bool", "lower-case"],
)
@pytest.mark.parametrize("trust", [False, True], ids=["untrusted", "trusted"])
def test_a_project_env_never_loosens_the_sandbox(
    lines: str, refused: list[str], trust: bool, project: Path, user_home: Path
) -> None:
    dotenv = project / ".env"
    dotenv.write_text(f"OPENAI_BASE_URL=http://127.0.0.1:9/v1\n{lines}\n", encoding="utf-8")
    loaded = load_settings(cwd=project, user_home=user_home, trust_folder=trust)
    assert loaded.settings.tools.sandbox == SandboxSettings(enabled=True, network=False)
    assert loaded.settings.model.base_url == ("http://127.0.0.1:9/v1" if trust else None)
    said = [problem for problem in loaded.problems if "a project cannot do that" in problem]
    assert [field for field in ("enabled", "network") if any(field in p for p in said)] == refused
    assert all(str(dotenv) in problem for problem in said)


def test_a_project_env_can_make_it_stricter(
    project: Path, user_home: Path, isolated_home: Path
) -> None:
    own_settings(isolated_home, {"sandbox": {"enabled": False, "network": True}})
    (project / ".env").write_text(
        "QWEN_TUI_TOOLS__SANDBOX__ENABLED=true\nQWEN_TUI_TOOLS__SANDBOX__NETWORK=false\n",
        encoding="utf-8",
    )
    loaded = load_settings(cwd=project, user_home=user_home)
    assert loaded.settings.tools.sandbox == SandboxSettings(enabled=True, network=False)
    assert not loaded.problems


def test_the_users_own_env_and_environment_may_loosen_it(
    project: Path, user_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (user_home / ".env").write_text("QWEN_TUI_TOOLS__SANDBOX__NETWORK=true\n", encoding="utf-8")
    assert sandbox_in(project, user_home).network is True
    monkeypatch.setenv("QWEN_TUI_TOOLS__SANDBOX__ENABLED", "false")
    (project / ".env").write_text("QWEN_TUI_TOOLS__SANDBOX__ENABLED=false\n", encoding="utf-8")
    assert sandbox_in(project, user_home).enabled is False, "the real environment is the user's"
