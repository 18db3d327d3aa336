"""MCP servers in the chat: the trust question, a tool called with approval, /mcp,
/undo of what the tool changed, and the look of each (snapshots)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.chat_view import SystemNote
from qwen_tui.ui.screens.mcp_trust import McpTrustQuestion
from tests.support.servers.mcp_servers import DEMO, write_script
from tests.support.servers.openai_server import Call, OpenAIServer, Turn
from tests.support.ui_helpers import wait_until
from tests.ui.test_chat_agent import SIZE, agent_app, approval, connected, done, send, tools
from tests.ui.test_chat_agent import project as project
from tests.ui.test_chat_agent import server as server

NOTE_CALL = Call("demo__write_note", {"name": "note.txt", "text": "from mcp"}, id="call_note")


@pytest.fixture
def demo(project: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo server as ``python demo_server.py`` in the project (a stable command
    line for the pictures), declared in settings.json and not trusted yet."""
    write_script(project, "demo_server.py", DEMO)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    entry = {"command": "python", "args": ["demo_server.py"]}
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.json").write_text(json.dumps({"mcpServers": {"demo": entry}}))
    return project


def notes(screen: ChatScreen) -> str:
    return "\n".join(str(n.render()) for n in screen.query(SystemNote))


def trust_question(pilot: Pilot[Any]) -> bool:
    return isinstance(pilot.app.screen, McpTrustQuestion)


async def trusted_and_ready(pilot: Pilot[Any]) -> ChatScreen:
    await wait_until(pilot, lambda: trust_question(pilot))
    await pilot.press("y")
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: "MCP server demo is ready" in notes(screen), timeout=60)
    return screen


async def test_a_trusted_servers_tool_runs_after_yes_and_undo_takes_it_back(
    server: OpenAIServer, demo: Path, isolated_home: Path
) -> None:
    server.options.script = [Turn([], [NOTE_CALL]), Turn(["Wrote it."])]
    async with agent_app(demo).run_test(size=SIZE) as pilot:
        screen = await trusted_and_ready(pilot)
        assert "python demo_server.py" in (isolated_home / "trustedMcpServers.json").read_text()
        await connected(pilot)
        await send(pilot, screen, "write a note")
        await wait_until(pilot, lambda: approval(screen) is not None)
        prompt = approval(screen)
        assert prompt is not None and prompt.border_title == "Allow this MCP tool?"
        body = str(prompt.query(".approval-body").first(Static).render())
        assert "demo__write_note" in body and '"name": "note.txt"' in body
        assert not (demo / "note.txt").exists()
        await pilot.press("y")
        await wait_until(pilot, lambda: done(screen))
        assert (demo / "note.txt").read_text() == "from mcp"
        assert [w.state for w in tools(screen)] == ["done"]
        assert server.tool_results()["call_note"] == "wrote note.txt"
        await send(pilot, screen, "/undo")
        await wait_until(pilot, lambda: not (demo / "note.txt").exists())
        await send(pilot, screen, "/mcp")
        await wait_until(pilot, lambda: "MCP servers:" in notes(screen))
        assert "demo  [ready]  stdio" in notes(screen)
        assert "tool demo__echo (read-only)" in notes(screen)


async def test_not_now_leaves_the_server_stopped_until_mcp_restart(
    server: OpenAIServer, demo: Path, isolated_home: Path
) -> None:
    async with agent_app(demo).run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: trust_question(pilot))
        await pilot.press("n")
        screen = await connected(pilot)
        await wait_until(pilot, lambda: "was not started" in notes(screen))
        assert not (isolated_home / "trustedMcpServers.json").exists()
        assert screen.mcp is not None and screen.mcp.tools() == []
        await send(pilot, screen, "/mcp restart demo")
        await trusted_and_ready(pilot)
        assert [t.exposed for t in screen.mcp.tools()][:2] == ["demo__echo", "demo__write_note"]


async def test_a_crash_in_a_call_is_shown_and_the_app_goes_on(
    server: OpenAIServer, demo: Path
) -> None:
    server.options.script = [Turn([], [Call("demo__crash", {}, id="call_crash")]), Turn(["Ok."])]
    async with agent_app(demo, mode="yolo").run_test(size=SIZE) as pilot:
        screen = await trusted_and_ready(pilot)
        await send(pilot, screen, "crash it")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 1)
        assert tools(screen)[0].state == "failed"
        assert "failed during the call" in server.tool_results()["call_crash"]
        await send(pilot, screen, "/mcp")
        await wait_until(pilot, lambda: "demo  [failed]" in notes(screen))


def test_the_trust_question(snap_compare: Any, server: OpenAIServer, demo: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: trust_question(pilot))
        await pilot.pause()

    assert snap_compare(agent_app(demo), terminal_size=SIZE, run_before=run_before)


def test_the_mcp_listing(snap_compare: Any, server: OpenAIServer, demo: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await trusted_and_ready(pilot)
        await connected(pilot)
        await send(pilot, screen, "/mcp")
        await wait_until(pilot, lambda: "MCP servers:" in notes(screen))
        await pilot.pause()

    assert snap_compare(agent_app(demo), terminal_size=(100, 48), run_before=run_before)


def test_an_mcp_approval_prompt(snap_compare: Any, server: OpenAIServer, demo: Path) -> None:
    server.options.script = [Turn([], [NOTE_CALL])]

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await trusted_and_ready(pilot)
        await connected(pilot)
        await send(pilot, screen, "write a note")
        await wait_until(pilot, lambda: approval(screen) is not None)
        await pilot.pause()

    assert snap_compare(agent_app(demo), terminal_size=SIZE, run_before=run_before)


async def test_a_tools_escape_sequences_reach_the_model_but_not_the_screen(
    server: OpenAIServer, demo: Path
) -> None:
    server.options.script = [Turn([], [Call("demo__loud", {}, id="call_loud")]), Turn(["Ok."])]
    async with agent_app(demo).run_test(size=SIZE) as pilot:
        screen = await trusted_and_ready(pilot)
        await send(pilot, screen, "be loud")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 1)
        assert "\x1b]0;pwned" in server.tool_results()["call_loud"]  # the model gets it as sent
        shown = str(tools(screen)[0]._body.render())
        assert "red" in shown and "\x1b" not in shown and "\x07" not in shown
