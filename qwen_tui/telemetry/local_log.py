"""The local telemetry log: every event recorded, as one JSON line, for the user to read.

It holds exactly the OTLP log records that are (or would be) sent, so "what is
collected" can be checked with a text editor. The file is 0600 in ``QWEN_TUI_HOME`` and
written only while telemetry is active. It is kept small: past :data:`MAX_BYTES` the
file moves to ``telemetry.jsonl.1`` (replacing an older one) and a new file begins.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from qwen_tui.config.paths import ensure_private_dir

FILE_NAME = "telemetry.jsonl"
MAX_BYTES = 1_000_000


def log_path(home: Path) -> Path:
    """The local telemetry log inside ``home``."""
    return home / FILE_NAME


def append_record(path: Path, record: dict[str, Any]) -> bool:
    """Append one record as a JSON line; False (and nothing raised) when it cannot be
    written, because a full disk must not break the app over statistics."""
    line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    try:
        ensure_private_dir(path.parent)
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size + len(line) > MAX_BYTES:
                os.replace(path, path.with_name(path.name + ".1"))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)  # an older file, or a looser umask, is tightened
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        return False
    return True
