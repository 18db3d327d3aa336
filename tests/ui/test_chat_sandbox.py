"""The chat screen and the shell sandbox: "unsandboxed" in the status line when no
sandbox can be had, and then every command asks, whatever the remembered rules say."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from qwen_tui.ui.screens.chat_view import SystemNote
from tests.support.sandbox import bubblewrap, path_without_bubblewrap
from tests.support.servers.openai_server import Call, OpenAIServer, Turn
from tests.support.ui_helpers import holds_for, wait_until
from tests.ui.test_chat_agent import SIZE, agent_app, approval, connected, done, send, status
from tests.ui.test_chat_agent import project as project
from tests.ui.test_chat_agent import server as server
from tests.ui.test_chat_status import write_settings

ALLOW_ECHO = '{"tools": {"allowed": ["run_shell_command(echo)"]}}'
COMMAND = "echo hi > made.txt"


async def test_without_bubblewrap_it_says_unsandboxed_and_every_command_asks(
    server: OpenAIServer,
    project: Path,
    isolated_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", path_without_bubblewrap(tmp_path / "bin"))
    write_settings(isolated_home, ALLOW_ECHO)
    ask = Turn([], [Call("run_shell_command", {"command": COMMAND})])
    server.options.script = [ask, Turn(["Made."]), ask, Turn(["Made again."])]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await wait_until(pilot, lambda: "unsandboxed" in status(screen))
        assert "mode default · unsandboxed" in status(screen)
        toasts = [str(toast.message) for toast in pilot.app._notifications]
        assert any("bubblewrap (bwrap) is not installed" in toast for toast in toasts), toasts
        assert not screen.query(SystemNote), "the transcript is left to the conversation"
        screen.action_approval_mode()
        said = str(list(screen.query(SystemNote))[-1].render())
        assert "Shell commands: unsandboxed (bubblewrap (bwrap) is not installed)" in said
        await send(pilot, screen, "make a file")
        await wait_until(pilot, lambda: approval(screen) is not None)
        assert not (project / "made.txt").exists(), "the allowed rule did not skip the question"
        prompt = approval(screen)
        assert prompt is not None and prompt.border_title == "Allow this command, unsandboxed?"
        keys = str(prompt.query_one(".approval-keys", Static).render())
        assert "always" not in keys and "y yes, unsandboxed" in keys
        await pilot.press("a")  # no "always" without a sandbox
        await holds_for(pilot, lambda: approval(screen) is prompt, 0.3, "a answered")
        await pilot.press("y")
        await wait_until(pilot, lambda: done(screen))
        assert (project / "made.txt").read_text() == "hi\n"
        assert screen.policy is not None and len(screen.policy.allowed) == 1
        (project / "made.txt").unlink()
        await send(pilot, screen, "again")
        await wait_until(pilot, lambda: approval(screen) is not None)
        await pilot.press("y")
        await wait_until(pilot, lambda: done(screen))
        assert (project / "made.txt").read_text() == "hi\n"


@pytest.mark.system
async def test_with_bubblewrap_an_allowed_command_runs_sandboxed_without_asking(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    bubblewrap(project, isolated_home)  # skips, or fails in CI, without bubblewrap
    write_settings(isolated_home, ALLOW_ECHO)
    outside = Path("/etc") / "qwen-tui-sandbox-probe"
    command = f"{COMMAND}; echo x > {outside}"
    server.options.script = [
        Turn([], [Call("run_shell_command", {"command": command}, id="call_sh")]),
        Turn(["Done."]),
    ]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        assert "unsandboxed" not in status(screen)
        screen.action_approval_mode()
        said = str(list(screen.query(SystemNote))[-1].render())
        assert "Shell commands: sandboxed (bubblewrap; only the workspace" in said
        await send(pilot, screen, "make a file")
        await wait_until(pilot, lambda: done(screen) and "call_sh" in server.tool_results())
        assert approval(screen) is None
    assert (project / "made.txt").read_text() == "hi\n"
    assert "Read-only file system" in server.tool_results()["call_sh"]
    assert not outside.exists()
