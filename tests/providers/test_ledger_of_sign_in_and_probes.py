"""The sign-in and the probe for local servers record each request in the network ledger."""

from __future__ import annotations

from qwen_tui.net import ledger
from qwen_tui.providers import catalogue
from qwen_tui.providers.local import probe_local
from tests.providers.test_qwen_oauth_device_flow import FakeClock, make_flow
from tests.support.ledger_checks import assert_matches_server
from tests.support.servers.device_flow_server import device_flow_server
from tests.support.servers.openai_server import closed_port, openai_server


async def test_every_request_of_a_device_flow_is_a_sign_in_entry(
    fresh_ledger: ledger.Ledger,
) -> None:
    with device_flow_server(interval=3, auto_approve_after=3) as server:
        flow = make_flow(server, FakeClock())
        await flow.poll(await flow.start())
    entries = fresh_ledger.entries()
    assert [(e.method, e.path) for e in entries] == [(r.method, r.path) for r in server.requests]
    assert len(entries) == 4  # the device code, then three polls
    assert {(e.purpose, e.content, e.host) for e in entries} == {
        ("sign_in", "sign_in", "127.0.0.1")
    }
    assert all(e.done and e.status is not None and e.sent > 0 for e in entries)


async def test_the_local_probe_records_each_port_it_asks(fresh_ledger: ledger.Ledger) -> None:
    providers = [p for p in catalogue.load_catalogue() if p.local]
    with openai_server() as server:
        port = int(server.base_url.rsplit(":", 1)[1].split("/", 1)[0])
        ports = {p.id: closed_port() for p in providers} | {providers[0].id: port}
        found = await probe_local(providers, timeout=5, ports=ports)
    assert [p.id for p in found] == [providers[0].id]
    entries = [e.to_record() for e in fresh_ledger.entries()]
    assert {(e["purpose"], e["content"]) for e in entries} == {("local_probe", "none")}
    assert sorted(e["port"] for e in entries) == sorted(ports.values())
    assert_matches_server(entries, server)
    assert all(e["error"] == "ConnectError" for e in entries if e["port"] != port)
