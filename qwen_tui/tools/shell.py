"""``run_shell_command``: a command in the workspace, bounded in time and output.

The command runs under ``bash -c`` (``/bin/sh`` where there is no bash) in a new
session, so it and everything it starts share one process group that can be killed
whole: on timeout, when the user stops the turn (the task is cancelled), and, for
stragglers left behind (``sleep 100 &``), when the command itself ends. Background jobs
do not outlive the call, so the pipe closes and nothing runs on unseen; a process
that moves itself into a session of its own escapes that unless the command runs in a
sandbox (:mod:`.sandbox`), whose PID namespace dies with the shell. Standard input is
empty (no one can answer a prompt), the environment has no secrets (see
:mod:`.environment`), and output beyond :data:`MAX_OUTPUT_CHARS` keeps its start and
its end, where errors usually are.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qwen_tui.tools.environment import tool_environment
from qwen_tui.tools.errors import ToolError
from qwen_tui.tools.sandbox import Sandbox

DEFAULT_TIMEOUT = 120.0
MAX_TIMEOUT = 600.0
MAX_OUTPUT_CHARS = 30_000
HEAD_CHARS = 10_000
EXIT_POLL = 0.02
KILL_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL for a command being stopped."""


@dataclass(frozen=True)
class ShellOutcome:
    """How a command ended.

    Attributes:
        exit_code: the shell's exit status (negative: killed by that signal).
        output: standard output and error, interleaved, cut as the module says (with a
            marker where the middle was left out).
        timed_out: stopped because it ran past its timeout.
        omitted: characters left out of the middle of ``output``.
    """

    exit_code: int | None
    output: str
    timed_out: bool
    omitted: int

    def for_model(
        self, command: str, directory: str, timeout: float, sandbox: str | None = None
    ) -> str:
        """The result as the model reads it; ``sandbox`` says what the command could not
        do (so a failing ``pip install`` is understood), ``None``: unsandboxed."""
        if self.timed_out:
            status = f"Stopped after {timeout:g} s (timeout); it and its children were killed."
        else:
            status = f"Exit code: {self.exit_code}"
        output = self.output if self.output.strip() else "(no output)"
        where = f"Command: {command}\nDirectory: {directory}\n"
        if sandbox is not None:
            where += f"Sandbox: {sandbox}\n"
        return f"{where}{status}\nOutput:\n{output}"


class _Output:
    """Keeps the first :data:`HEAD_CHARS` and the last of the rest, within the cap."""

    def __init__(self) -> None:
        self.head = ""
        self.tail = ""
        self.omitted = 0
        self._decoder = _utf8_decoder()

    def feed(self, data: bytes, *, final: bool = False) -> None:
        text = self._decoder.decode(data, final=final)
        if len(self.head) < HEAD_CHARS:
            room = HEAD_CHARS - len(self.head)
            self.head += text[:room]
            text = text[room:]
        self.tail += text
        keep = MAX_OUTPUT_CHARS - HEAD_CHARS
        if len(self.tail) > keep:
            self.omitted += len(self.tail) - keep
            self.tail = self.tail[-keep:]

    def text(self) -> str:
        if not self.omitted:
            return self.head + self.tail
        return f"{self.head}\n[… {self.omitted} characters omitted …]\n{self.tail}"


def _utf8_decoder() -> Any:
    import codecs

    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def shell_program() -> list[str]:
    """The shell that runs commands: bash, else the system's ``sh``."""
    bash = shutil.which("bash")
    return [bash, "-c"] if bash else ["/bin/sh", "-c"]


async def run_command(
    command: str,
    directory: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the command's bound, not ours
    secrets: Iterable[str] = (),
    sandbox: Sandbox | None = None,
) -> ShellOutcome:
    """Run ``command`` in ``directory``; see the module docstring for the bounds.

    ``sandbox``: where the command runs; ``None``: unsandboxed, with the user's rights.
    """
    if not command.strip():
        raise ToolError("command is empty.")
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ToolError(f"timeout must be above 0 and at most {MAX_TIMEOUT:g} seconds.")
    argv = [*shell_program(), command]
    if sandbox is not None:
        argv = sandbox.wrap(argv, directory)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=directory,
            env=tool_environment(secrets),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as error:
        raise ToolError(f"The command could not be started: {error.strerror or error}.") from None
    output = _Output()
    assert process.stdout is not None
    reader = asyncio.create_task(_read_all(process.stdout, output))
    timed_out = False
    try:
        if not await _exited(process, timeout):
            timed_out = True
            await _stop_group(process)
        _kill_group(process.pid, signal.SIGKILL)  # stragglers hold the pipe open
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reader), KILL_GRACE)
    except BaseException:
        await asyncio.shield(_stop_group(process))
        reader.cancel()
        raise
    finally:
        if not reader.done():
            reader.cancel()
    return ShellOutcome(process.returncode, output.text(), timed_out, output.omitted)


async def _read_all(stream: asyncio.StreamReader, output: _Output) -> None:
    while chunk := await stream.read(65536):
        output.feed(chunk)
    output.feed(b"", final=True)


async def _exited(process: asyncio.subprocess.Process, seconds: float) -> bool:
    """Whether the shell itself ended within ``seconds``.

    Polled rather than awaited: on Python 3.11 ``Process.wait()`` also waits for the
    output pipe to close, which a background child that inherited it delays for as
    long as it runs; the exit status itself is known as soon as the shell ends.
    """
    deadline = asyncio.get_running_loop().time() + seconds
    while process.returncode is None:
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(EXIT_POLL)
    return True


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def _stop_group(process: asyncio.subprocess.Process) -> None:
    """SIGTERM to the whole group, SIGKILL after :data:`KILL_GRACE` if still there."""
    _kill_group(process.pid, signal.SIGTERM)
    await _exited(process, KILL_GRACE)
    _kill_group(process.pid, signal.SIGKILL)
    await _exited(process, KILL_GRACE)
