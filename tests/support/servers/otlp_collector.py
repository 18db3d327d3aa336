"""A real OTLP/HTTP logs collector on 127.0.0.1 for tests (standard library only).

Written from the OpenTelemetry Protocol specification, OTLP/HTTP section: the client
POSTs an ``ExportLogsServiceRequest`` to ``/v1/logs``; with JSON encoding the body is
``Content-Type: application/json`` using the proto3 JSON mapping (lowerCamelCase
names, 64-bit integers as decimal strings). A success is HTTP 200 with an
``ExportLogsServiceResponse`` (``{}`` or ``{"partialSuccess": …}``); 429, 502, 503 and
504 are retryable, other errors are not. Each accepted body is checked against that
shape, so a client that sends something else fails the test that uses it.

Usage::

    with otlp_collector() as collector:
        ...  # telemetry.otlpEndpoint = collector.url
        collector.wait_for_requests(1)
        records = collector.log_records()

Misbehaviour (change ``collector.options`` at any time): ``status`` answers every
request with that HTTP status (``fail_times`` limits it to the first N requests);
``hold`` makes each request wait until :meth:`OTLPCollector.release` (a collector
that hangs); ``delay`` sleeps before answering.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.waiting import PATIENCE

__all__ = ["CollectorOptions", "ExportRequest", "OTLPCollector", "otlp_collector"]

LOGS_PATH = "/v1/logs"
ANY_VALUE_KINDS = {
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "arrayValue",
    "kvlistValue",
    "bytesValue",
}


@dataclass
class CollectorOptions:
    """What the collector does; each request reads these anew.

    Attributes:
        status: HTTP status to answer with (200: accept).
        fail_times: answer ``status`` this many times, then 200 (None: always).
        retry_after: a ``Retry-After`` header value for error answers.
        hold: wait for :meth:`OTLPCollector.release` before answering.
        delay: seconds to sleep before answering.
    """

    status: int = 200
    fail_times: int | None = None
    retry_after: str | None = None
    hold: bool = False
    delay: float = 0.0


@dataclass
class ExportRequest:
    """One POST as received.

    Attributes:
        path: the request path.
        headers: header names in lower case.
        body: the raw body.
        status: what the collector answered.
    """

    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    problems: list[str] = field(default_factory=list)

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def _check_any_value(value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ANY_VALUE_KINDS:
        problems.append(f"{where}: not an AnyValue: {value!r}")
        return
    kind, inner = next(iter(value.items()))
    if kind == "intValue" and not (isinstance(inner, str) and inner.lstrip("-").isdigit()):
        problems.append(f"{where}: intValue must be a decimal string, got {inner!r}")
    elif kind == "doubleValue" and not isinstance(inner, int | float):
        problems.append(f"{where}: doubleValue must be a number")
    elif kind == "boolValue" and not isinstance(inner, bool):
        problems.append(f"{where}: boolValue must be a bool")
    elif kind == "stringValue" and not isinstance(inner, str):
        problems.append(f"{where}: stringValue must be a string")
    elif kind == "arrayValue":
        for index, item in enumerate(inner.get("values", [])):
            _check_any_value(item, f"{where}[{index}]", problems)
    elif kind == "kvlistValue":
        _check_key_values(inner.get("values", []), where, problems)


def _check_key_values(values: Any, where: str, problems: list[str]) -> None:
    if not isinstance(values, list):
        problems.append(f"{where}: attributes must be a list")
        return
    for item in values:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            problems.append(f"{where}: not a KeyValue: {item!r}")
            continue
        _check_any_value(item.get("value"), f"{where}.{item['key']}", problems)


def check_export_request(document: Any) -> list[str]:
    """Problems with an ``ExportLogsServiceRequest`` in JSON form (empty: valid)."""
    problems: list[str] = []
    if not isinstance(document, dict) or not isinstance(document.get("resourceLogs"), list):
        return ["body has no resourceLogs list"]
    for resource_logs in document["resourceLogs"]:
        resource = resource_logs.get("resource", {})
        _check_key_values(resource.get("attributes", []), "resource", problems)
        for scope_logs in resource_logs.get("scopeLogs", []):
            for record in scope_logs.get("logRecords", []):
                stamp = record.get("timeUnixNano")
                if not (isinstance(stamp, str) and stamp.isdigit()):
                    problems.append(f"timeUnixNano must be a decimal string, got {stamp!r}")
                if "body" in record:
                    _check_any_value(record["body"], "body", problems)
                _check_key_values(record.get("attributes", []), "attributes", problems)
    return problems


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: OTLPCollector) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # clients hang up on purpose in these tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = ExportRequest(
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        owner.arrived(request)
        options = owner.options
        if options.hold:
            owner.wait_released()
        if options.delay:
            owner.sleep(options.delay)
        status = 200
        if options.status != 200 and (options.fail_times is None or options.fail_times > 0):
            status = options.status
            if options.fail_times is not None:
                options.fail_times -= 1
        if self.path != LOGS_PATH:
            status = 404
        elif not request.headers.get("content-type", "").startswith("application/json"):
            status = 415
        elif status == 200:
            try:
                request.problems = check_export_request(json.loads(body))
            except ValueError:
                request.problems = ["body is not JSON"]
            if request.problems:
                status = 400
        self._answer(request, status, options)

    def _answer(self, request: ExportRequest, status: int, options: CollectorOptions) -> None:
        payload = b"{}" if status == 200 else json.dumps({"code": 14, "message": "no"}).encode()
        self.server.owner.answered(request, status)  # before the client can see it
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if status != 200 and options.retry_after is not None:
                self.send_header("Retry-After", options.retry_after)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()


class OTLPCollector:
    """A running collector.

    Attributes:
        options: what it does (mutable).
        requests: every POST received (answered or not), in order.
        url: the base URL to configure as ``telemetry.otlpEndpoint``.
    """

    def __init__(self, options: CollectorOptions) -> None:
        self.options = options
        self.requests: list[ExportRequest] = []
        self._changed = threading.Condition()
        self._released = threading.Event()
        self._stopping = threading.Event()
        self._server = _Server(self)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"otlp-collector-{self.port}",
            daemon=True,
        )

    # -- handler side ---------------------------------------------------------------

    def arrived(self, request: ExportRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def answered(self, request: ExportRequest, status: int) -> None:
        with self._changed:
            request.status = status
            self._changed.notify_all()

    def wait_released(self) -> None:
        while not self._released.wait(0.05):
            if self._stopping.is_set():
                return

    def sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # -- test side ------------------------------------------------------------------

    def release(self) -> None:
        """Let held requests (``options.hold``) be answered, and later ones at once."""
        self._released.set()

    def wait_until(self, condition: Callable[[], bool], timeout: float = PATIENCE) -> bool:
        """Wait until ``condition()`` holds (checked whenever a request arrives or is
        answered); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def wait_for_requests(self, count: int, timeout: float = PATIENCE) -> bool:
        """Wait until ``count`` requests have arrived."""
        return self.wait_until(lambda: len(self.requests) >= count, timeout)

    def accepted(self) -> list[ExportRequest]:
        """Requests answered with 200."""
        return [request for request in self.requests if request.status == 200]

    def log_records(self) -> list[dict[str, Any]]:
        """Every log record of every accepted request, in order."""
        records: list[dict[str, Any]] = []
        for request in self.accepted():
            for resource_logs in request.json()["resourceLogs"]:
                for scope_logs in resource_logs["scopeLogs"]:
                    records.extend(scope_logs["logRecords"])
        return records

    def event_names(self) -> list[str]:
        """``event.name`` of every accepted record."""
        return [record["body"]["stringValue"] for record in self.log_records()]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def otlp_collector(**options: Any) -> Iterator[OTLPCollector]:
    """Run an :class:`OTLPCollector` for the duration of a ``with`` block."""
    collector = OTLPCollector(CollectorOptions(**options))
    collector.start()
    try:
        yield collector
    finally:
        collector.stop()
