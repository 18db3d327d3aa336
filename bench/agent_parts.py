"""What the agent's safety parts cost: the shell sandbox and the network ledger.

A shell command is timed in bubblewrap against the same command without it (both
through ``run_command``, in the same run); requests through the ledger's client are
timed against a plain httpx client sending the same requests to the same loopback
server, with the ledger bound to a file as in a session.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from qwen_tui.net import ledger
from qwen_tui.net.clients import async_client
from qwen_tui.tools.sandbox import choose_sandbox
from qwen_tui.tools.shell import run_command
from tests.support.servers.openai_server import openai_server

REQUESTS = 100
"""Requests per ledger run: enough that one run is not all connection set-up."""


async def _command(work: Path, sandboxed: bool) -> float:
    sandbox = choose_sandbox(work, home=work / "home").sandbox if sandboxed else None
    started = time.perf_counter()
    await run_command("true", work, sandbox=sandbox)
    return time.perf_counter() - started


def bench_sandbox(runs: int, work: Path) -> tuple[list[float], list[float]] | None:
    """Seconds for ``true`` in the sandbox and without it; ``None`` without a sandbox."""
    root = work / "sandboxed"
    root.mkdir(exist_ok=True)
    if not choose_sandbox(root, home=work / "home").sandboxed:
        return None
    inside, outside = [], []
    for _ in range(runs):
        outside.append(asyncio.run(_command(root, sandboxed=False)))
        inside.append(asyncio.run(_command(root, sandboxed=True)))
    return inside, outside


async def _requests(url: str, recorded: bool) -> float:
    client = (
        async_client(purpose="model_list", content="none", trust_env=False)
        if recorded
        else httpx.AsyncClient(trust_env=False)
    )
    started = time.perf_counter()
    async with client:
        for _ in range(REQUESTS):
            await client.get(url)
    return (time.perf_counter() - started) / REQUESTS


def bench_ledger(runs: int) -> tuple[list[float], list[float]]:
    """Seconds per request through the ledger's client, and through a plain one."""
    recorded, plain = [], []
    with tempfile.TemporaryDirectory() as folder, openai_server() as server:
        ledger.current().bind(Path(folder) / "bench.jsonl")
        try:
            for _ in range(runs):
                plain.append(asyncio.run(_requests(f"{server.base_url}/models", False)))
                recorded.append(asyncio.run(_requests(f"{server.base_url}/models", True)))
        finally:
            ledger.current().bind(None)
    return recorded, plain
