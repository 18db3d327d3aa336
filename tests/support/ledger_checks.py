"""Holding a network ledger to what a loopback test server really received."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qwen_tui.net.ledger import Content, Purpose, record_exchange
from tests.support.servers.openai_server import OpenAIServer


def assert_matches_server(entries: Sequence[Mapping[str, Any]], server: OpenAIServer) -> None:
    """Each entry for ``server``'s port is one request it received, in the same order,
    with the same method, path, body size sent and body size answered."""
    port = int(server.base_url.rsplit(":", 1)[1].split("/", 1)[0])
    mine = [e for e in entries if e.get("port") == port]
    seen = [(e["method"], e["path"], e["sent"], e["received"]) for e in mine]
    received = [(r.method, r.path, len(r.body), r.answered) for r in server.requests]
    assert seen == received
    assert all(e["host"] == "127.0.0.1" and e["status"] is not None for e in mine)


def record_one(
    purpose: Purpose,
    content: Content,
    path: str,
    *,
    method: str = "POST",
    port: int = 8000,
    sent: int = 0,
    received: int = 0,
) -> None:
    """Record an answered exchange with a loopback server, as the standard-library
    usage-statistics export records its own."""
    record_exchange(
        purpose=purpose,
        content=content,
        method=method,
        url=("http", "127.0.0.1", port, path),
        sent=sent,
        received=received,
        status=200,
    )
