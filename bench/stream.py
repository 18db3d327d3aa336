"""Streaming an answer: Enter → last word on screen, against what the data allows.

Two baselines read the same stream from the same loopback server, interleaved with
qwen-tui's runs: the raw ``openai`` client (``AsyncOpenAI``, iterating the chunks), and
a bare socket that sends the request and reads until the server closes, parsing
nothing. The socket's time is what the server needs to send the whole answer: the
physical limit of any client on this machine.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from bench.answers import END_MARK, held_out_pieces
from bench.tmux import TmuxSession
from tests.support.servers.openai_server import openai_server

MODEL = "test-model"


async def raw_client_read(base_url: str, key: str) -> float:
    """Seconds for the raw ``openai`` client to read the whole stream."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key=key, base_url=base_url, max_retries=0)
    started = time.perf_counter()
    stream = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "go"}], stream=True
    )
    async for _chunk in stream:
        pass
    seconds = time.perf_counter() - started
    await client.close()
    return seconds


def socket_read(base_url: str, key: str) -> float:
    """Seconds from sending the request to the server closing the connection, for a
    reader that keeps nothing but the last bytes (to check the stream ended)."""
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    body = json.dumps(
        {"model": MODEL, "messages": [{"role": "user", "content": "go"}], "stream": True}
    ).encode()
    head = (
        f"POST {parts.path.rstrip('/')}/chat/completions HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    tail = b""
    started = time.perf_counter()
    with socket.create_connection((parts.hostname, parts.port)) as connection:
        connection.sendall(head.encode() + body)
        while data := connection.recv(1 << 16):
            tail = (tail + data)[-64:]
    seconds = time.perf_counter() - started
    if b"[DONE]" not in tail:
        raise RuntimeError(f"the stream did not end with [DONE]: {tail!r}")
    return seconds


def bench_stream(
    tokens: int,
    runs: int,
    work: Path,
    key: str,
    env_for: Callable[[Path, str], dict[str, str]],
    cpu_of: Callable[[int], float],
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Enter → last word in qwen-tui, the raw client's read, the bare socket's read,
    and qwen-tui's CPU per 1,000 tokens, ``runs`` times each, interleaved."""
    tui: list[float] = []
    raw: list[float] = []
    bare: list[float] = []
    cpu: list[float] = []
    with openai_server(api_key=key, chat_pieces=held_out_pieces(tokens)) as server:
        base_url = server.base_url
        for index in range(runs):
            bare.append(socket_read(base_url, key))
            raw.append(asyncio.run(raw_client_read(base_url, key)))
            session = TmuxSession(
                [sys.executable, "-m", "qwen_tui"],
                env_for(work / f"stream-{tokens}-{index}", base_url),
            )
            try:
                session.wait_for(lambda s: MODEL in s and "New chat" in s, timeout=30)
                time.sleep(1.5)  # let the background SDK import finish, as a user's typing would
                pid = session.pane_pid()
                cpu_before = cpu_of(pid)
                session.keys("go", literal=True)
                started = time.perf_counter()
                session.keys("Enter")
                session.wait_for(lambda s: END_MARK in s, timeout=600, poll=0.02)
                tui.append(time.perf_counter() - started)
                cpu.append((cpu_of(pid) - cpu_before) / (tokens / 1000))
            finally:
                session.kill()
    return tui, raw, bare, cpu
