"""Detection of local servers on loopback, bounded in time, against real sockets."""

from __future__ import annotations

import dataclasses
import time

import pytest

from qwen_tui.providers import ProviderRegistry, is_loopback_host, load_catalogue

# Imported up front (it pulls in httpx): the timing tests measure the probes only.
from qwen_tui.providers.local import local_targets, probe_local
from tests.support.servers import blackhole_port, closed_port, openai_server
from tests.support.waiting import LOAD_SLACK

LOCAL_IDS = ["ollama", "lmstudio", "llamacpp", "vllm"]


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "app.localhost"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback_host(host)


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "0.0.0.0", "example.com", "localhost.example.com", "::2", ""]
)
def test_non_loopback_hosts(host: str) -> None:
    assert not is_loopback_host(host)


def test_targets_are_the_local_presets_on_their_default_ports() -> None:
    targets = local_targets(load_catalogue())
    assert [(p.id, p.base_url) for p in targets] == [
        ("ollama", "http://127.0.0.1:11434/v1"),
        ("lmstudio", "http://127.0.0.1:1234/v1"),
        ("llamacpp", "http://127.0.0.1:8080/v1"),
        ("vllm", "http://127.0.0.1:8000/v1"),
    ]


def test_a_local_flag_never_makes_the_probe_leave_the_machine() -> None:
    remote = dataclasses.replace(
        load_catalogue()[1], id="oops", local=True, base_url="https://api.openai.com/v1"
    )
    assert local_targets([remote]) == []


async def test_detects_running_servers_within_the_time_bound() -> None:
    with (
        openai_server(api_key=None, models=["llama3.2"]) as ollama,
        openai_server(api_key="needs-a-key") as vllm,
        blackhole_port() as hung,
    ):
        ports = {
            "ollama": ollama.port,
            "lmstudio": closed_port(),
            "llamacpp": hung,
            "vllm": vllm.port,
        }
        started = time.perf_counter()
        found = await ProviderRegistry().detect_local(timeout=1.0, ports=ports)
        elapsed = time.perf_counter() - started

    assert elapsed < 1.0 + LOAD_SLACK  # the black hole is cut at the 1 s bound
    assert [p.id for p in found] == ["ollama", "vllm"]
    assert found[0].base_url == ollama.base_url
    assert found[1].base_url == vllm.base_url
    assert ollama.requests[0].path == "/v1/models"
    assert ollama.requests[0].authorization is None


async def test_black_holes_and_slow_servers_cannot_hold_it_up() -> None:
    with openai_server(api_key=None, mode="slow", delay=60.0) as slow, blackhole_port() as hung:
        ports = {"ollama": slow.port, "lmstudio": hung, "llamacpp": hung, "vllm": hung}
        started = time.perf_counter()
        found = await ProviderRegistry().detect_local(timeout=0.1, ports=ports)
        elapsed = time.perf_counter() - started
    assert found == []
    assert elapsed < 0.1 + LOAD_SLACK  # far below the slow server's 60 s


async def test_a_server_that_trickles_bytes_is_cut_off_at_the_bound() -> None:
    # Each byte arrives well within the per-read timeout; only the total bound stops it.
    with openai_server(api_key=None, mode="trickle", trickle_interval=0.2) as trickling:
        ports = dict.fromkeys(LOCAL_IDS, closed_port())
        ports["ollama"] = trickling.port
        started = time.perf_counter()
        found = await ProviderRegistry().detect_local(timeout=0.25, ports=ports)
        elapsed = time.perf_counter() - started
    assert found == []
    assert 0.2 < elapsed < 0.25 + LOAD_SLACK  # the whole answer would take over 10 s


async def test_nothing_running_returns_quickly() -> None:
    ports = {provider_id: closed_port() for provider_id in LOCAL_IDS}
    started = time.perf_counter()
    # Refused connections end the probe at once, long before its bound.
    assert await ProviderRegistry().detect_local(timeout=60.0, ports=ports) == []
    assert time.perf_counter() - started < LOAD_SLACK


@pytest.mark.parametrize("mode", ["html", "not_found", "server_error"])
async def test_something_else_on_the_port_is_not_a_local_api(mode: str) -> None:
    with openai_server(api_key=None, mode=mode) as other:
        ports = dict.fromkeys(LOCAL_IDS, closed_port())
        ports["llamacpp"] = other.port
        assert await probe_local(load_catalogue(), timeout=0.25, ports=ports) == []
        assert len(other.requests) == 1


async def test_proxy_variables_do_not_affect_loopback_probes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead_proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    with openai_server(api_key=None) as lmstudio:
        ports = dict.fromkeys(LOCAL_IDS, closed_port())
        ports["lmstudio"] = lmstudio.port
        found = await ProviderRegistry().detect_local(timeout=2.0, ports=ports)
    assert [p.id for p in found] == ["lmstudio"]
