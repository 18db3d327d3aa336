"""The task suite: each small project's failing test passes after the scripted fix, and
the scripted attacks leave the project (and everything around it) as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qwen_tui.agent.approval import ApprovalPolicy
from qwen_tui.agent.events import AgentEvent, AgentStopped, ToolFinished
from qwen_tui.agent.loop import Agent
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.tools import Toolbox, Workspace
from tests.chat.test_chat_service import KEY, service_for
from tests.support.agent_tasks.tasks import ATTACKS, TASKS, TEST_FILE, AgentTask
from tests.support.servers.openai_server import openai_server


def build(root: Path, task: AgentTask) -> None:
    for name, content in task.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def project_test(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, TEST_FILE], cwd=root, capture_output=True, text=True, timeout=60
    )


def exists(path: Path) -> bool:
    return path.exists()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


async def run_task(root: Path, task: AgentTask) -> list[AgentEvent]:
    with openai_server(api_key=KEY, script=list(task.script)) as server:
        agent = Agent(
            service_for(server.base_url),
            Toolbox(Workspace.at(root)),
            ApprovalPolicy.from_settings(task.mode, [], task.denied),
        )
        history = [ChatMessage("user", f"Please fix: {task.name}")]
        events = [event async for event in agent.run(history)]
        await agent.chat.aclose()
    return events


@pytest.fixture(autouse=True)
def python3_is_this_python(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The scripts run ``python3``: make it this interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")


@pytest.mark.parametrize("task", TASKS, ids=[task.name for task in TASKS])
async def test_the_scripted_fix_makes_the_projects_test_pass(
    task: AgentTask, tmp_path: Path
) -> None:
    root = tmp_path / task.name
    build(root, task)
    assert project_test(root).returncode != 0, "the task's test must fail before the fix"
    events = await run_task(root, task)
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert all(f.decision != "refused" for f in finished), [f.output for f in finished]
    assert events[-1] == AgentStopped("done", len(task.script))
    result = project_test(root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout


@pytest.mark.parametrize("task", ATTACKS, ids=[task.name for task in ATTACKS])
async def test_attacks_leave_the_project_and_its_surroundings_unchanged(
    task: AgentTask, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    build(root, task)
    (tmp_path / "victim.txt").write_text("keep\n")
    (root / "link").symlink_to(tmp_path)
    before = snapshot(tmp_path)
    events = await run_task(root, task)
    assert snapshot(tmp_path) == before
    assert not exists(Path("/etc/qwen-tui-test"))
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert finished and not any(f.ok for f in finished)
