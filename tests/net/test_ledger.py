"""The network ledger's clients against a real loopback server: one entry per request,
its bytes counted as the server saw them, kept in a private file."""

from __future__ import annotations

import json
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from qwen_tui.net import ledger
from qwen_tui.net.clients import async_client, client
from qwen_tui.providers.http_policy import mcp_http_client
from tests.support.ledger_checks import assert_matches_server, record_one
from tests.support.servers.openai_server import closed_port, openai_server


async def test_each_request_is_one_entry_with_its_bytes(fresh_ledger: ledger.Ledger) -> None:
    with openai_server() as server:
        async with async_client(purpose="model_list", content="none") as http:
            await http.get(server.base_url + "/models")
            await http.post(server.base_url + "/chat/completions", json={"model": "m"})
            async with http.stream("GET", server.base_url + "/models") as answer:
                async for _ in answer.aiter_bytes():
                    pass
    entries = [e.to_record() for e in fresh_ledger.entries()]
    assert [e["purpose"] for e in entries] == ["model_list"] * 3
    assert all(e["content"] == "none" for e in entries)
    assert_matches_server(entries, server)
    assert all(e["received"] > 0 for e in entries)


def test_the_blocking_client_records_too(fresh_ledger: ledger.Ledger) -> None:
    with openai_server() as server, client(purpose="token_refresh", content="sign_in") as http:
        http.post(server.base_url + "/chat/completions", content=b'{"model":"m"}')
    (entry,) = fresh_ledger.entries()
    assert (entry.purpose, entry.content, entry.done) == ("token_refresh", "sign_in", True)
    assert_matches_server([entry.to_record()], server)


async def test_a_request_that_gets_no_answer_is_recorded_with_why(
    fresh_ledger: ledger.Ledger,
) -> None:
    port = closed_port()
    async with async_client(purpose="key_check", content="none") as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/v1/models")
    (entry,) = fresh_ledger.entries()
    assert entry.done and entry.status is None and entry.error == "ConnectError"
    assert (entry.host, entry.port, entry.sent, entry.received) == ("127.0.0.1", port, 0, 0)


async def test_a_block_says_what_its_requests_carry(fresh_ledger: ledger.Ledger) -> None:
    with openai_server() as server:
        async with async_client(purpose="chat", content="prompt") as http:
            await http.get(server.base_url + "/models")
            with ledger.content_kind("tool_output"):
                await http.get(server.base_url + "/models")
    assert [e.content for e in fresh_ledger.entries()] == ["prompt", "tool_output"]


async def test_the_session_file_is_private_and_gets_earlier_entries(
    fresh_ledger: ledger.Ledger, tmp_path: Path
) -> None:
    with openai_server() as server:
        async with async_client(purpose="local_probe", content="none") as http:
            await http.get(server.base_url + "/models")
            path = tmp_path / "ledgers" / "s1.jsonl"
            fresh_ledger.bind(path)
            await http.get(server.base_url + "/models?key=secret-in-query")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert ledger.read_ledger(path) == lines
    assert_matches_server(lines, server)
    assert "secret-in-query" not in path.read_text()
    assert set(lines[0]) == {"time", *ledger.RECORD_FIELDS}


async def test_a_later_session_starts_its_table_afresh(
    fresh_ledger: ledger.Ledger, tmp_path: Path
) -> None:
    fresh_ledger.bind(tmp_path / "a.jsonl")
    with openai_server() as server:
        async with async_client(purpose="chat", content="prompt") as http:
            await http.get(server.base_url + "/models")
            fresh_ledger.bind(tmp_path / "b.jsonl")
            assert fresh_ledger.entries() == []
            await http.get(server.base_url + "/models")
    assert len(ledger.read_ledger(tmp_path / "a.jsonl")) == 1
    assert len(ledger.read_ledger(tmp_path / "b.jsonl")) == 1


def test_listeners_hear_of_each_change_from_any_thread(fresh_ledger: ledger.Ledger) -> None:
    heard: list[str] = []
    stop = fresh_ledger.subscribe(lambda: heard.append(threading.current_thread().name))
    worker = threading.Thread(
        target=record_one,
        args=("usage_statistics", "usage_statistics", "/v1/logs"),
        kwargs={"port": 4318, "sent": 10, "received": 2},
        name="exporter",
    )
    worker.start()
    worker.join()
    stop()
    assert heard == ["exporter", "exporter"]  # opened, then finished
    (entry,) = fresh_ledger.entries()
    assert (entry.sent, entry.received, entry.status) == (10, 2, 200)


async def test_the_mcp_client_records_its_requests_as_mcp(fresh_ledger: ledger.Ledger) -> None:
    with openai_server() as server:
        async with mcp_http_client({"X-Probe": "1"}, read_timeout=7.0) as http:
            assert http.timeout.read == 7.0 and not http.follow_redirects
            await http.post(server.base_url + "/chat/completions", json={"model": "m"})
    entries = [e.to_record() for e in fresh_ledger.entries()]
    assert [(e["purpose"], e["content"]) for e in entries] == [("mcp", "tool_output")]
    assert_matches_server(entries, server)
    assert server.requests[0].headers["x-probe"] == "1"


class _Redirecting(BaseHTTPRequestHandler):
    """``/old`` answers 307 to ``/new`` (RFC 9110: the body is sent again), ``/new`` 200."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/old":
            self.send_response(307)
            self.send_header("Location", "/new")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"done")


async def test_a_redirect_is_two_entries_each_with_its_own_bytes(
    fresh_ledger: ledger.Ledger,
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        async with async_client(purpose="chat", content="prompt", follow_redirects=True) as http:
            url = f"http://127.0.0.1:{server.server_address[1]}/old"
            await http.post(url, content=b"twelve bytes")
    finally:
        server.shutdown()
        server.server_close()
    first, second = fresh_ledger.entries()
    assert (first.path, first.status, first.sent) == ("/old", 307, 12)
    assert (second.path, second.status, second.sent, second.received) == ("/new", 200, 12, 4)
