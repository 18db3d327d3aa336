"""The agent's shell commands in the real sandbox: what they change in the workspace is
undone by the checkpoints, which the app writes outside the sandbox in a state folder
the commands cannot see."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from qwen_tui.agent.approval import ApprovalPolicy
from qwen_tui.agent.checkpoints import Checkpoints
from qwen_tui.agent.events import ToolFinished
from qwen_tui.agent.loop import Agent
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.tools import Toolbox, Workspace
from tests.chat.test_chat_service import KEY, service_for
from tests.support.sandbox import bubblewrap, outside_tmp
from tests.support.servers.openai_server import Call, Turn, openai_server

pytestmark = pytest.mark.system


@pytest.fixture
def home() -> Iterator[Path]:
    """A state folder outside ``/tmp``, so that only the sandbox's hiding keeps it unseen."""
    with outside_tmp() as folder:
        yield folder / "qwen-home"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text("first\n")
    subprocess.run(["git", "-C", str(root), "init", "-q"], check=True)
    return root.resolve()


async def test_a_sandboxed_command_changes_the_workspace_and_undo_puts_it_back(
    project: Path, home: Path
) -> None:
    workspace = Workspace.at(project)
    checkpoints = Checkpoints(home, workspace)
    command = f"echo changed > notes.txt; echo new > made.txt; ls -A {home}"
    script = [Turn([], [Call("run_shell_command", {"command": command})]), Turn(["Done."])]
    with openai_server(api_key=KEY, script=script) as server:
        agent = Agent(
            service_for(server.base_url),
            Toolbox(workspace, sandbox=bubblewrap(project, home)),
            ApprovalPolicy("yolo"),
            before_change=checkpoints.before_change,
        )
        events = [event async for event in agent.run([ChatMessage("user", "change it")])]
        await agent.chat.aclose()
        result = next(iter(server.tool_results(-1).values()))
    finished = [event for event in events if isinstance(event, ToolFinished)]
    assert [f.ok for f in finished] == [True], result
    assert (project / "notes.txt").read_text() == "changed\n"
    assert (project / "made.txt").read_text() == "new\n"
    assert any((home / "history").iterdir()), "the checkpoint was written by the app"
    assert "history" not in result, "the command saw the state folder"
    assert "Sandbox: bubblewrap; only the workspace and /tmp are writable; no network." in result

    report = await checkpoints.undo_async()
    assert report.restored == ("notes.txt",) and report.deleted == ("made.txt",)
    assert (project / "notes.txt").read_text() == "first\n"
    assert not (project / "made.txt").exists()
