"""The recorder against a real OTLP/HTTP collector: gate, local log, batching, retries,
dropping on switch-off, flush timing and a collector that is down."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qwen_tui.config import load_settings, update_settings_file
from qwen_tui.telemetry import (
    CommandUsed,
    Event,
    NullTelemetry,
    ScreenOpened,
    Telemetry,
)
from qwen_tui.telemetry.transport import REQUEST_TIMEOUT
from tests.support.servers.openai_server import blackhole_port, closed_port
from tests.support.servers.otlp_collector import OTLPCollector, otlp_collector
from tests.support.telemetry_log import read_records
from tests.support.waiting import LOAD_SLACK, PATIENCE

INSTALL_ID = "0123456789abcdef0123456789abcdef"


class Factory:
    """An event factory that counts its calls."""

    def __init__(self, command: str = "help") -> None:
        self.calls = 0
        self.command = command

    def __call__(self) -> Event:
        self.calls += 1
        return CommandUsed(command=self.command)


@pytest.fixture
def collector() -> Iterator[OTLPCollector]:
    with otlp_collector() as running:
        yield running


def telemetry_for(
    home: Path,
    endpoint: str,
    *,
    enabled: bool | None = True,
    auth_method: str | None = "qwen-oauth",
) -> Telemetry:
    return Telemetry(
        home,
        enabled=enabled,
        auth_method=auth_method,
        otlp_endpoint=endpoint,
        install_id=INSTALL_ID,
        version="9.9.9",
    )


def commands_sent(collector: OTLPCollector) -> list[str]:
    return [
        attribute["value"]["stringValue"]
        for record in collector.log_records()
        for attribute in record["attributes"]
        if attribute["key"] == "command"
    ]


# ------------------------------------------------------------------------ the gate


@pytest.mark.parametrize(
    ("enabled", "auth_method"),
    [(None, "qwen-oauth"), (False, "qwen-oauth"), (True, "openai"), (True, None)],
)
def test_without_consent_under_qwen_oauth_nothing_exists(
    isolated_home: Path, collector: OTLPCollector, enabled: bool | None, auth_method: str | None
) -> None:
    telemetry = telemetry_for(
        isolated_home, collector.url, enabled=enabled, auth_method=auth_method
    )
    factory = Factory()
    for _ in range(5):
        telemetry.record(factory)
    telemetry.close()
    assert not telemetry.active
    assert factory.calls == 0
    assert collector.requests == []
    assert telemetry.recent() == []
    assert not telemetry.log_file.exists()
    assert not isolated_home.exists() or list(isolated_home.iterdir()) == []


def test_from_settings_reads_the_switch_the_method_and_the_endpoint(isolated_home: Path) -> None:
    assert not Telemetry.from_settings(load_settings()).active
    update_settings_file(
        isolated_home / "settings.json",
        {
            "security": {"auth": {"selectedType": "qwen-oauth"}},
            "privacy": {"usageStatisticsEnabled": True},
            "telemetry": {"otlpEndpoint": "http://127.0.0.1:9/", "installId": INSTALL_ID},
        },
    )
    telemetry = Telemetry.from_settings(load_settings())
    assert telemetry.active
    assert telemetry.otlp_endpoint == "http://127.0.0.1:9/"
    assert telemetry.home == isolated_home


def test_null_telemetry_never_builds() -> None:
    null = NullTelemetry()
    factory = Factory()
    null.record(factory)
    null.flush()
    null.close()
    assert (null.active, factory.calls, null.recent()) == (False, 0, [])


# -------------------------------------------------------------------- sending


def test_events_reach_the_collector_as_otlp_json(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    telemetry = telemetry_for(isolated_home, collector.url + "/")
    telemetry.record(lambda: ScreenOpened(screen="chat"))
    telemetry.record(Factory("model"))
    telemetry.close()
    assert collector.requests, "nothing was sent"
    for request in collector.requests:
        assert request.path == "/v1/logs"
        assert request.headers["content-type"] == "application/json"
        assert request.problems == []
        assert request.status == 200
    (resource_logs,) = collector.requests[0].json()["resourceLogs"]
    resource = {
        a["key"]: a["value"]["stringValue"] for a in resource_logs["resource"]["attributes"]
    }
    assert resource == {
        "service.name": "qwen-tui",
        "service.version": "9.9.9",
        "service.instance.id": INSTALL_ID,
    }
    assert collector.event_names() == ["qwen_tui.screen_opened", "qwen_tui.command_used"]
    assert commands_sent(collector) == ["model"]


def test_the_local_log_holds_exactly_what_is_sent_and_is_private(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    telemetry = telemetry_for(isolated_home, collector.url)
    for name in ("help", "stats", "copy"):
        telemetry.record(Factory(name))
    telemetry.close()
    logged = read_records(telemetry.log_file)
    assert logged == collector.log_records() == telemetry.recent()
    assert stat.S_IMODE(telemetry.log_file.stat().st_mode) == 0o600
    assert [json.loads(line) for line in telemetry.log_file.read_text().splitlines()] == logged


def test_without_an_endpoint_only_the_local_log_is_written(isolated_home: Path) -> None:
    telemetry = telemetry_for(isolated_home, "")
    started = time.monotonic()
    telemetry.record(Factory())
    telemetry.flush(timeout=PATIENCE)
    telemetry.close(timeout=PATIENCE)
    assert time.monotonic() - started < LOAD_SLACK  # nothing to wait for: not the bound
    assert len(read_records(telemetry.log_file)) == 1
    assert telemetry._worker is None  # no thread, no HTTP stack


def test_recent_returns_the_last_records_as_copies(isolated_home: Path) -> None:
    telemetry = telemetry_for(isolated_home, "")
    for name in ("help", "stats", "copy", "quit"):
        telemetry.record(Factory(name))
    recent = telemetry.recent(limit=2)
    assert [r["attributes"][1]["value"]["stringValue"] for r in recent] == ["copy", "quit"]
    recent[0]["attributes"].clear()
    assert telemetry.recent(limit=2)[0]["attributes"]
    assert telemetry.recent(limit=0) == []


def test_a_broken_factory_is_skipped_quietly(isolated_home: Path) -> None:
    telemetry = telemetry_for(isolated_home, "")

    def broken() -> Event:
        raise RuntimeError("boom")

    telemetry.record(broken)
    telemetry.record(lambda: "not an event")  # type: ignore[arg-type, return-value]
    assert telemetry.recent() == []


# ------------------------------------------------------------- retries and outages


def test_a_retryable_answer_is_retried_then_accepted(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    collector.options.status, collector.options.fail_times = 503, 2
    telemetry = telemetry_for(isolated_home, collector.url)
    telemetry.record(Factory())
    telemetry.flush(timeout=5)
    telemetry.close()
    assert [r.status for r in collector.requests] == [503, 503, 200]
    assert commands_sent(collector) == ["help"]


@pytest.mark.parametrize(("status", "tries"), [(503, 3), (429, 3), (500, 1), (400, 1)])
def test_tries_are_bounded(
    isolated_home: Path, collector: OTLPCollector, status: int, tries: int
) -> None:
    collector.options.status = status
    telemetry = telemetry_for(isolated_home, collector.url)
    started = time.monotonic()
    telemetry.record(Factory())
    telemetry.flush(timeout=PATIENCE)
    assert time.monotonic() - started < LOAD_SLACK  # given up after the tries, not the bound
    telemetry.close()
    assert [r.status for r in collector.requests] == [status] * tries


@pytest.mark.parametrize("down", ["refused", "hangs"])
def test_a_collector_that_is_down_never_slows_recording(isolated_home: Path, down: str) -> None:
    with blackhole_port() as hung:
        port = closed_port() if down == "refused" else hung
        telemetry = telemetry_for(isolated_home, f"http://127.0.0.1:{port}")
        started = time.monotonic()
        for name in ("help", "stats", "copy", "quit", "model"):
            telemetry.record(Factory(name))
        recorded = time.monotonic() - started
        telemetry.close(timeout=0.5)
        total = time.monotonic() - started
    # Recording never waits for the network: one request alone may take REQUEST_TIMEOUT.
    assert recorded < REQUEST_TIMEOUT, recorded
    # Closing keeps its bound; three tries at a collector that hangs take over 9 s.
    assert total < 0.5 + LOAD_SLACK, total
    assert len(read_records(telemetry.log_file)) == 5  # the local log is unaffected


def test_an_unusable_endpoint_is_harmless(isolated_home: Path) -> None:
    telemetry = telemetry_for(isolated_home, "not a url at all")
    telemetry.record(Factory())
    telemetry.flush(timeout=2)
    telemetry.close()
    assert len(read_records(telemetry.log_file)) == 1


# ------------------------------------------------------ switching off drops the queue


def _hold_first_batch(telemetry: Telemetry, collector: OTLPCollector) -> None:
    collector.options.hold = True
    telemetry.record(Factory("help"))
    assert collector.wait_for_requests(1)
    for name in ("stats", "copy", "quit"):
        telemetry.record(Factory(name))  # queued behind the held request


@pytest.mark.parametrize(
    "change", [{"enabled": False}, {"enabled": None}, {"auth_method": "openai"}]
)
def test_switching_off_drops_what_is_queued(
    isolated_home: Path, collector: OTLPCollector, change: dict[str, Any]
) -> None:
    telemetry = telemetry_for(isolated_home, collector.url)
    _hold_first_batch(telemetry, collector)
    telemetry.configure(**change)
    assert not telemetry.active
    factory = Factory("model")
    telemetry.record(factory)
    assert factory.calls == 0
    collector.release()
    # Switched on again, a new event is sent; the dropped ones would have come first.
    telemetry.configure(enabled=True, auth_method="qwen-oauth")
    telemetry.record(Factory("resume"))
    assert collector.wait_until(lambda: "resume" in commands_sent(collector))
    telemetry.close()
    assert commands_sent(collector) == ["help", "resume"]


def test_removing_the_endpoint_drops_the_queue_but_keeps_logging(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    telemetry = telemetry_for(isolated_home, collector.url)
    _hold_first_batch(telemetry, collector)
    telemetry.configure(otlp_endpoint="")
    telemetry.record(Factory("model"))
    collector.release()
    telemetry.configure(otlp_endpoint=collector.url)
    telemetry.record(Factory("resume"))
    assert collector.wait_until(lambda: "resume" in commands_sent(collector))
    telemetry.close()
    assert commands_sent(collector) == ["help", "resume"]
    logged = [r["attributes"][1]["value"]["stringValue"] for r in read_records(telemetry.log_file)]
    assert logged == ["help", "stats", "copy", "quit", "model", "resume"]


def test_switching_off_stops_the_retries_of_the_batch_in_flight(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    collector.options.status, collector.options.retry_after = 503, "2"
    telemetry = telemetry_for(isolated_home, collector.url)
    telemetry.record(Factory())
    assert collector.wait_until(lambda: bool(collector.requests and collector.requests[0].status))
    telemetry.configure(enabled=False)
    started = time.monotonic()
    telemetry.flush(timeout=PATIENCE)
    # A dropped batch is not waited for: not even for one Retry-After of the collector.
    assert time.monotonic() - started < 2.0
    telemetry.close()
    assert telemetry._worker is not None
    telemetry._worker.join(timeout=5)
    assert not telemetry._worker.is_alive()
    assert len(collector.requests) == 1


# -------------------------------------------------------------------------- flush


def test_flush_does_not_wait_when_nothing_is_queued(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    telemetry = telemetry_for(isolated_home, collector.url)
    started = time.monotonic()
    telemetry.flush(timeout=PATIENCE)
    assert time.monotonic() - started < LOAD_SLACK  # at once, not at the bound
    telemetry.record(Factory())
    telemetry.flush(timeout=PATIENCE)
    assert collector.accepted()
    started = time.monotonic()
    telemetry.flush(timeout=PATIENCE)
    telemetry.close(timeout=PATIENCE)
    assert time.monotonic() - started < LOAD_SLACK


@pytest.mark.parametrize("timeout", [0.3, 2.0])
def test_flush_waits_at_most_its_timeout(
    isolated_home: Path, collector: OTLPCollector, timeout: float
) -> None:
    telemetry = telemetry_for(isolated_home, collector.url)
    _hold_first_batch(telemetry, collector)
    started = time.monotonic()
    telemetry.close(timeout=timeout)
    waited = time.monotonic() - started
    collector.release()
    assert timeout - 0.05 <= waited < timeout + LOAD_SLACK, waited  # the batch is held for ever


def test_flush_returns_as_soon_as_the_queue_is_sent(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    collector.options.delay = 0.2
    telemetry = telemetry_for(isolated_home, collector.url)
    telemetry.record(Factory())
    started = time.monotonic()
    telemetry.flush(timeout=PATIENCE)
    waited = time.monotonic() - started
    telemetry.close()
    assert collector.accepted()
    assert waited < 0.2 + LOAD_SLACK, waited  # at the answer, not at the bound


def test_the_export_thread_never_imports_httpx(tmp_path: Path) -> None:
    """The openai SDK reads ``sys.modules["httpx"]`` on every response; a thread
    importing httpx meanwhile broke answers with "partially initialized module"."""
    code = f"""
import sys, json
from pathlib import Path
from qwen_tui.telemetry import Telemetry, CommandUsed
from tests.support.servers.otlp_collector import otlp_collector
with otlp_collector() as collector:
    telemetry = Telemetry(Path({str(tmp_path)!r}), enabled=True, auth_method="qwen-oauth",
                          otlp_endpoint=collector.url)
    telemetry.record(lambda: CommandUsed(command="help"))
    telemetry.close()
    print(json.dumps([len(collector.accepted()), "httpx" in sys.modules]))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert json.loads(result.stdout) == [1, False]


# ------------------------------------------------------------- proxies and CAs


@pytest.mark.parametrize("spelling", [str.upper, str.lower])
def test_a_proxy_from_the_environment_is_used_and_no_proxy_honoured(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, spelling: Callable[[str], str]
) -> None:
    from tests.support.servers.openai_server import openai_server

    with openai_server() as proxy:
        monkeypatch.setenv(spelling("HTTP_PROXY"), proxy.url)
        monkeypatch.setenv(spelling("NO_PROXY"), "direct.invalid")
        via_proxy = telemetry_for(isolated_home, "http://collector.invalid:4318")
        via_proxy.record(Factory())
        via_proxy.close(timeout=5)
        direct = telemetry_for(isolated_home, "http://direct.invalid:4318")
        direct.record(Factory())
        direct.close(timeout=5)
    targets = [request.target for request in proxy.requests]
    assert targets == ["http://collector.invalid:4318/v1/logs"]  # one try: a 4xx is final


def test_a_loopback_collector_is_reached_directly_despite_a_proxy(
    isolated_home: Path, collector: OTLPCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{closed_port()}")
    telemetry = telemetry_for(isolated_home, collector.url)
    telemetry.record(Factory())
    telemetry.close()
    assert commands_sent(collector) == ["help"]


def test_a_private_ca_from_ssl_cert_file_is_trusted(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.servers.openai_server import openai_server

    with openai_server(tls=True) as server:
        untrusted = telemetry_for(isolated_home, server.url)
        untrusted.record(Factory())
        untrusted.close(timeout=5)
        assert server.requests == []  # the handshake failed: certificate not trusted
        assert server.ca_file is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        trusted = telemetry_for(isolated_home, server.url)
        trusted.record(Factory())
        trusted.close(timeout=5)
        assert [request.path for request in server.requests] == ["/v1/logs"]


def test_a_retry_after_date_is_read_as_the_chat_reads_it(collector: OTLPCollector) -> None:
    from email.utils import formatdate

    from qwen_tui.telemetry.transport import Sender

    collector.options.status = 503
    collector.options.retry_after = formatdate(time.time() + 60, usegmt=True)
    status, retry_after = Sender(collector.url + "/v1/logs")(b'{"resourceLogs": []}')
    assert status == 503
    assert retry_after is not None and 50 < retry_after <= 60
