"""How the agent looks in the chat screen: approval prompts, tool widgets, yolo.

Run ``pytest --snapshot-update`` after a deliberate change of look, and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from qwen_tui.ui.screens.chat import ChatScreen
from tests.support.sandbox import path_without_bubblewrap
from tests.support.servers.openai_server import Call, OpenAIServer, Turn
from tests.support.ui_helpers import wait_until
from tests.ui.test_chat_agent import EDIT, SIZE, agent_app, approval, connected, send, tools
from tests.ui.test_chat_agent import project as project
from tests.ui.test_chat_agent import server as server


@pytest.fixture(autouse=True)
def steady_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The status line shows how long the answer took: fix it for a stable picture.
    monkeypatch.setattr(ChatScreen, "_elapsed_text", lambda self, seconds: "1.2 s")
    yield


async def _until_asked(pilot: Pilot[Any], text: str) -> None:
    screen = await connected(pilot)
    await send(pilot, screen, text)
    await wait_until(pilot, lambda: approval(screen) is not None)
    await pilot.pause()


def test_approval_prompt_with_a_diff(
    snap_compare: Any,
    server: OpenAIServer,
    project: Path,
) -> None:
    server.options.script = [Turn(["Fixing the sign."], [Call("edit", EDIT)])]

    async def run_before(pilot: Pilot[Any]) -> None:
        await _until_asked(pilot, "fix add")

    assert snap_compare(agent_app(project), terminal_size=SIZE, run_before=run_before)


def test_shell_approval_prompt(
    snap_compare: Any,
    server: OpenAIServer,
    project: Path,
) -> None:
    arguments = {"command": "git status -s", "description": "See what changed."}
    server.options.script = [Turn([], [Call("run_shell_command", arguments)])]

    async def run_before(pilot: Pilot[Any]) -> None:
        await _until_asked(pilot, "what changed?")

    assert snap_compare(agent_app(project), terminal_size=SIZE, run_before=run_before)


def test_finished_tool_widgets_in_yolo(
    snap_compare: Any,
    server: OpenAIServer,
    project: Path,
) -> None:
    server.options.script = [
        Turn(["Reading it."], [Call("read_file", {"file_path": "calc.py"})]),
        Turn([], [Call("edit", EDIT), Call("read_file", {"file_path": "missing.py"})]),
        Turn(["Fixed: `add` adds now."]),
    ]

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await connected(pilot)
        await send(pilot, screen, "fix add")
        await wait_until(pilot, lambda: len(tools(screen)) == 3 and not screen._answering)
        await pilot.pause()

    app = agent_app(project, mode="yolo")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


WIDE = (150, SIZE[1])
"""Wide enough for the status line to show left of the toast that says why commands
are unsandboxed (the toast is part of the picture: one dismissed in the test is drawn
again by the snapshot's own run)."""


@pytest.fixture
def no_bubblewrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine as one without bubblewrap."""
    monkeypatch.setenv("PATH", path_without_bubblewrap(tmp_path / "bin"))


@pytest.mark.usefixtures("no_bubblewrap")
def test_unsandboxed_status_line(snap_compare: Any, server: OpenAIServer, project: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await connected(pilot)
        await wait_until(pilot, lambda: not screen.sandboxed)
        await wait_until(pilot, lambda: bool(pilot.app._notifications))
        await pilot.pause()

    assert snap_compare(agent_app(project), terminal_size=WIDE, run_before=run_before)


@pytest.mark.usefixtures("no_bubblewrap")
def test_unsandboxed_shell_approval_prompt(
    snap_compare: Any, server: OpenAIServer, project: Path
) -> None:
    arguments = {"command": "git status -s", "description": "See what changed."}
    server.options.script = [Turn([], [Call("run_shell_command", arguments)])]

    async def run_before(pilot: Pilot[Any]) -> None:
        await _until_asked(pilot, "what changed?")
        await wait_until(pilot, lambda: bool(pilot.app._notifications))

    assert snap_compare(agent_app(project), terminal_size=WIDE, run_before=run_before)
