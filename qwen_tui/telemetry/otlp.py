"""Events as OTLP/HTTP JSON log records, and the POST that exports a batch.

Encoding follows the OTLP specification's JSON mapping of
``opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest``: lowerCamelCase
field names, 64-bit integers (``timeUnixNano``, ``intValue``) as decimal strings,
``AnyValue`` as ``{"stringValue" | "intValue" | "doubleValue" | "boolValue" |
"arrayValue" | "kvlistValue": …}``. Only the logs signal is used: events are log
records, which is what OpenTelemetry recommends for discrete events.

The HTTP side is in :mod:`qwen_tui.telemetry.transport`, imported by the export thread.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qwen_tui.telemetry.events import SEVERITY_NUMBERS, Event

LOGS_PATH = "/v1/logs"
SCOPE_NAME = "qwen_tui.telemetry"
EVENT_PREFIX = "qwen_tui."
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
"""The statuses the OTLP/HTTP spec calls retryable; any other failure drops the batch."""

MAX_TRIES = 3
BACKOFF_SECONDS = (0.25, 0.5)
MAX_RETRY_AFTER = 2.0

LogRecord = dict[str, Any]


def any_value(value: object) -> dict[str, Any]:
    """An OTLP ``AnyValue`` for one of the allow-listed field types."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": key_values(value)}}
    if isinstance(value, Sequence):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    raise TypeError(f"not an exportable value: {type(value).__name__}")


def key_values(values: Mapping[str, object]) -> list[dict[str, Any]]:
    """OTLP ``KeyValue`` list."""
    return [{"key": key, "value": any_value(value)} for key, value in values.items()]


def event_name(event: Event) -> str:
    """The exported event name, e.g. ``qwen_tui.api_request``."""
    return EVENT_PREFIX + event.name


def log_record(event: Event, time_unix_nano: int | None = None) -> LogRecord:
    """One ``LogRecord``: the event name as body and ``event.name``, fields as attributes."""
    stamp = str(time.time_ns() if time_unix_nano is None else time_unix_nano)
    name = event_name(event)
    return {
        "timeUnixNano": stamp,
        "observedTimeUnixNano": stamp,
        "severityNumber": SEVERITY_NUMBERS[event.severity],
        "severityText": event.severity,
        "eventName": name,
        "body": {"stringValue": name},
        "attributes": key_values({"event.name": name, **event.attributes()}),
    }


def resource_attributes(version: str, install_id: str | None) -> dict[str, str]:
    """What identifies the sender: the app, its version, the anonymous install id."""
    values = {"service.name": "qwen-tui", "service.version": version}
    if install_id:
        values["service.instance.id"] = install_id
    return values


def export_request(
    records: Sequence[LogRecord], *, version: str, install_id: str | None
) -> dict[str, Any]:
    """An ``ExportLogsServiceRequest`` carrying ``records``."""
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": key_values(resource_attributes(version, install_id))},
                "scopeLogs": [
                    {
                        "scope": {"name": SCOPE_NAME, "version": version},
                        "logRecords": list(records),
                    }
                ],
            }
        ]
    }


def logs_url(endpoint: str) -> str:
    """``<base>/v1/logs`` for the collector base URL ``endpoint``."""
    base = endpoint.strip().rstrip("/")
    return base if base.endswith(LOGS_PATH) else base + LOGS_PATH


Send = Callable[[bytes], "tuple[int | None, float | None]"]
"""POSTs a body; returns the HTTP status (None: no answer) and any ``Retry-After``."""


def post_batch(
    send: Send,
    body: Mapping[str, Any],
    *,
    keep_trying: Callable[[], bool],
    wait: Callable[[float], object],
) -> bool:
    """POST one export request, with at most :data:`MAX_TRIES` tries; True when accepted.

    Only network trouble and the statuses the spec calls retryable are tried again.
    ``keep_trying`` is asked before every try (False once the user turned telemetry
    off, so a dropped batch is not retried); ``wait`` sleeps between tries and should
    wake early when the sender is stopped.
    """
    data = json.dumps(body, separators=(",", ":")).encode()
    for attempt in range(MAX_TRIES):
        if not keep_trying():
            return False
        status, retry_after = send(data)
        if status is not None:
            if 200 <= status < 300:
                return True
            if status not in RETRYABLE_STATUSES:
                return False
        if attempt + 1 < MAX_TRIES:
            delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
            wait(min(MAX_RETRY_AFTER, retry_after) if retry_after is not None else delay)
    return False
