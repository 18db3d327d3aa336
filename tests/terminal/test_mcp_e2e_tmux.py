"""An MCP server in the real ``qwen-tui`` command in tmux: trusted with ``y``, its tool
approved with ``y``, and its process gone once the app quits."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from tests.mcp_servers.test_mcp_connection import children_running
from tests.support.servers.mcp_servers import DEMO, write_script
from tests.support.servers.openai_server import Call, Turn, openai_server
from tests.support.waiting import wait_until
from tests.terminal.test_e2e_tmux import KEY, Tmux
from tests.terminal.test_e2e_tmux import launch as launch
from tests.terminal.test_e2e_tmux import tmux_available as tmux_available


def test_an_mcp_tool_trusted_and_approved_in_a_real_terminal(
    launch: Callable[..., Tmux], tmp_path: Path, isolated_home: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    script = write_script(tmp_path, "demo_server.py", DEMO)
    isolated_home.mkdir(parents=True, exist_ok=True)
    entry = {"command": sys.executable, "args": [str(script)]}
    (isolated_home / "settings.json").write_text(json.dumps({"mcpServers": {"demo": entry}}))
    call = Call("demo__write_note", {"name": "note.txt", "text": "hi"}, id="call_note")
    turns = [Turn([], [call]), Turn(["The note is written."])]
    with openai_server(api_key=KEY, script=turns) as server:
        tmux = launch(
            "--workspace",
            str(project),
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY=KEY,
            OPENAI_MODEL="test-model",
        )
        screen = tmux.wait_for(lambda s: "Start the MCP server" in s)
        assert "It runs this command on your computer" in screen
        tmux.type("y")
        tmux.wait_for(lambda s: "MCP server demo is ready" in s)
        assert children_running(script)
        tmux.type("Write a note.", literal=True)
        tmux.type("Enter")
        screen = tmux.wait_for(lambda s: "Allow this MCP tool?" in s)
        assert "a tool of the MCP server demo" in screen
        assert not (project / "note.txt").exists()
        tmux.type("y")
        tmux.wait_for(lambda s: "The note is written." in s)
        assert (project / "note.txt").read_text() == "hi"
        assert "must not reach the terminal" not in tmux.screen()
        tmux.type("C-q")
        wait_until(lambda: not tmux.alive(), "the app did not quit")
    wait_until(lambda: not children_running(script), "the MCP server outlived the app")
