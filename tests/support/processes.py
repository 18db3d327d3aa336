"""Processes seen from the host, found by name: a command's pids inside a sandbox are
those of its own PID namespace, so the test names the process instead."""

from __future__ import annotations

import uuid
from pathlib import Path


def process_mark() -> str:
    """A name no other process has, for ``exec -a MARK program``."""
    return f"qwen-mark-{uuid.uuid4().hex}"


def marked_processes(mark: str) -> list[int]:
    """Host pids of live processes whose name (``argv[0]``) starts with ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if cmdline.split(b"\0")[0].startswith(mark.encode()) and state != "Z":
            found.append(int(entry.name))
    return found
