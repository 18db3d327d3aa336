"""Usage statistics: a closed list of events, a consent gate, a local log, OTLP export.

Nothing here imports textual or httpx at import time (the export thread imports httpx
when the first event is queued). See ``docs/privacy.md`` "Telemetry events" for every
event and field.
"""

from qwen_tui.telemetry.clock import process_age_ms, process_age_seconds
from qwen_tui.telemetry.events import (
    EVENT_TYPES,
    ApiRequest,
    AppStart,
    AppStop,
    AuthMethodChosen,
    CommandUsed,
    Crash,
    ErrorReport,
    Event,
    ScreenOpened,
    StackFrame,
    ToolUsed,
)
from qwen_tui.telemetry.gate import collection_allowed, new_install_id
from qwen_tui.telemetry.recorder import NullTelemetry, Telemetry, TelemetryRecorder

__all__ = [
    "EVENT_TYPES",
    "ApiRequest",
    "AppStart",
    "AppStop",
    "AuthMethodChosen",
    "CommandUsed",
    "Crash",
    "ErrorReport",
    "Event",
    "NullTelemetry",
    "ScreenOpened",
    "StackFrame",
    "Telemetry",
    "TelemetryRecorder",
    "ToolUsed",
    "collection_allowed",
    "crash_report",
    "new_install_id",
    "process_age_ms",
    "process_age_seconds",
]


def crash_report(error: BaseException) -> Crash:
    """The :class:`Crash` event for ``error`` (see :mod:`qwen_tui.telemetry.crash`)."""
    from qwen_tui.telemetry.crash import crash_report as build

    return build(error)
