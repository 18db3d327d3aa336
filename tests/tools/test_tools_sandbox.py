"""The shell sandbox with real bubblewrap and real subprocesses: what a command can
still do (write the workspace) and what it cannot (write elsewhere, read the app's
state or the keyring's sockets, open a network connection, outlive its stop)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qwen_tui.tools.sandbox import Sandbox, choose_sandbox, hidden_paths
from qwen_tui.tools.shell import ShellOutcome, run_command
from tests.conftest import skip_or_fail
from tests.support.processes import marked_processes, process_mark
from tests.support.sandbox import PYTHON, bubblewrap, outside_tmp
from tests.support.waiting import async_wait_until

SECRET = "sk-in-the-state-folder-1234"


@pytest.fixture
def outside() -> Iterator[Path]:
    with outside_tmp() as folder:
        yield folder


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder.resolve()


def on_the_host(path: str) -> bool:
    """Whether ``path`` exists outside the sandbox."""
    return Path(path).exists()


def two_sleepers(mark: str) -> str:
    """A command leaving a background child and one in a session of its own."""
    return (
        f"(exec -a {mark}-child sleep 300) & "
        f"setsid bash -c 'exec -a {mark}-escapee sleep 300' & "
        "echo started; wait"
    )


# ----- system tests: real bubblewrap ------------------------------------------------


@pytest.mark.system
async def test_the_workspace_is_writable_and_the_rest_is_not(
    workspace: Path, outside: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = bubblewrap(workspace, tmp_path / "qwen-home")
    monkeypatch.setenv("TMPDIR", str(outside))  # read-only inside: /tmp takes its place
    target = outside / "written.txt"
    private = f"/tmp/qwen-tui-private-{uuid.uuid4().hex}"
    outcome = await run_command(
        f"echo made > made.txt && mkdir -p sub && echo deep > sub/deep.txt; "
        f"echo escaped > {target}; echo $? ; echo scratch > {private} && cat {private}; "
        'echo kept > "$(mktemp)" && echo "$TMPDIR"',
        workspace,
        sandbox=sandbox,
    )
    assert (workspace / "made.txt").read_text() == "made\n"
    assert (workspace / "sub" / "deep.txt").read_text() == "deep\n"
    assert not target.exists(), outcome.output
    assert "Read-only file system" in outcome.output
    assert outcome.output.splitlines()[-2:] == ["scratch", "/tmp"], "/tmp is writable inside"
    assert not on_the_host(private), "/tmp inside is private, not the host's"


@pytest.mark.system
async def test_the_state_folder_cannot_be_read_wherever_it_is(
    workspace: Path, outside: Path
) -> None:
    for home in (outside / "qwen-home", workspace / ".qwen-home"):
        home.mkdir()
        (home / "credentials.json").write_text(SECRET)
        sandbox = bubblewrap(workspace, home)
        outcome = await run_command(
            f"ls -A {home}; cat {home}/credentials.json; echo x > {home}/new; echo ok > ok",
            workspace,
            sandbox=sandbox,
        )
        assert SECRET not in outcome.output
        assert "No such file" in outcome.output
        assert not (home / "new").exists()
        assert (workspace / "ok").read_text() == "ok\n", "the workspace stays writable"


@pytest.mark.system
async def test_other_processes_and_their_environment_are_out_of_sight(
    workspace: Path, tmp_path: Path
) -> None:
    """The app's own environment may hold a key (``OPENAI_API_KEY``); a command outside
    a PID namespace of its own could read it in ``/proc/<pid>/environ``."""
    sandbox = bubblewrap(workspace, tmp_path / "home")
    holder = await asyncio.create_subprocess_exec(
        "sleep", "300", env={"OPENAI_API_KEY": SECRET}, stdin=subprocess.DEVNULL
    )
    command = (
        "cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c sk-in-the; "
        "ls /proc | grep -c '^[0-9]'"
    )
    try:
        unsandboxed = await run_command(command, workspace)
        outcome = await run_command(command, workspace, sandbox=sandbox)
    finally:
        holder.kill()
        await holder.wait()
    assert unsandboxed.output.split()[0] != "0", "without a sandbox the key can be read"
    found, processes = outcome.output.split()
    assert found == "0"
    assert int(processes) < 10, "only the command's own processes are there"


@pytest.mark.system
async def test_the_keyring_sockets_cannot_be_reached(workspace: Path, outside: Path) -> None:
    runtime = outside / "run"
    runtime.mkdir()
    bus = outside / "session-bus"
    servers = []
    for path in (runtime / "bus", bus):
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.listen()
        server.setblocking(False)
        servers.append(server)
    environ = {
        "PATH": "/usr/bin:/bin",
        "XDG_RUNTIME_DIR": str(runtime),
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={bus},guid=0",
    }
    choice = choose_sandbox(workspace, home=outside / "home", environ=environ, platform="linux")
    if choice.sandbox is None:
        bubblewrap(workspace, outside / "home")  # skips, or fails in CI, with the reason
    assert choice.sandbox is not None
    connect = (
        "import socket, sys\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        socket.socket(socket.AF_UNIX).connect(path)\n"
        "        print('reached', path)\n"
        "    except OSError as error:\n"
        "        print('refused', path, error.strerror)\n"
    )
    script = workspace / "connect.py"
    script.write_text(connect)
    try:
        outcome = await run_command(
            f"{PYTHON} connect.py {runtime / 'bus'} {bus}",
            workspace,
            sandbox=choice.sandbox,
        )
        for server in servers:
            with pytest.raises(BlockingIOError):
                server.accept()
    finally:
        for server in servers:
            server.close()
    assert "reached" not in outcome.output
    assert [line.split()[0] for line in outcome.output.splitlines()] == ["refused"] * 2


@pytest.mark.system
async def test_the_real_session_bus_and_its_secret_service_are_out_of_reach(
    workspace: Path, tmp_path: Path
) -> None:
    """Under ``.ci/with-secret-service`` (as in CI): the bus that holds the keyring."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if not address or shutil.which("dbus-send") is None:
        skip_or_fail("no D-Bus session bus with dbus-send (run under .ci/with-secret-service)")
    sandbox = bubblewrap(workspace, tmp_path / "home")
    names = (
        f"DBUS_SESSION_BUS_ADDRESS='{address}' dbus-send --session --print-reply "
        "--dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames"
    )
    outside = await run_command(names, workspace)
    inside = await run_command(names, workspace, sandbox=sandbox)
    assert "org.freedesktop.secrets" in outside.output, "the test reaches the bus unsandboxed"
    assert inside.exit_code != 0 and "org.freedesktop" not in inside.output, inside.output


async def _connects(workspace: Path, sandbox: Sandbox) -> tuple[str, int]:
    """Run a command that opens a TCP connection to a loopback server of the test:
    its output and how many connections the server saw."""
    accepted = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome = await run_command(
            f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected", workspace, sandbox=sandbox
        )
        if "connected" in outcome.output:
            await async_wait_until(lambda: accepted > 0, "the server saw no connection")
    finally:
        server.close()
        await server.wait_closed()
    return outcome.output, accepted


@pytest.mark.system
async def test_the_network_is_off_unless_allowed(workspace: Path, tmp_path: Path) -> None:
    closed = bubblewrap(workspace, tmp_path / "home")
    output, accepted = await _connects(workspace, closed)
    assert "connected" not in output and accepted == 0, output
    opened = bubblewrap(workspace, tmp_path / "home", network=True)
    output, accepted = await _connects(workspace, opened)
    assert "connected" in output and accepted == 1, output


async def sleepers_running(
    workspace: Path, tmp_path: Path, *, limit: float
) -> tuple[asyncio.Task[ShellOutcome], str]:
    """:func:`two_sleepers` running in the sandbox: the call's task and the mark, once
    both sleepers are seen from the host."""
    sandbox = bubblewrap(workspace, tmp_path / "home")
    mark = process_mark()
    task = asyncio.create_task(
        run_command(two_sleepers(mark), workspace, timeout=limit, sandbox=sandbox)
    )
    await async_wait_until(lambda: len(marked_processes(mark)) == 2, "the sleepers never ran")
    return task, mark


@pytest.mark.system
async def test_a_timeout_kills_every_process_of_the_command(
    workspace: Path, tmp_path: Path
) -> None:
    task, mark = await sleepers_running(workspace, tmp_path, limit=8)
    outcome = await task
    assert outcome.timed_out
    await async_wait_until(lambda: not marked_processes(mark), "a process outlived the timeout")


@pytest.mark.system
async def test_stopping_the_turn_kills_every_process_of_the_command(
    workspace: Path, tmp_path: Path
) -> None:
    task, mark = await sleepers_running(workspace, tmp_path, limit=300)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await async_wait_until(lambda: not marked_processes(mark), "a process outlived the stop")


@pytest.mark.system
async def test_a_process_in_a_session_of_its_own_ends_with_the_command(
    workspace: Path, tmp_path: Path
) -> None:
    sandbox = bubblewrap(workspace, tmp_path / "home")
    mark = process_mark()
    outcome = await run_command(
        f"setsid bash -c 'exec -a {mark} sleep 300' & echo done", workspace, sandbox=sandbox
    )
    assert outcome.exit_code == 0 and outcome.output == "done\n"
    await async_wait_until(lambda: not marked_processes(mark), "the escapee outlived the call")


# ----- without bubblewrap: the choice and the command line --------------------------


def test_a_missing_bubblewrap_means_unsandboxed_and_says_why(tmp_path: Path) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    choice = choose_sandbox(
        tmp_path, home=tmp_path / "home", environ={"PATH": str(empty)}, platform="linux"
    )
    assert choice.sandbox is None and not choice.sandboxed
    assert choice.reason == "bubblewrap (bwrap) is not installed"


def test_a_bubblewrap_that_cannot_run_means_unsandboxed_and_says_why(tmp_path: Path) -> None:
    """As inside a container without user namespaces: bwrap is there but fails."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    choice = choose_sandbox(
        tmp_path, home=tmp_path / "home", environ={"PATH": str(folder)}, platform="linux"
    )
    assert choice.sandbox is None
    assert choice.reason == (
        "bubblewrap does not work here: bwrap: No permissions to create new namespace"
    )


def test_turned_off_or_on_another_system_means_unsandboxed(tmp_path: Path) -> None:
    off = choose_sandbox(tmp_path, home=tmp_path, enabled=False)
    assert off.sandbox is None and "turned off" in off.reason
    other = choose_sandbox(tmp_path, home=tmp_path, platform="win32")
    assert other.sandbox is None and "win32" in other.reason


def test_hidden_folders_are_mounted_around_the_workspace_in_order(tmp_path: Path) -> None:
    workspace = tmp_path / "project"
    inside = workspace / ".state"
    around = tmp_path
    socket_file = tmp_path / "bus"
    inside.mkdir(parents=True)
    socket_file.write_text("")
    sandbox = Sandbox(
        "bubblewrap",
        "/usr/bin/bwrap",
        workspace,
        (inside, around, socket_file, tmp_path / "absent"),
        False,
    )
    argv = sandbox.wrap(["bash", "-c", "true"], workspace)
    text = " ".join(argv)
    bind = text.index(f"--bind {workspace} {workspace}")
    assert text.index(f"--tmpfs {around} ") < bind < text.index(f"--tmpfs {inside}")
    assert f"--ro-bind /dev/null {socket_file}" in text
    assert "absent" not in text, "a path that does not exist is not mounted over"
    assert "--unshare-net" in argv and "--die-with-parent" in argv
    assert argv[-4:] == ["--", "bash", "-c", "true"]
    opened = Sandbox("bubblewrap", "/usr/bin/bwrap", workspace, (), True)
    assert "--unshare-net" not in opened.wrap(["true"], workspace)


def test_the_macos_profile_allows_writes_only_to_the_workspace(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    sandbox = Sandbox("sandbox-exec", "/usr/bin/sandbox-exec", tmp_path, (home,), False)
    argv = sandbox.wrap(["/bin/bash", "-c", "true"], tmp_path)
    profile = argv[argv.index("-p") + 1]
    assert "(deny file-write*)" in profile and "(deny network*)" in profile
    assert f"WORKSPACE={tmp_path}" in argv and f"HIDDEN_0={home}" in argv
    assert argv[-3:] == ["/bin/bash", "-c", "true"]


def test_the_paths_hidden_from_commands(tmp_path: Path) -> None:
    environ = {
        "HOME": str(tmp_path / "user"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "DBUS_SESSION_BUS_ADDRESS": f"unix:abstract=/tmp/dbus-x;unix:path={tmp_path}/bus",
        "GNOME_KEYRING_CONTROL": str(tmp_path / "run" / "keyring"),
    }
    hidden = hidden_paths(tmp_path / "qwen-home", environ)
    assert hidden[:4] == (
        tmp_path / "qwen-home",
        tmp_path / "run",
        tmp_path / "bus",
        tmp_path / "run" / "keyring",
    )
    assert tmp_path / "user" / ".local" / "share" / "keyrings" in hidden
