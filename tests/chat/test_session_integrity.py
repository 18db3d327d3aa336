"""Saved sessions say what could not be read, and a second window never writes into a
session another copy of the app has open."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.sessions import SessionError, SessionStore
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.chat_view import SystemNote
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.ui_helpers import make_app, wait_until


def write_session(home: Path, *texts: str) -> str:
    store = SessionStore(home)
    session = store.new(provider="ollama", model="qwen3")
    for index, text in enumerate(texts):
        session.append(ChatMessage("user" if index % 2 == 0 else "assistant", text))
    session.close()
    return session.id


def cut_last_line(path: Path, extra: bytes = b"") -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-12] + extra)


def notes(screen: ChatScreen) -> list[str]:
    return [str(note.render()) for note in screen.query(SystemNote)]


# ----- skipped lines ------------------------------------------------------------------


def test_skipped_lines_are_counted_and_told(isolated_home: Path) -> None:
    session_id = write_session(isolated_home, "one", "two", "three")
    path = isolated_home / "sessions" / f"{session_id}.jsonl"
    cut_last_line(path, b"\nnot json\n")

    session = SessionStore(isolated_home).open(session_id)

    assert [m.content for m in session.messages] == ["one", "two"]
    assert session.skipped_lines == 2
    assert session.notices == (
        "2 lines of this saved conversation could not be read (cut short by a crash, or "
        "edited by hand) and were skipped.",
    )
    session.close()


def test_a_clean_session_has_nothing_to_tell(isolated_home: Path) -> None:
    session_id = write_session(isolated_home, "one", "two")
    session = SessionStore(isolated_home).open(session_id)
    assert session.notices == ()
    session.close()


async def test_the_chat_screen_says_when_lines_were_skipped(isolated_home: Path) -> None:
    session_id = write_session(isolated_home, "one", "two", "three")
    cut_last_line(isolated_home / "sessions" / f"{session_id}.jsonl")
    app = make_app(keyring_backend=MemoryKeyring(), flags={})
    app.services.resume = session_id
    app.services.loaded.settings.security.auth.selected_type = "openai"
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await wait_until(pilot, lambda: any("could not be read" in n for n in notes(screen)))
        assert "1 line of this saved conversation could not be read" in " ".join(notes(screen))


# ----- one writer per session ---------------------------------------------------------


@pytest.fixture
def other_window(isolated_home: Path) -> Iterator[Any]:
    """Another process with the app's session store that holds a session open."""
    processes: list[subprocess.Popen[str]] = []

    def hold(session_id: str) -> subprocess.Popen[str]:
        code = textwrap.dedent(
            f"""
            import sys
            from pathlib import Path
            from qwen_tui.chat.sessions import SessionStore
            session = SessionStore(Path({str(isolated_home)!r})).open({session_id!r})
            print("locked" if not session.locked_elsewhere else "refused", flush=True)
            sys.stdin.read()
            """
        )
        process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        processes.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"
        return process

    yield hold
    for process in processes:
        if process.poll() is None:
            process.communicate("", timeout=30)


def release(process: subprocess.Popen[str]) -> None:
    process.communicate("", timeout=30)


def test_a_session_open_elsewhere_is_read_but_not_written(
    isolated_home: Path, other_window: Any
) -> None:
    session_id = write_session(isolated_home, "question", "answer")
    path = isolated_home / "sessions" / f"{session_id}.jsonl"
    holder = other_window(session_id)
    before = path.read_bytes()

    session = SessionStore(isolated_home).open(session_id)

    assert session.locked_elsewhere
    assert [m.content for m in session.messages] == ["question", "answer"]
    assert any("open in another qwen-tui window" in n for n in session.notices)
    with pytest.raises(SessionError, match="open in another qwen-tui window"):
        session.append(ChatMessage("user", "from the second window"))
    assert path.read_bytes() == before
    assert [m.content for m in session.messages][-1] == "from the second window"

    release(holder)
    session.append(ChatMessage("user", "after the other window closed"))
    assert not session.locked_elsewhere
    reread = SessionStore(isolated_home).open(session_id)
    assert [m.content for m in reread.messages] == [
        "question",
        "answer",
        "after the other window closed",
    ]
    session.close()
    reread.close()


def test_closing_a_session_lets_another_process_take_it(isolated_home: Path) -> None:
    session_id = write_session(isolated_home, "question")
    session = SessionStore(isolated_home).open(session_id)
    code = (
        "from pathlib import Path; from qwen_tui.chat.sessions import SessionStore; "
        f"s = SessionStore(Path({str(isolated_home)!r})).open({session_id!r}); "
        "print(s.locked_elsewhere)"
    )
    held = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert held.stdout.strip() == "True"
    session.close()
    free = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert free.stdout.strip() == "False"


def test_deleting_a_session_removes_its_lock_file(isolated_home: Path) -> None:
    session_id = write_session(isolated_home, "question")
    store = SessionStore(isolated_home)
    store.delete(session_id)
    assert list((isolated_home / "sessions").iterdir()) == []


async def test_the_chat_screen_warns_when_the_session_is_open_elsewhere(
    isolated_home: Path, other_window: Any
) -> None:
    session_id = write_session(isolated_home, "question", "answer")
    other_window(session_id)
    app = make_app(keyring_backend=MemoryKeyring(), flags={})
    app.services.resume = session_id
    app.services.loaded.settings.security.auth.selected_type = "openai"
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        await wait_until(
            pilot, lambda: any("open in another qwen-tui window" in n for n in notes(screen))
        )
