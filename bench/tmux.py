"""Drive a program in a detached tmux session and read its screen."""

from __future__ import annotations

import shlex
import subprocess
import time
import uuid
from collections.abc import Callable


class TmuxSession:
    """One program in tmux at a fixed size."""

    def __init__(self, command: list[str], env: dict[str, str], width: int = 120, height: int = 40):
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        line = f"env {exports} {shlex.join(command)}"
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(width),
                "-y",
                str(height),
                line,
            ],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        ).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        args = ["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys]
        subprocess.run(args, check=True)

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
        out = subprocess.run(
            ["tmux", "list-panes", "-t", self.name, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(out.split()[0])

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
