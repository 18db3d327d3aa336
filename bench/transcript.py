"""A resumed 200-message conversation: time to open it, memory, and paging.

The session file is written with qwen-tui's own :class:`SessionStore`, so it is exactly
what the app writes. Answers are about 2,000 tokens of Markdown with code blocks; the
last one ends with :data:`LAST_MARK`, which is on screen once the transcript is open
(the view follows the end).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.answers import END_MARK, answer_pieces
from bench.tmux import TmuxSession

LAST_MARK = "ZZLAST"


def write_session(home: Path, messages: int, answer_tokens: int = 2000) -> str:
    """Write a conversation of ``messages`` messages (half questions, half answers)
    under ``home``; returns its id."""
    from qwen_tui.chat.messages import ChatMessage
    from qwen_tui.chat.sessions import SessionStore

    answer = "".join(answer_pieces(answer_tokens))
    store = SessionStore(home)
    session = store.new(provider="openai", model="test-model")
    pairs = messages // 2
    for index in range(pairs):
        mark = LAST_MARK if index == pairs - 1 else f"M{index:04d}"
        session.append(ChatMessage("user", f"Question {index}: how does step {index} work?"))
        session.append(ChatMessage("assistant", answer.replace(END_MARK, mark), model="test-model"))
    return session.id


def write_tool_session(home: Path, calls: int) -> str:
    """Write one task of ``calls`` tool calls (reads, each with its result) and a final
    answer ending with :data:`LAST_MARK`; returns its id."""
    from qwen_tui.chat.events import ToolCall
    from qwen_tui.chat.messages import ChatMessage
    from qwen_tui.chat.sessions import SessionStore

    store = SessionStore(home)
    session = store.new(provider="openai", model="test-model")
    session.append(ChatMessage("user", "Read every module and sum up what each one does."))
    result = "".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(30))
    for index in range(calls):
        call = ToolCall(f"call_{index}", "read_file", f'{{"file_path": "pkg/mod{index}.py"}}')
        session.append(ChatMessage("assistant", "", model="test-model", tool_calls=(call,)))
        session.append(ChatMessage("tool", result, tool_call_id=call.id, tool_name="read_file"))
    session.append(ChatMessage("assistant", f"Every module adds a number. {LAST_MARK}"))
    return session.id


def _transcript_rows(screen: str) -> list[str]:
    """The rows of the transcript: without the header, prompt, status line and footer,
    so that a status update is not taken for the page having moved."""
    return screen.splitlines()[1:-5]


def page_step(session: TmuxSession, key: str, timeout: float = 2.0) -> float | None:
    """Seconds from sending ``key`` until the transcript shows something else, or
    ``None`` when it does not move (PageDown at the end)."""
    before = _transcript_rows(session.screen())
    started = time.perf_counter()
    session.keys(key)
    try:
        session.wait_for(
            lambda screen: _transcript_rows(screen) != before, timeout=timeout, poll=0.002
        )
    except TimeoutError:
        return None
    return time.perf_counter() - started


def bench_transcript(
    runs: int,
    work: Path,
    env_for: Callable[[Path], dict[str, str]],
    rss_of: Callable[[int], float],
    messages: int = 200,
    steps: int = 8,
    tool_calls: int = 0,
) -> tuple[list[float], list[float], list[float]]:
    """Open a resumed ``messages``-message session (or, with ``tool_calls``, a task of
    that many tool calls) ``runs`` times.

    Returns:
        Seconds from launch to the last message on screen, the idle RSS in MB, and the
        seconds per PageUp / PageDown step (each step: key sent → screen changed).
    """
    opened, memory, paging = [], [], []
    for index in range(runs):
        home = work / f"transcript-{messages}-{index}"
        session_id = (
            write_tool_session(home, tool_calls) if tool_calls else write_session(home, messages)
        )
        command = [sys.executable, "-m", "qwen_tui", "--resume", session_id]
        started = time.perf_counter()
        session = TmuxSession(command, env_for(home))
        try:
            session.wait_for(lambda screen: LAST_MARK in screen, timeout=120)
            opened.append(time.perf_counter() - started)
            time.sleep(1.5)
            memory.append(rss_of(session.pane_pid()))
            for key in ["PageUp"] * steps + ["PageDown"] * steps:
                seconds = page_step(session, key)
                if seconds is None:
                    break  # at the end already: the pages up did not all move a full page
                paging.append(seconds)
                time.sleep(0.05)
        finally:
            session.kill()
    return opened, memory, paging
