"""run_shell_command with real subprocesses: output, timeouts, stops, secrets."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from qwen_tui.tools import ToolError
from qwen_tui.tools.environment import is_secret_name, tool_environment
from qwen_tui.tools.shell import HEAD_CHARS, MAX_OUTPUT_CHARS, run_command
from tests.support.waiting import async_wait_until


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def written_pid(file: Path) -> int | None:
    try:
        return int(file.read_text())
    except (FileNotFoundError, ValueError):
        return None


async def pid_from(file: Path) -> int:
    await async_wait_until(lambda: written_pid(file) is not None)
    pid = written_pid(file)
    assert pid is not None
    return pid


async def test_output_and_exit_code_come_back_from_the_folder_asked_for(tmp_path: Path) -> None:
    outcome = await run_command("pwd; echo out; echo err >&2; exit 3", tmp_path)
    assert outcome.exit_code == 3 and not outcome.timed_out
    assert outcome.output.splitlines() == [str(tmp_path), "out", "err"]
    text = outcome.for_model("pwd", ".", 120)
    assert "Exit code: 3" in text and text.endswith("out\nerr\n")


async def test_stdin_is_empty_so_a_prompt_cannot_hang(tmp_path: Path) -> None:
    outcome = await run_command("read answer; echo got:$answer; cat", tmp_path, timeout=30)
    assert outcome.output == "got:\n" and not outcome.timed_out


async def test_a_command_past_its_timeout_is_killed_with_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    outcome = await run_command(f"sleep 300 & echo $! > {pid_file}; wait", tmp_path, timeout=1.0)
    assert outcome.timed_out
    assert "Stopped after 1 s (timeout)" in outcome.for_model("x", ".", 1.0)
    child = await pid_from(pid_file)
    await async_wait_until(lambda: not alive(child), "the child outlived the timeout")


async def test_stopping_the_turn_kills_the_whole_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    task = asyncio.create_task(
        run_command(f"sleep 300 & echo $! > {pid_file}; wait", tmp_path, timeout=300)
    )
    child = await pid_from(pid_file)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await async_wait_until(lambda: not alive(child), "the child outlived the stop")


async def test_a_background_straggler_does_not_keep_the_call_waiting(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    outcome = await run_command(f"sleep 300 & echo $! > {pid_file}; echo done", tmp_path)
    assert outcome.exit_code == 0 and outcome.output == "done\n"
    child = await pid_from(pid_file)
    await async_wait_until(lambda: not alive(child))


async def test_long_output_keeps_its_start_and_end(tmp_path: Path) -> None:
    script = "print('S' + 'a' * 60000 + 'END')"
    outcome = await run_command(f'{sys.executable} -c "{script}"', tmp_path)
    assert outcome.omitted == 60000 + 5 - MAX_OUTPUT_CHARS
    assert outcome.output.startswith("S" + "a" * (HEAD_CHARS - 1))
    assert outcome.output.endswith("END\n")
    assert f"[… {outcome.omitted} characters omitted …]" in outcome.output
    assert len(outcome.output) < MAX_OUTPUT_CHARS + 100


async def test_the_environment_has_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-0123456789")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_abcdefghij")
    monkeypatch.setenv("INNOCENT_NAME", "prefix-sk-stored-key-suffix")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/bus")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
    monkeypatch.setenv("PROJECT_SETTING", "kept")
    outcome = await run_command("env", tmp_path, secrets=["sk-stored-key"])
    names = {line.split("=", 1)[0] for line in outcome.output.splitlines() if "=" in line}
    assert {"OPENAI_API_KEY", "GITHUB_TOKEN", "INNOCENT_NAME"}.isdisjoint(names)
    assert "DBUS_SESSION_BUS_ADDRESS" not in names
    assert {"PATH", "SSH_AUTH_SOCK", "PROJECT_SETTING", "GIT_TERMINAL_PROMPT"} <= names
    for secret in ("sk-live-0123456789", "ghp_abcdefghij", "sk-stored-key"):
        assert secret not in outcome.output


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("OPENAI_API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("NPM_TOKEN", True),
        ("PGPASSWORD", True),
        ("QWEN_TUI_HOME", True),
        ("DASHSCOPE_API_KEY", True),
        ("KEYBOARD_LAYOUT", False),
        ("PATH", False),
        ("HOME", False),
        ("SSH_AUTH_SOCK", False),
        ("MONKEY", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_the_base_environment_is_not_changed() -> None:
    base = {"PATH": "/bin", "MY_API_KEY": "x"}
    assert tool_environment(base=base)["PATH"] == "/bin"
    assert base == {"PATH": "/bin", "MY_API_KEY": "x"}
    assert "MY_API_KEY" not in tool_environment(base=base)


async def test_bad_requests_are_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="empty"):
        await run_command("  ", tmp_path)
    with pytest.raises(ToolError, match="timeout"):
        await run_command("true", tmp_path, timeout=0)
    with pytest.raises(ToolError, match="could not be started"):
        await run_command("true", tmp_path / "missing")
