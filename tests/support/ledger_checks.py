"""Holding a network ledger to what a loopback test server really received."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
