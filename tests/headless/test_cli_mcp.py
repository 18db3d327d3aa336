"""MCP servers from the command line: ``qwen-tui mcp …`` and their tools in ``-p``,
with the real command, a real SDK-written server and the scripted model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.headless.test_cli_prompt import environment
from tests.support.servers.mcp_servers import DEMO, GARBLING_RELAY, write_script
from tests.support.servers.openai_server import Call, OpenAIServer, Turn, openai_server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.fixture
def script(tmp_path: Path) -> Path:
    return write_script(tmp_path, "demo_server.py", DEMO)


def home() -> Path:
    return Path(os.environ["QWEN_TUI_HOME"])


def qwen(
    *args: str, cwd: Path, server: OpenAIServer | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        env=environment(server.base_url if server else None),
        timeout=120,
    )


def write_settings(script: Path, *before: Path) -> None:
    home().mkdir(parents=True, exist_ok=True)
    entry = {"command": sys.executable, "args": [*map(str, before), str(script)]}
    (home() / "settings.json").write_text(json.dumps({"mcpServers": {"demo": entry}}))


def note_script() -> list[Turn]:
    return [
        Turn([], [Call("demo__write_note", {"name": "n.txt", "text": "hi"}, id="call_note")]),
        Turn(["Wrote the note."]),
    ]


def test_add_list_trust_and_remove(project: Path, script: Path) -> None:
    added = qwen(
        "mcp", "add", "--env", "TOKEN=$keyring:tok", "--env", "PLAIN=literal-secret-0123456789",
        "demo", "--", sys.executable, str(script), cwd=project,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert f"trusted to run: {sys.executable} {script}" in added.stderr
    saved = json.loads((home() / "settings.json").read_text())["mcpServers"]["demo"]
    assert saved == {
        "command": sys.executable,
        "args": [str(script)],
        "env": {"TOKEN": "$keyring:tok", "PLAIN": "literal-secret-0123456789"},
    }
    listed = qwen("mcp", "list", cwd=project)
    assert "demo  [stopped]  stdio" in listed.stdout
    assert "TOKEN = $keyring:tok" in listed.stdout
    assert "literal-secret-0123456789" not in listed.stdout
    forgot = qwen("mcp", "trust", "--forget", "demo", cwd=project)
    assert "no longer trusted" in forgot.stderr
    assert "demo  [not trusted yet]" in qwen("mcp", "list", cwd=project).stdout
    qwen("mcp", "trust", "demo", cwd=project)
    removed = qwen("mcp", "remove", "demo", cwd=project)
    assert removed.returncode == 0
    assert (
        "mcpServers" not in json.loads((home() / "settings.json").read_text())
        or not (json.loads((home() / "settings.json").read_text())["mcpServers"])
    )
    assert "No MCP servers" in qwen("mcp", "list", cwd=project).stdout


def test_list_tools_starts_the_server_and_shows_them(project: Path, script: Path) -> None:
    qwen("mcp", "add", "demo", "--", sys.executable, str(script), cwd=project)
    listed = qwen("mcp", "list", "--tools", cwd=project)
    assert "demo  [ready]" in listed.stdout
    assert "tool demo__echo (read-only)" in listed.stdout
    assert "tool demo__write_note (asks)" in listed.stdout
    assert "must not reach the terminal" not in listed.stderr + listed.stdout


def test_a_secret_is_stored_for_keyring_references(project: Path) -> None:
    stored = qwen("mcp", "secret", "tok", "--allow-file-store", cwd=project, stdin="s3cret\n")
    assert stored.returncode == 0, stored.stderr
    assert "s3cret" not in stored.stderr


def test_an_untrusted_server_is_not_started_without_a_terminal(project: Path, script: Path) -> None:
    write_settings(script)
    with openai_server(script=note_script()) as server:
        result = qwen("-p", "note", "--approval-mode", "yolo", cwd=project, server=server)
        first = next(r for r in server.requests if r.path.endswith("/chat/completions"))
        offered = [tool["function"]["name"] for tool in first.json()["tools"]]
        note = server.tool_results(-1)["call_note"]
    assert "MCP server demo is not trusted yet, so it was not started" in result.stderr
    assert "qwen-tui mcp trust demo" in result.stderr
    assert "demo__write_note" not in offered
    assert "no tool named 'demo__write_note'" in note
    assert not (project / "n.txt").exists()


def test_yolo_calls_a_trusted_servers_tool(project: Path, script: Path) -> None:
    write_settings(script)
    assert qwen("mcp", "trust", "demo", cwd=project).returncode == 0
    with openai_server(script=note_script()) as server:
        result = qwen("-p", "note", "--approval-mode", "yolo", cwd=project, server=server)
        note = server.tool_results(-1)["call_note"]
    assert result.returncode == 0, result.stderr
    assert note == "wrote n.txt"
    assert (project / "n.txt").read_text() == "hi"
    assert "● demo__write_note (done" in result.stderr
    assert "must not reach the terminal" not in result.stderr


def test_plan_refuses_a_changing_mcp_tool(project: Path, script: Path) -> None:
    write_settings(script)
    qwen("mcp", "trust", "demo", cwd=project)
    with openai_server(script=note_script()) as server:
        result = qwen("-p", "note", "--approval-mode", "plan", cwd=project, server=server)
        note = server.tool_results(-1)["call_note"]
    assert result.returncode == 0, result.stderr
    assert "plan mode" in note
    assert not (project / "n.txt").exists()
    assert "● demo__write_note (refused" in result.stderr


def test_default_mode_without_a_terminal_refuses_with_exit_4(project: Path, script: Path) -> None:
    write_settings(script)
    qwen("mcp", "trust", "demo", cwd=project)
    with openai_server(script=note_script()) as server:
        result = qwen("-p", "note", "--approval-mode", "default", cwd=project, server=server)
    assert result.returncode == 4, result.stderr
    assert not (project / "n.txt").exists()


def test_on_a_terminal_the_user_is_asked_to_trust_then_to_approve(
    project: Path, script: Path
) -> None:
    from tests.headless.test_cli_prompt_terminal import Terminal, _pty

    write_settings(script)
    out_master, out_slave = _pty()
    err_master, err_slave = _pty()
    with openai_server(script=note_script()) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "qwen_tui", "-p", "note", "--approval-mode", "default"],
            cwd=project,
            stdin=err_slave,
            stdout=out_slave,
            stderr=err_slave,
            env=environment(server.base_url),
        )
        os.close(out_slave)
        os.close(err_slave)
        terminal = Terminal(process, {"out": out_master, "err": err_master})
        try:
            terminal.wait_for("err", lambda data: b"Trust it and start it?" in data)
            assert (
                f"It would run:\n  {sys.executable} {script}".encode() in terminal.received["err"]
            )
            os.write(err_master, b"y\n")
            terminal.wait_for("err", lambda data: b"Allow?" in data)
            assert b"a tool of the MCP server demo" in terminal.received["err"]
            os.write(err_master, b"y\n")
            code, out, err = terminal.finish()
        finally:
            if process.poll() is None:
                process.kill()
            os.close(out_master)
            os.close(err_master)
    assert code == 0, err
    assert (project / "n.txt").read_text() == "hi"
    assert b"Wrote the note." in out
    assert "demo" in (home() / "trustedMcpServers.json").read_text()


def test_a_server_writing_garbage_lines_works_and_nothing_reaches_stderr(
    project: Path, script: Path, tmp_path: Path
) -> None:
    relay = write_script(tmp_path, "relay.py", GARBLING_RELAY)
    write_settings(script, relay)
    qwen("mcp", "trust", "demo", cwd=project)
    with openai_server(script=note_script()) as server:
        result = qwen("-p", "note", "--approval-mode", "yolo", cwd=project, server=server)
    assert result.returncode == 0, result.stderr
    assert (project / "n.txt").read_text() == "hi"
    assert "Traceback" not in result.stderr and "JSONRPC" not in result.stderr
    assert "not json-rpc" not in result.stderr + result.stdout


def test_an_http_servers_tool_from_p_with_a_keyring_header(project: Path) -> None:
    from tests.support.servers.mcp_servers import http_mcp_server

    turns = [
        Turn([], [Call("web__remember", {"text": "milk"}, id="call_keep")]),
        Turn(["Kept."]),
    ]
    with http_mcp_server() as web:
        added = qwen(
            "mcp", "add", "--url", web.url, "--header", "Authorization: Bearer $keyring:web",
            "web", cwd=project,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        qwen(
            "mcp", "secret", "web", "--allow-file-store", cwd=project, stdin="tok-web-0123456789\n"
        )
        (home() / "settings.json").write_text(
            json.dumps(
                {
                    **json.loads((home() / "settings.json").read_text()),
                    "credentials": {"allowFileStore": True},
                }
            )
        )
        with openai_server(script=turns) as server:
            result = qwen("-p", "keep milk", "--approval-mode", "yolo", cwd=project, server=server)
            kept = server.tool_results(-1)["call_keep"]
    assert result.returncode == 0, result.stderr
    assert kept == "kept milk"
    assert any(h.get("authorization") == "Bearer tok-web-0123456789" for h in web.headers)
    assert "tok-web-0123456789" not in result.stderr + result.stdout


def test_a_server_that_crashes_in_a_call_is_named_with_the_reason(
    project: Path, script: Path
) -> None:
    write_settings(script)
    qwen("mcp", "trust", "demo", cwd=project)
    turns = [Turn([], [Call("demo__crash", {}, id="call_crash")]), Turn(["It crashed."])]
    with openai_server(script=turns) as server:
        result = qwen("-p", "crash", "--approval-mode", "yolo", cwd=project, server=server)
        told = server.tool_results(-1)["call_crash"]
    assert result.returncode == 0, result.stderr
    assert "failed during the call" in told
    assert "● demo__crash (failed" in result.stderr
    assert "MCP server demo failed during the run: the server closed the connection" in (
        result.stderr
    )
