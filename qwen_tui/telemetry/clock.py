"""How long the process has been running, for start-up and run-length measures.

Python has no portable "process start time", and the interesting cost (interpreter
start, imports) happens before any of our code runs. On Linux the kernel knows the
start time (``/proc/self/stat``); elsewhere the fallback is the time since this module
was first imported, which undercounts but is never wrong in the other direction.
"""

from __future__ import annotations

import os
import time

_IMPORTED_AT = time.monotonic()


def _linux_age_seconds() -> float | None:
    try:
        with open("/proc/self/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
        with open("/proc/uptime", "rb") as handle:
            uptime = float(handle.read().split()[0])
        ticks = float(stat.rsplit(")", 1)[1].split()[19])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def process_age_seconds() -> float:
    """Seconds since the process started (or since telemetry was first imported)."""
    age = _linux_age_seconds()
    return age if age is not None else time.monotonic() - _IMPORTED_AT


def process_age_ms() -> float:
    """:func:`process_age_seconds` in milliseconds."""
    return process_age_seconds() * 1000.0
