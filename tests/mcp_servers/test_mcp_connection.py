"""MCP servers reached for real: SDK-written servers as stdio processes and over HTTP,
and hostile ones that crash, hang or write garbage, which must never take the app down."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qwen_tui.config.model import McpServerSettings
from qwen_tui.mcp_servers import McpConnection, McpServers
from qwen_tui.mcp_servers.connection import stderr_log
from qwen_tui.mcp_servers.trust import remember_trust
from tests.support.servers.mcp_servers import (
    DEMO,
    GARBAGE,
    GARBLING_RELAY,
    HANGS_AT_START,
    STUBBORN,
    http_mcp_server,
    stdio_entry,
    write_script,
)
from tests.support.waiting import async_wait_until

SECRETS = {"mcp:token": "tok-1234567890abcdef"}


def connection(
    tmp_path: Path, source: str, *, start_timeout: float = 20.0, **entry: Any
) -> McpConnection:
    script = write_script(tmp_path, "server.py", source)
    settings = McpServerSettings.model_validate(stdio_entry(script, **entry))
    return McpConnection(
        "demo", settings, tmp_path / "home", tmp_path, SECRETS.get, start_timeout=start_timeout
    )


def children_running(script: Path) -> list[int]:
    """Processes whose command line names ``script`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(script).encode() in cmdline:
                found.append(int(entry.name))
    return found


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[McpConnection]:
    yield connection(tmp_path, DEMO, timeout=2000)


async def test_a_stdio_server_starts_lists_its_tools_and_answers(
    demo: McpConnection, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    await demo.start()
    try:
        assert demo.state == "ready", demo.problem
        names = {tool.exposed: tool for tool in demo.tools}
        assert {"demo__echo", "demo__write_note", "demo__crash", "demo__hang"} <= set(names)
        assert names["demo__echo"].read_only and names["demo__echo"].kind == "read"
        assert not names["demo__write_note"].read_only
        assert names["demo__write_note"].kind == "execute"
        echoed = await demo.call("echo", {"text": "hi"})
        written = await demo.call("write_note", {"name": "note.txt", "text": "from mcp"})
    finally:
        await demo.stop()
    assert (echoed.ok, echoed.text) == (True, "echo: hi")
    assert written.ok and (tmp_path / "note.txt").read_text() == "from mcp"
    # The server's stderr went to its log, not to the terminal.
    log = stderr_log(tmp_path / "home", "demo")
    assert "must not reach the terminal" in log.read_text()
    assert (log.stat().st_mode & 0o777) == 0o600
    assert "must not reach the terminal" not in capfd.readouterr().err


async def test_a_bad_call_is_an_error_for_the_model_and_the_server_stays_up(
    demo: McpConnection,
) -> None:
    await demo.start()
    try:
        unknown = await demo.call("no_such_tool", {})
        missing = await demo.call("echo", {})
        assert demo.state == "ready"
        again = await demo.call("echo", {"text": "still here"})
    finally:
        await demo.stop()
    assert not unknown.ok and "no_such_tool" in unknown.text
    assert not missing.ok
    assert again.ok


async def test_a_server_that_dies_in_a_call_is_reported_and_marked_failed(
    demo: McpConnection, tmp_path: Path
) -> None:
    await demo.start()
    started = time.monotonic()
    outcome = await demo.call("crash", {})
    assert time.monotonic() - started < 10
    assert not outcome.ok
    assert "failed during the call" in outcome.text and "/mcp" in outcome.text
    assert demo.state == "failed" and demo.problem is not None
    assert demo.tools == ()
    after = await demo.call("echo", {"text": "x"})
    assert not after.ok and "not running" in after.text
    await demo.restart()
    try:
        assert demo.problem is None and demo.tools
        assert (await demo.call("echo", {"text": "back"})).ok
    finally:
        await demo.stop()
    await async_wait_until(lambda: not children_running(tmp_path / "server.py"))


async def test_a_call_that_never_ends_times_out_and_the_server_is_stopped(
    demo: McpConnection, tmp_path: Path
) -> None:
    await demo.start()
    started = time.monotonic()
    outcome = await demo.call("hang", {})
    assert time.monotonic() - started < 10
    assert not outcome.ok and "did not answer within 2 s" in outcome.text
    assert demo.state == "failed"
    await async_wait_until(
        lambda: not children_running(tmp_path / "server.py"), "the hung server was not killed"
    )


async def test_a_server_that_never_answers_at_start_fails_in_time(tmp_path: Path) -> None:
    hung = connection(tmp_path, HANGS_AT_START, start_timeout=1.5)
    started = time.monotonic()
    await hung.start()
    assert time.monotonic() - started < 10
    assert hung.state == "failed" and hung.problem == "it did not start within 1.5 s"
    await hung.stop()
    await async_wait_until(lambda: not children_running(tmp_path / "server.py"))


async def test_a_server_that_writes_garbage_fails_without_raising(tmp_path: Path) -> None:
    garbage = connection(tmp_path, GARBAGE, start_timeout=2)
    await garbage.start()
    assert garbage.state == "failed"
    outcome = await garbage.call("anything", {})
    assert not outcome.ok and "not running" in outcome.text
    await garbage.stop()


async def test_a_program_that_does_not_exist_is_a_clear_failure(tmp_path: Path) -> None:
    settings = McpServerSettings(command=str(tmp_path / "no-such-program"))
    missing = McpConnection("gone", settings, tmp_path, tmp_path, SECRETS.get)
    await missing.start()
    assert missing.state == "failed"
    assert missing.problem is not None and "no such program" in missing.problem


async def test_env_secrets_come_from_the_store_and_only_what_is_named_is_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-users-own-key-0000")
    server = connection(tmp_path, DEMO, env={"TOKEN": "Bearer $keyring:token"})
    await server.start()
    try:
        token = await server.call("env_value", {"key": "TOKEN"})
        leaked = await server.call("env_value", {"key": "OPENAI_API_KEY"})
    finally:
        await server.stop()
    assert token.text == "Bearer tok-1234567890abcdef"
    assert leaked.text == "(unset)"


async def test_a_missing_secret_stops_the_start_with_the_fix(tmp_path: Path) -> None:
    server = connection(tmp_path, DEMO, env={"TOKEN": "$keyring:absent"})
    await server.start()
    assert server.state == "failed"
    assert server.problem is not None and "qwen-tui mcp secret absent" in server.problem


async def test_a_streamable_http_server_answers_with_the_headers_it_was_given(
    tmp_path: Path,
) -> None:
    with http_mcp_server() as served:
        settings = McpServerSettings(
            url=served.url, headers={"Authorization": "Bearer $keyring:token"}
        )
        web = McpConnection("web", settings, tmp_path, tmp_path, SECRETS.get)
        await web.start()
        try:
            assert web.state == "ready", web.problem
            assert {tool.exposed for tool in web.tools} == {"web__add", "web__remember"}
            added = await web.call("add", {"a": 2, "b": 3})
        finally:
            await web.stop()
    assert (added.ok, added.text) == (True, "5")
    assert served.headers and all(
        h.get("authorization") == "Bearer tok-1234567890abcdef" for h in served.headers
    )
    assert all(h.get("user-agent") == "qwen-tui" for h in served.headers)


async def test_an_http_server_that_is_not_there_fails_with_the_reason(tmp_path: Path) -> None:
    from tests.support.servers import closed_port

    settings = McpServerSettings(url=f"http://127.0.0.1:{closed_port()}/mcp")
    web = McpConnection("web", settings, tmp_path, tmp_path, SECRETS.get, start_timeout=10)
    await web.start()
    assert web.state == "failed"
    assert web.problem is not None and "refused" in web.problem


async def test_only_trusted_servers_start_and_closing_leaves_no_child(tmp_path: Path) -> None:
    script = write_script(tmp_path, "server.py", DEMO)
    trusted = McpServerSettings.model_validate(stdio_entry(script))
    other = McpServerSettings.model_validate(stdio_entry(script, args=[str(script), "--other"]))
    home = tmp_path / "home"
    remember_trust(home, "demo", trusted)
    servers = McpServers.from_settings(
        {"demo": trusted, "other": other}, home, tmp_path, SECRETS.get
    )
    assert [c.name for c in servers.untrusted] == ["other"]
    await servers.start_trusted()
    try:
        assert servers.get("demo") is not None and servers.get("demo").state == "ready"  # type: ignore[union-attr]
        assert servers.get("other").state == "untrusted"  # type: ignore[union-attr]
        tool = servers.find("demo__echo")
        assert tool is not None and servers.find("other__echo") is None
        assert (await servers.call(tool, {"text": "a"})).text == "echo: a"
        assert len(children_running(script)) == 1
    finally:
        await servers.aclose()
    await async_wait_until(lambda: not children_running(script), "a server outlived the close")


async def test_lines_that_are_not_json_rpc_are_dropped_and_the_server_works(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    demo = write_script(tmp_path, "demo.py", DEMO)
    relay = write_script(tmp_path, "relay.py", GARBLING_RELAY)
    settings = McpServerSettings(command=sys.executable, args=[str(relay), str(demo)])
    garbled = McpConnection("garbled", settings, tmp_path, tmp_path, SECRETS.get)
    await garbled.start()
    try:
        assert garbled.state == "ready", garbled.problem
        echoed = await garbled.call("echo", {"text": "through the noise"})
    finally:
        await garbled.stop()
    assert (echoed.ok, echoed.text) == (True, "echo: through the noise")
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "not json-rpc" not in captured.err


async def test_a_server_that_ignores_sigterm_is_killed_when_stopped_while_starting(
    tmp_path: Path,
) -> None:
    stubborn = connection(tmp_path, STUBBORN)
    starting = asyncio.create_task(stubborn.start())
    await async_wait_until(lambda: bool(children_running(tmp_path / "server.py")))
    assert stubborn.state == "starting"
    began = time.monotonic()
    await stubborn.stop()
    await starting
    assert time.monotonic() - began < 12
    await async_wait_until(
        lambda: not children_running(tmp_path / "server.py"), "the stubborn server survived"
    )
    assert stubborn.problem is None and not stubborn.tools  # stopped, not failed


async def test_a_secret_in_what_a_server_says_is_masked(tmp_path: Path) -> None:
    server = connection(tmp_path, DEMO, env={"TOKEN": "$keyring:token"})
    await server.start()
    try:
        assert server.state == "ready"
    finally:
        await server.stop()
    problem = server._reason(RuntimeError(f"refused token {SECRETS['mcp:token']}"))
    assert SECRETS["mcp:token"] not in problem and "[redacted]" in problem


async def test_a_server_that_died_while_idle_is_found_by_the_check(
    demo: McpConnection, tmp_path: Path
) -> None:
    await demo.start()
    await demo.check()
    assert demo.problem is None
    for pid in children_running(tmp_path / "server.py"):
        os.kill(pid, signal.SIGKILL)
    await async_wait_until(lambda: not children_running(tmp_path / "server.py"))
    await demo.check()
    await demo.stop()
    assert demo.state == "failed" and demo.problem is not None


async def test_an_http_server_that_never_answers_fails_in_time(tmp_path: Path) -> None:
    from tests.support.servers import blackhole_port

    with blackhole_port() as port:
        settings = McpServerSettings(url=f"http://127.0.0.1:{port}/mcp")
        silent = McpConnection("silent", settings, tmp_path, tmp_path, SECRETS.get, start_timeout=2)
        began = time.monotonic()
        await silent.start()
        await silent.stop()
    assert time.monotonic() - began < 10
    assert silent.state == "failed" and silent.problem == "it did not start within 2 s"
