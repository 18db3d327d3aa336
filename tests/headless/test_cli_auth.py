"""``qwen-tui auth …`` run as a real process against a real loopback server."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qwen_tui import __version__
from tests.support.servers.openai_server import ScriptedError, openai_server

KEY = "sk-cli-secret-key-123"
NO_KEYRING = "keyring.backends.fail.Keyring"


def run(
    *args: str, stdin: str = "", backend: str | None = NO_KEYRING, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    if backend is not None:
        environment["PYTHON_KEYRING_BACKEND"] = backend
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"qwen-tui {__version__}"
    help_text = run("auth", "login", "--help").stdout
    assert "--provider" in help_text
    assert "--allow-file-store" in help_text


def test_login_without_keyring_refuses_and_explains(isolated_home: Path) -> None:
    with openai_server(api_key=KEY) as server:
        result = run("auth", "login", "--base-url", server.base_url, stdin=KEY + "\n")
    assert result.returncode == 1
    assert "--allow-file-store" in result.stderr
    assert KEY not in result.stderr + result.stdout
    assert not (isolated_home / "credentials.json").exists()
    assert not (isolated_home / "settings.json").exists()


def test_login_with_file_store_then_status_then_logout(isolated_home: Path) -> None:
    with openai_server(api_key=KEY, models=["m-one", "m-two"]) as server:
        result = run(
            "auth",
            "login",
            "--base-url",
            server.base_url,
            "--model",
            "m-two",
            "--allow-file-store",
            stdin=KEY + "\n",
        )
        assert result.returncode == 0, result.stderr
        assert server.requests[-1].authorization == f"Bearer {KEY}"
    secrets = isolated_home / "credentials.json"
    (entry,) = json.loads(secrets.read_text()).values()
    origin = server.base_url.removesuffix("/v1")
    assert json.loads(entry) == {"qwen-tui": 1, "origin": origin, "secret": KEY}
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    settings = json.loads((isolated_home / "settings.json").read_text())
    assert settings["credentials"]["allowFileStore"] is True
    assert settings["model"]["name"] == "m-two"
    assert KEY not in (isolated_home / "settings.json").read_text()

    status = run("auth", "status")
    assert status.returncode == 0, status.stderr
    assert "OpenAI-compatible" in status.stdout
    assert server.base_url in status.stdout
    assert "m-two" in status.stdout
    assert "credentials.json" in status.stdout
    assert KEY not in status.stdout + status.stderr

    logout = run("auth", "logout")
    assert logout.returncode == 0
    assert "Removed" in logout.stderr
    assert not secrets.exists() or KEY not in secrets.read_text()
    assert run("auth", "status").returncode == 1


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["--provider", "nosuch"], KEY, 2, "Known providers"),
        (["--base-url", "example.com/v1"], KEY, 1, "http"),
        (["--provider", "openai"], "\n", 2, "no API key"),
        ([], KEY, 2, "--provider"),
    ],
)
def test_bad_input_gets_a_clear_message(
    isolated_home: Path, args: list[str], stdin: str, code: int, message: str
) -> None:
    result = run("auth", "login", *args, "--allow-file-store", stdin=stdin)
    assert result.returncode == code
    assert message in result.stderr
    assert not (isolated_home / "settings.json").exists()


def test_wrong_key_is_refused_and_nothing_saved(isolated_home: Path) -> None:
    with openai_server(api_key=KEY) as server:
        result = run(
            "auth",
            "login",
            "--base-url",
            server.base_url,
            "--allow-file-store",
            stdin="sk-not-the-key\n",
        )
    assert result.returncode == 1
    assert "401" in result.stderr
    assert "sk-not-the-key" not in result.stderr
    assert not (isolated_home / "credentials.json").exists()


def login_with_model(provider: str, base_url: str, model: str) -> subprocess.CompletedProcess[str]:
    """``auth login`` to ``provider`` at ``base_url`` with ``KEY`` on stdin."""
    return run(
        "auth",
        "login",
        "--provider",
        provider,
        "--base-url",
        base_url,
        "--model",
        model,
        "--allow-file-store",
        stdin=KEY + "\n",
    )


@pytest.mark.parametrize(
    ("provider", "refusal", "words"),
    [
        (
            "dashscope-intl",
            ScriptedError(
                400,
                "Access denied, please make sure your account is in good standing.",
                type="Arrearage",
                code="Arrearage",
            ),
            "in arrears",
        ),
    ],
    ids=["arrears"],
)
def test_a_key_the_model_will_not_answer_is_reported_and_nothing_saved(
    isolated_home: Path, provider: str, refusal: ScriptedError, words: str
) -> None:
    with openai_server(api_key=KEY, models=["qwen3-coder-plus", "glm-5"]) as server:
        server.options.errors["/v1/chat/completions"] = refusal
        result = login_with_model(provider, server.base_url, "glm-5")
        chat = [r for r in server.requests if r.path == "/v1/chat/completions"]
    assert result.returncode == 1, result.stderr
    assert words in result.stderr
    assert "Nothing was saved." in result.stderr
    assert KEY not in result.stderr
    assert chat[-1].json()["model"] == "glm-5"
    assert not (isolated_home / "credentials.json").exists()
    assert not (isolated_home / "settings.json").exists()


def test_a_refusal_s_escape_sequences_never_reach_the_terminal(isolated_home: Path) -> None:
    hostile = "Denied \x1b]52;c;aGk=\x07\x1b[2J in good standing"
    with openai_server(api_key=KEY, models=["glm-5"]) as server:
        server.options.errors["/v1/chat/completions"] = ScriptedError(
            400, hostile, code="Arrearage"
        )
        result = login_with_model("dashscope-intl", server.base_url, "glm-5")
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "␛]52;c;aGk=␇" in result.stderr


def test_a_coding_plan_model_outside_the_plan_is_reported(isolated_home: Path) -> None:
    """The Coding Plan has no /models: the key is proven by one token from the default
    model, and the chosen model is then asked itself."""
    with openai_server(api_key=KEY, models=["qwen3-coder-plus"], strict_model=True) as server:
        result = login_with_model("coding-plan-intl", server.base_url, "glm-5")
        asked = [r.json()["model"] for r in server.requests]
    assert asked == ["qwen3-coder-plus", "glm-5"], "no GET /models at a Coding Plan endpoint"
    assert result.returncode == 1, result.stderr
    assert "will not run the model 'glm-5'" in result.stderr
    assert "Nothing was saved." in result.stderr
    assert not (isolated_home / "credentials.json").exists()


def test_html_instead_of_api(isolated_home: Path) -> None:
    with openai_server(mode="html") as server:
        result = run(
            "auth", "login", "--base-url", server.base_url, "--allow-file-store", stdin=KEY
        )
    assert result.returncode == 1
    assert "web page" in result.stderr


def test_unknown_model_lists_the_servers_models(isolated_home: Path) -> None:
    with openai_server(api_key=KEY, models=["only-this"]) as server:
        result = run(
            "auth",
            "login",
            "--base-url",
            server.base_url,
            "--model",
            "nope",
            "--allow-file-store",
            stdin=KEY,
        )
    assert result.returncode == 1
    assert "only-this" in result.stderr


def test_unwritable_home(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("not a folder")
    with openai_server(api_key=KEY) as server:
        result = run(
            "auth",
            "login",
            "--base-url",
            server.base_url,
            "--allow-file-store",
            stdin=KEY,
            env={"QWEN_TUI_HOME": str(blocker / "home")},
        )
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert KEY not in result.stderr


def test_login_stores_in_the_real_secret_service(isolated_home: Path) -> None:
    from tests.conftest import skip_or_fail

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or shutil.which("secret-tool") is None:
        skip_or_fail("no Secret Service session (run under .ci/with-secret-service)")
    backend = "keyring.backends.SecretService.Keyring"
    with openai_server(api_key=KEY) as server:
        result = run("auth", "login", "--base-url", server.base_url, stdin=KEY, backend=backend)
    assert result.returncode == 0, result.stderr
    try:
        lookup = subprocess.run(
            ["secret-tool", "lookup", "service", "qwen-tui", "username", "provider:custom"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        entry = json.loads(lookup.stdout)
        assert entry["secret"] == KEY
        assert entry["origin"] == server.base_url.removesuffix("/v1")
        assert not (isolated_home / "credentials.json").exists()
        status = run("auth", "status", backend=backend)
        assert "keyring" in status.stdout
        assert KEY not in status.stdout
    finally:
        run("auth", "logout", backend=backend)
    lookup = subprocess.run(
        ["secret-tool", "lookup", "service", "qwen-tui", "username", "provider:custom"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert lookup.stdout.strip() == ""
