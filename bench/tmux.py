"""Drive a program in a detached tmux session and read its screen.

Every session runs on a tmux server of the benchmark's own (``tmux -L``), kept alive by
one idle session for the whole run: the default server is shared with whoever else uses
tmux on the machine, and a server that exits when its last session is killed can refuse
the next ``new-session`` started a moment later.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

SOCKET = f"qwen-tui-bench-{os.getpid()}"
_KEEPALIVE = "keepalive"


def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a tmux command on the benchmark's own server."""
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check
    )


def start_server() -> None:
    """Start the private server with an idle session that keeps it up."""
    if tmux("has-session", "-t", _KEEPALIVE, check=False).returncode != 0:
        tmux("new-session", "-d", "-s", _KEEPALIVE, "-x", "80", "-y", "24", "sleep 100000")


def stop_server() -> None:
    """End the private server and every session left on it, and remove its socket."""
    tmux("kill-server", check=False)
    folder = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
    (folder / SOCKET).unlink(missing_ok=True)


class TmuxSession:
    """One program in tmux at a fixed size."""

    def __init__(self, command: list[str], env: dict[str, str], width: int = 120, height: int = 40):
        start_server()
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        line = f"env {exports} {shlex.join(command)}"
        tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), line)

    def screen(self) -> str:
        return tmux("capture-pane", "-p", "-t", self.name, check=False).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def wait_for(
        self, predicate: Callable[[str], bool], timeout: float = 120.0, poll: float = 0.01
    ) -> float:
        """Seconds until ``predicate(screen)`` holds (from this call)."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if predicate(self.screen()):
                return time.perf_counter() - started
            time.sleep(poll)
        raise TimeoutError(f"screen never matched; last screen:\n{self.screen()}")

    def pane_pid(self) -> int:
        out = tmux("list-panes", "-t", self.name, "-F", "#{pane_pid}").stdout
        return int(out.split()[0])

    def kill(self, wait: float = 10.0) -> None:
        """End the session and wait (up to ``wait`` seconds) until its program is gone:
        one still exiting would take the CPU from the next run's start."""
        try:
            pid = self.pane_pid()
        except (IndexError, ValueError):
            pid = None
        tmux("kill-session", "-t", self.name, check=False)
        deadline = time.perf_counter() + wait
        while pid is not None and Path(f"/proc/{pid}").exists():
            if time.perf_counter() > deadline:
                break
            time.sleep(0.01)
