"""``qwen-tui -p`` and the shell sandbox: the real command, a scripted model, a real
project; commands run sandboxed where bubblewrap works, and the run says so when not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.headless.test_cli_prompt import environment
from tests.support.sandbox import bubblewrap, outside_tmp, path_without_bubblewrap
from tests.support.servers.openai_server import Call, OpenAIServer, Turn, openai_server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root.resolve()


@pytest.fixture
def outside() -> Iterator[Path]:
    with outside_tmp() as folder:
        yield folder


def qwen_yolo(project: Path, server: OpenAIServer, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", "-p", "run it", "--approval-mode", "yolo"],
        cwd=project,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**environment(server.base_url), **env},
        timeout=120,
    )


def one_command(command: str) -> list[Turn]:
    return [
        Turn([], [Call("run_shell_command", {"command": command}, id="call_sh")]),
        Turn(["Done."]),
    ]


@pytest.mark.system
def test_commands_run_sandboxed_where_bubblewrap_works(project: Path, outside: Path) -> None:
    bubblewrap(project, Path(os.environ["QWEN_TUI_HOME"]))
    command = f"echo in > inside.txt; echo out > {outside}/escaped.txt"
    with openai_server(script=one_command(command)) as server:
        result = qwen_yolo(project, server)
        output = server.tool_results(-1)["call_sh"]
    assert result.returncode == 0, result.stderr
    assert "unsandboxed" not in result.stderr
    assert (project / "inside.txt").read_text() == "in\n"
    assert not (outside / "escaped.txt").exists()
    assert "Read-only file system" in output


def test_without_bubblewrap_the_run_says_it_is_unsandboxed(project: Path, tmp_path: Path) -> None:
    with openai_server(script=one_command("echo in > inside.txt")) as server:
        result = qwen_yolo(project, server, PATH=path_without_bubblewrap(tmp_path / "bin"))
    assert result.returncode == 0, result.stderr
    assert (
        "qwen-tui: shell commands run unsandboxed: bubblewrap (bwrap) is not installed."
        in result.stderr.splitlines()
    )
    assert (project / "inside.txt").read_text() == "in\n"


def test_a_user_who_turned_it_off_is_told_so(project: Path, tmp_path: Path) -> None:
    with openai_server(script=one_command("true")) as server:
        result = qwen_yolo(project, server, QWEN_TUI_TOOLS__SANDBOX__ENABLED="false")
    assert result.returncode == 0, result.stderr
    assert "unsandboxed: the sandbox is turned off (tools.sandbox.enabled is false)" in (
        result.stderr
    )
