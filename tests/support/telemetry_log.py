"""Read the local telemetry log as the user would: one JSON record a line."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records in the log, oldest first (damaged lines skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        with contextlib.suppress(ValueError):
            value = json.loads(line)
            if isinstance(value, dict):
                records.append(value)
    return records
