"""The usage-statistics export, on the standard library, records each POST in the ledger."""

from __future__ import annotations

from pathlib import Path

from qwen_tui.net import ledger
from qwen_tui.telemetry import ScreenOpened
from tests.support.servers.openai_server import closed_port
from tests.support.servers.otlp_collector import otlp_collector
from tests.telemetry.test_telemetry_pipeline import telemetry_for


def test_each_export_is_an_entry_with_its_bytes(
    isolated_home: Path, fresh_ledger: ledger.Ledger
) -> None:
    with otlp_collector() as collector:
        telemetry = telemetry_for(isolated_home, collector.url + "/")
        telemetry.record(lambda: ScreenOpened(screen="chat"))
        telemetry.close()
    entries = fresh_ledger.entries()
    assert collector.requests
    assert [(e.method, e.path, e.sent, e.status) for e in entries] == [
        ("POST", r.path, len(r.body), r.status) for r in collector.requests
    ]
    assert {(e.purpose, e.content) for e in entries} == {("usage_statistics", "usage_statistics")}


def test_an_export_that_gets_no_answer_is_recorded_with_why(
    isolated_home: Path, fresh_ledger: ledger.Ledger
) -> None:
    port = closed_port()
    telemetry = telemetry_for(isolated_home, f"http://127.0.0.1:{port}/")
    telemetry.record(lambda: ScreenOpened(screen="chat"))
    telemetry.close()
    entries = fresh_ledger.entries()
    assert entries
    assert all(e.port == port and e.status is None and e.error for e in entries)
