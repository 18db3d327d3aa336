"""``qwen-tui auth login --method qwen-oauth`` and friends, as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.servers.device_flow_server import (
    DeviceFlowServer,
    device_flow_server,
    device_flow_with_api,
)
from tests.support.servers.openai_server import ScriptedError, closed_port, openai_server
from tests.support.waiting import PATIENCE, wait_until

NO_KEYRING = "keyring.backends.fail.Keyring"


def environment(server: DeviceFlowServer | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = NO_KEYRING
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        env.pop(name, None)
    if server is not None:
        env.update(server.environment())
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


LOGIN = ("auth", "login", "--method", "qwen-oauth", "--allow-file-store")


def test_login_status_chat_logout_end_to_end(isolated_home: Path) -> None:
    with device_flow_with_api(interval=0.2, auto_approve_after=2) as (server, api):
        env = environment(server)
        result = run(*LOGIN, env=env)
        assert result.returncode == 0, result.stderr
        assert "free OAuth tier was discontinued on 2026-04-15" in result.stderr
        (test_request,) = api.requests
        assert test_request.path == "/v1/chat/completions"
        assert test_request.json()["max_tokens"] == 1
        device = next(iter(server.devices.values()))
        grant = server.grants[0]
        assert f"{server.url}/activate" in result.stderr
        assert device.user_code in result.stderr
        assert f"{server.url}/activate?user_code={device.user_code}" in result.stderr
        assert "Signed in with Qwen OAuth" in result.stderr
        assert server.polls == 2

        secrets = json.loads((isolated_home / "credentials.json").read_text())
        stored = json.loads(secrets["qwen-oauth"])
        assert stored["access_token"] == grant.access_tokens[0]
        assert stored["refresh_token"] == grant.refresh_token
        settings_text = (isolated_home / "settings.json").read_text()
        settings = json.loads(settings_text)
        assert settings["security"]["auth"]["selectedType"] == "qwen-oauth"
        assert settings["credentials"]["allowFileStore"] is True
        assert grant.access_tokens[0] not in settings_text
        assert "privacy" not in settings, "no terminal, no question: statistics stay off"
        assert "usage statistics" not in result.stderr

        status = run("auth", "status", env=env)
        assert status.returncode == 0, status.stderr
        assert "Qwen OAuth" in status.stdout
        assert "Note:     Qwen's free OAuth tier was discontinued" in status.stdout
        assert "Expires:  in 59 min" in status.stdout or "Expires:  in 1 h" in status.stdout
        assert f"Base URL: {api.base_url}" in status.stdout
        assert "credentials.json" in status.stdout
        everything = status.stdout + status.stderr + result.stdout + result.stderr
        assert grant.access_tokens[0] not in everything
        assert grant.refresh_token not in everything

        answer = run("-p", "hello", env=env)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.strip() == "Hello, world!"
        assert api.requests[-1].authorization == f"Bearer {grant.access_tokens[0]}"

        logout = run("auth", "logout", env=env)
        assert logout.returncode == 0, logout.stderr
        assert "Removed the stored Qwen OAuth tokens" in logout.stderr
    assert not (isolated_home / "credentials.json").exists()
    settings = json.loads((isolated_home / "settings.json").read_text())
    assert "selectedType" not in settings["security"]["auth"]


def test_denied_exits_non_zero_with_the_reason(isolated_home: Path) -> None:
    with device_flow_server(interval=0.1, auto_deny_after=1) as server:
        result = run(*LOGIN, "--no-browser", env=environment(server))
    assert result.returncode == 1
    assert "refused" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (isolated_home / "credentials.json").exists()
    assert not (isolated_home / "settings.json").exists()


def test_unreachable_server_exits_non_zero(isolated_home: Path) -> None:
    port = closed_port()
    env = environment(
        QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL=f"http://127.0.0.1:{port}/device/code",
        QWEN_TUI_OAUTH__TOKEN_URL=f"http://127.0.0.1:{port}/token",
    )
    result = run(*LOGIN, env=env)
    assert result.returncode == 1
    assert "Could not reach the Qwen sign-in server" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_keyring_or_consent_nothing_is_asked_of_the_server(isolated_home: Path) -> None:
    with device_flow_server() as server:
        result = run("auth", "login", "--method", "qwen-oauth", env=environment(server))
        assert server.requests == []
    assert result.returncode == 1
    assert "--allow-file-store" in result.stderr


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_cancels_cleanly(isolated_home: Path) -> None:
    with device_flow_server(interval=0.1) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "qwen_tui", *LOGIN],
            # On a hang, SIGABRT makes faulthandler print where every thread is stuck.
            env=environment(server, PYTHONFAULTHANDLER="1"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Ctrl+C as on a terminal: a suite started in the background (`make test &`,
            # nohup, some CI runners) inherits an ignored SIGINT, which Python keeps.
            preexec_fn=_default_sigint,
        )
        wait_until(lambda: server.polls >= 2 or process.poll() is not None, "no polling seen")
        assert process.poll() is None, process.communicate()[1]
        process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            _, err = process.communicate()
            pytest.fail(f"Ctrl+C did not end the sign-in within {PATIENCE:g} s:\n{err}")
    assert process.returncode == 130, err
    assert "cancelled" in err
    assert "Traceback" not in err
    assert not (isolated_home / "credentials.json").exists()


def test_status_without_tokens(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.json").write_text(
        json.dumps({"security": {"auth": {"selectedType": "qwen-oauth"}}})
    )
    result = run("auth", "status", env=environment(QWEN_TUI_CREDENTIALS__ALLOW_FILE_STORE="true"))
    assert result.returncode == 1
    assert "none stored" in result.stdout


def test_login_mentions_a_qwen_code_sign_in_when_not_on_a_terminal(isolated_home: Path) -> None:
    qwen_code = Path(os.environ["HOME"]) / ".qwen" / "oauth_creds.json"
    qwen_code.parent.mkdir(parents=True)
    qwen_code.write_text(json.dumps({"access_token": "qc-a", "refresh_token": "qc-r"}))
    with device_flow_with_api(interval=0.1, auto_approve_after=1) as (server, _):
        result = run(*LOGIN, env=environment(server))
    assert result.returncode == 0, result.stderr
    assert "holds a Qwen Code sign-in" in result.stderr
    assert not (isolated_home / "qwen-code-import-offered").exists()


def test_qr_code_of_the_complete_link_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    import segno

    from qwen_tui.headless.qwen_oauth import _show_qr_code

    url = "https://chat.qwen.ai/authorize?user_code=ABCD-1234&client=qwen-code"
    _show_qr_code(url)
    printed = capsys.readouterr().err.splitlines()
    assert printed[0] == "Or scan this with your phone:"
    size = len(segno.make(url).matrix) + 4  # two modules of quiet zone each side
    assert len(printed[1]) == size
    assert len(printed) - 1 == (size + 1) // 2  # two modules per line (half blocks)


STATISTICS_PROMPT = b"Enter: later]"
IMPORT_PROMPT = b"Qwen Code will then ask you to sign in again."  # input() prompts on stdout


def _run_on_terminal(
    env: dict[str, str], answer: bytes, prompt: bytes = STATISTICS_PROMPT
) -> tuple[int, str]:
    """``auth login --method qwen-oauth`` with a pseudo-terminal as stdin and stderr,
    answering ``prompt`` (the usage-statistics question) with ``answer`` once asked."""
    import pty
    import select

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "qwen_tui", *LOGIN],
        stdin=slave,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    answered = False
    deadline = time.monotonic() + PATIENCE
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered and prompt in seen:
                os.write(master, answer)
                answered = True
            if process.poll() is not None and not ready:
                break
        return process.wait(timeout=PATIENCE), seen.decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)


@pytest.mark.parametrize(("answer", "expected"), [(b"y\n", True), (b"n\n", False), (b"\n", None)])
def test_the_usage_statistics_question_on_a_terminal(
    isolated_home: Path, answer: bytes, expected: bool | None
) -> None:
    with device_flow_with_api(interval=0.2, auto_approve_after=1) as (server, _):
        status, screen = _run_on_terminal(environment(server), answer)
    assert status == 0, screen
    assert "Help improve qwen-tui?" in screen
    assert "It never collects:" in screen and "your prompts to the model" in screen
    settings = json.loads((isolated_home / "settings.json").read_text())
    assert settings.get("privacy", {}).get("usageStatisticsEnabled") is expected
    install_id = settings.get("telemetry", {}).get("installId")
    assert (install_id is not None) is (expected is True), "an id only after a yes"


def test_a_value_in_the_environment_counts_as_the_answer(isolated_home: Path) -> None:
    with device_flow_with_api(interval=0.2, auto_approve_after=1) as (server, _):
        env = environment(server, QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED="false")
        status, screen = _run_on_terminal(env, b"y\n")
    assert status == 0, screen
    assert "Help improve qwen-tui?" not in screen
    assert "privacy" not in json.loads((isolated_home / "settings.json").read_text())


QWEN_ENDED = ScriptedError(
    429,
    "Qwen OAuth free tier quota exceeded. Note: Qwen OAuth free tier will be discontinued "
    "on 2026-04-15.",
    code="insufficient_quota",
)


@pytest.mark.parametrize(
    ("status", "message", "code"),
    [
        (
            429,
            "Qwen OAuth free tier quota exceeded. Note: Qwen OAuth free tier will be "
            "discontinued on 2026-04-15.",
            "insufficient_quota",
        ),
        (401, "invalid access token or token expired", "invalid_api_key"),
    ],
    ids=["free-tier-quota", "token-refused"],
)
def test_a_sign_in_the_api_refuses_is_reported_and_not_stored(
    isolated_home: Path, status: int, message: str, code: str
) -> None:
    with device_flow_with_api(interval=0.1, auto_approve_after=1) as (server, api):
        refusal = ScriptedError(status, message, type="invalid_request_error", code=code)
        api.options.errors["/v1/chat/completions"] = refusal
        result = run(*LOGIN, env=environment(server))
    assert result.returncode == 1, result.stderr
    assert "refuses to answer with this account" in result.stderr
    assert "discontinued on 2026-04-15" in result.stderr
    assert "Coding Plan" in result.stderr
    assert "Nothing was stored." in result.stderr
    assert "Signed in with Qwen OAuth" not in result.stderr
    assert not (isolated_home / "credentials.json").exists()
    assert not (isolated_home / "settings.json").exists()


def test_an_imported_qwen_code_sign_in_is_tried_before_it_is_kept(isolated_home: Path) -> None:
    qwen_code = Path(os.environ["HOME"]) / ".qwen" / "oauth_creds.json"
    qwen_code.parent.mkdir(parents=True)
    with openai_server(api_key="qc-a", errors={"/v1/chat/completions": QWEN_ENDED}) as api:
        far = 4_000_000_000_000
        tokens = {"access_token": "qc-a", "refresh_token": "qc-r", "expiry_date": far}
        qwen_code.write_text(json.dumps({**tokens, "resource_url": api.base_url}))
        env = environment(QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED="false")
        status, screen = _run_on_terminal(env, b"y\n", IMPORT_PROMPT)
        (test_request,) = api.requests
    assert status == 1, screen
    assert test_request.authorization == "Bearer qc-a"
    assert "refuses to answer with this account" in screen
    assert "Nothing was stored." in screen
    assert not (isolated_home / "credentials.json").exists()
