"""Huge answers: a 5 MB answer in one chunk and a 50,000-character line.

Three measures, each with a baseline of the same run:

- Enter → last word on screen, the real ``qwen-tui`` in tmux, against the raw ``openai``
  client reading the same stream;
- Ctrl+Q → the process gone, sent while the 5 MB answer is being drawn, against Ctrl+Q
  on an idle chat screen;
- the longest event-loop stall while the answer is drawn (from Enter until its last
  word is on screen), in-process with ``App.run_test`` and a task that sleeps 10 ms
  and records how late it wakes (``tests/loop_lag.py``), against the same measure
  for the ordinary 4,000-token answer.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench.answers import END_MARK, answer_pieces, huge_answer, long_line
from bench.tmux import TmuxSession, tmux
from tests.support.servers.openai_server import openai_server

CASES: dict[str, Callable[[], list[str]]] = {
    "5 MB answer in one chunk": lambda: [huge_answer(5_000_000)],
    "50,000-character line": lambda: [long_line(50_000)],
}


def _alive(session: TmuxSession) -> bool:
    return tmux("has-session", "-t", session.name, check=False).returncode == 0


def _ready(screen: str) -> bool:
    return "test-model" in screen and "New chat" in screen


def last_word(
    pieces: list[str],
    runs: int,
    env_for: Callable[[str, Path], dict[str, str]],
    work: Path,
    raw_client_read: Callable[[str], Coroutine[Any, Any, float]],
) -> tuple[list[float], list[float]]:
    """Enter → :data:`END_MARK` on screen in qwen-tui, and the raw client's read."""
    tui: list[float] = []
    raw: list[float] = []
    with openai_server(api_key="sk-bench", chat_pieces=pieces) as server:
        for index in range(runs):
            raw.append(asyncio.run(raw_client_read(server.base_url)))
            env = env_for(server.base_url, work / f"huge-{len(pieces[0])}-{index}")
            session = TmuxSession([sys.executable, "-m", "qwen_tui"], env)
            try:
                session.wait_for(_ready, timeout=30)
                time.sleep(1.5)  # the background SDK import, as a user's typing would
                session.keys("go", literal=True)
                started = time.perf_counter()
                session.keys("Enter")
                session.wait_for(lambda s: END_MARK in s, timeout=300, poll=0.02)
                tui.append(time.perf_counter() - started)
            finally:
                session.kill()
    return tui, raw


def quit_latency(
    pieces: list[str] | None,
    runs: int,
    env_for: Callable[[str, Path], dict[str, str]],
    work: Path,
) -> list[float]:
    """Ctrl+Q → the process gone: while ``pieces`` are drawn, or idle (``None``)."""
    seconds = []
    with openai_server(api_key="sk-bench", chat_pieces=pieces or ["Hello"]) as server:
        for index in range(runs):
            env = env_for(server.base_url, work / f"quit-{bool(pieces)}-{index}")
            session = TmuxSession([sys.executable, "-m", "qwen_tui"], env)
            try:
                session.wait_for(_ready, timeout=30)
                time.sleep(1.5)
                if pieces:
                    session.keys("go", literal=True)
                    session.keys("Enter")
                    # The first section is on screen: the answer is arriving and drawn.
                    session.wait_for(lambda s: "Step 1" in s or "word1 " in s, timeout=60)
                started = time.perf_counter()
                session.keys("C-q")
                while _alive(session) and time.perf_counter() - started < 60:
                    time.sleep(0.005)
                seconds.append(time.perf_counter() - started)
            finally:
                session.kill()
    return seconds


async def _stall(pieces: list[str], home: Path) -> tuple[float, float]:
    """The longest event-loop stall from Enter to the last word on screen, and the
    seconds that took, in-process."""
    from tests.support.credentials_fixtures import MemoryKeyring
    from tests.support.loop_lag import LoopLag
    from tests.support.ui_helpers import make_app, wait_until

    with openai_server(api_key="sk-bench", chat_pieces=pieces) as server:
        os.environ.update(
            QWEN_TUI_HOME=str(home),
            HOME=str(home),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY="sk-bench",
            OPENAI_MODEL="test-model",
        )
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(120, 40)) as pilot:
            from qwen_tui.ui.screens.chat import ChatScreen
            from qwen_tui.ui.widgets.prompt_input import PromptInput

            screen = app.screen
            assert isinstance(screen, ChatScreen)
            await wait_until(pilot, lambda: screen.chat is not None, timeout=30)
            await asyncio.to_thread(importlib.import_module, "openai")

            def on_screen(lag: LoopLag) -> bool:
                began = time.perf_counter()
                strips = app.screen._compositor.render_strips()
                lag.exclude(time.perf_counter() - began)
                return any(END_MARK in strip.text for strip in strips)

            async with LoopLag() as lag:
                screen.query_one(PromptInput).load_text("go")
                started = time.perf_counter()
                await pilot.press("enter")
                await wait_until(pilot, lambda: on_screen(lag), timeout=300)
                seconds = time.perf_counter() - started
    return lag.worst, seconds


def stalls(pieces: list[str], runs: int, work: Path) -> list[float]:
    saved = dict(os.environ)
    worst = []
    try:
        for index in range(runs):
            home = work / f"stall-{len(pieces)}-{len(pieces[0])}-{index}"
            worst.append(asyncio.run(_stall(pieces, home))[0])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return worst


def bench_huge(
    runs: int,
    work: Path,
    env_for: Callable[[str, Path], dict[str, str]],
    raw_client_read: Callable[[str], Coroutine[Any, Any, float]],
) -> list[tuple[str, list[float], list[float], str]]:
    """Rows of (measure, values, baseline values, baseline name)."""
    rows = []
    ordinary = stalls(answer_pieces(4000), runs, work)
    for label, make in CASES.items():
        pieces = make()
        tui, raw = last_word(pieces, runs, env_for, work, raw_client_read)
        rows.append((f"{label}: Enter → last word", tui, raw, "raw"))
        rows.append(
            (
                f"{label}: longest event-loop stall",
                stalls(pieces, runs, work),
                ordinary,
                "4,000 tokens",
            )
        )
    idle = quit_latency(None, runs, env_for, work)
    busy = quit_latency(CASES["5 MB answer in one chunk"](), runs, env_for, work)
    rows.append(("5 MB answer in one chunk: Ctrl+Q → exit", busy, idle, "idle"))
    rows.append(("4,000 tokens: longest event-loop stall", ordinary, [], ""))
    rows.append(("Ctrl+Q → exit, idle chat screen", idle, [], ""))
    return rows
