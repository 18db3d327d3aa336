"""Text from outside never drives the terminal: escape sequences from a model, a server
error or a model id are shown as visible characters in the TUI, and markup stays text.

Checked twice: on the screen Textual renders (pilot), and on the raw bytes the real
``qwen-tui`` command writes to a pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from textual.pilot import Pilot

from qwen_tui.text import neutralise, neutralise_json
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.pickers import OptionPicker
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from tests.support import waiting
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import OpenAIServer, ScriptedError, openai_server
from tests.support.ui_helpers import make_app, wait_until

KEY = "sk-terminal-safety-key"
SIZE = (110, 40)

CLIPBOARD = "\x1b]52;c;UFdORUQ=\x07"
TITLE = "\x1b]0;PWNED-TITLE\x07"
HYPERLINK = "\x1b]8;;file:///etc/passwd\x1b\\here\x1b]8;;\x1b\\"
CLEAR = "\x1b[2JCLEARED"
C1_CSI = "\x9b31mREDDENED"
MARKUP = "[bold red]markup[/] [@click=app.quit]quit[/] [link=file:///etc/passwd]x[/link]"
HOSTILE = f"clip {CLIPBOARD} title {TITLE} link {HYPERLINK} clear {CLEAR} c1 {C1_CSI} {MARKUP}"

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def split_inside_sequences(text: str) -> list[str]:
    """Pieces of ``text`` cut in the middle of each escape sequence, as a server may
    send them in separate chunks."""
    cuts = sorted({i + 2 for i, char in enumerate(text) if char in "\x1b\x9b"})
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(text[start:cut])
        start = cut
    return [*pieces, text[start:]]


def screen_text(app: QwenTuiApp) -> str:
    """Every character of the screen as Textual would paint it, without styles."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), force_terminal=True, record=True
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False)


def assert_safe(text: str) -> None:
    found = UNSAFE.findall(text)
    assert not found, f"control characters reached the screen: {found!r}"


# ----- the function --------------------------------------------------------------


def test_each_sequence_is_made_visible() -> None:
    assert neutralise(CLIPBOARD) == "␛]52;c;UFdORUQ=␇"
    assert neutralise(TITLE) == "␛]0;PWNED-TITLE␇"
    assert neutralise(CLEAR) == "␛[2JCLEARED"
    assert neutralise(C1_CSI) == "␛[31mREDDENED"
    assert neutralise("a\r\nb\rc\x7f\x00") == "a\nb␍c␡␀"
    assert neutralise("tabs\tand\nlines") == "tabs\tand\nlines"
    assert neutralise(MARKUP) == MARKUP


@given(st.text())
def test_nothing_a_terminal_obeys_survives(text: str) -> None:
    shown = neutralise(text)
    assert UNSAFE.search(shown) is None
    if UNSAFE.search(text) is None:
        assert shown == text


@given(st.text())
def test_each_chunk_alone_is_safe_whatever_the_cut(text: str) -> None:
    middle = len(text) // 2
    assert UNSAFE.search(neutralise(text[:middle]) + neutralise(text[middle:])) is None


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_output_decodes_to_the_same_value(value: Any) -> None:
    document = neutralise_json(json.dumps(value, ensure_ascii=False))
    assert UNSAFE.search(document) is None
    assert json.loads(document) == value


# ----- the TUI (pilot) -------------------------------------------------------------


@pytest.fixture
def hostile_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    with openai_server(
        api_key=KEY,
        chat_pieces=split_inside_sequences(HOSTILE),
        reasoning_pieces=split_inside_sequences("thinking " + HOSTILE),
        models=["good-model", f"evil-{TITLE}-model", "[@click=app.quit]click[/]"],
    ) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_MODEL", f"model-{TITLE}[b]bold[/b]")
        yield running


async def connected(pilot: Pilot[Any]) -> ChatScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.chat is not None)
    return screen


async def ask(pilot: Pilot[Any], screen: ChatScreen, text: str) -> AssistantMessage:
    screen.query_one(PromptInput).load_text(text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: bool(screen.query(AssistantMessage)) and not screen._answering)
    return list(screen.query(AssistantMessage))[-1]


async def test_answer_reasoning_and_model_name_reach_the_screen_as_text(
    hostile_server: OpenAIServer, isolated_home: Path
) -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        answer = await ask(pilot, screen, "say something odd")
        answer._reasoning.collapsed = False
        await wait_until(pilot, lambda: "thinking" in screen_text(app))
        shown = screen_text(app)
        assert_safe(shown)
        for visible in ("␛]52;c;UFdORUQ=␇", "␛]0;PWNED-TITLE␇", "␛[2JCLEARED", "␛[31mREDDENED"):
            assert visible in shown
        # Markup in the answer stays literal text; the model name (border, status) too.
        assert "[@click=app.quit]quit[/]" in shown
        assert "model-␛]0;PWNED-TITLE␇[b]bold[/b]" in shown
        assert app.is_running
    # The session keeps the answer exactly as it arrived.
    records = [
        json.loads(line)
        for path in (isolated_home / "sessions").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    answers = [r for r in records if r.get("type") == "message" and r["role"] == "assistant"]
    assert answers[-1]["content"] == HOSTILE


async def test_a_server_error_is_shown_as_text(
    hostile_server: OpenAIServer,
) -> None:
    hostile_server.options.errors["/v1/chat/completions"] = ScriptedError(
        400, message=f"bad request {TITLE} {CLEAR} [@click=app.quit]quit[/]"
    )
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await ask(pilot, screen, "fail please")
        await wait_until(pilot, lambda: "bad request" in screen_text(app))
        shown = screen_text(app)
        assert_safe(shown)
        assert "bad request ␛]0;PWNED-TITLE␇ ␛[2JCLEARED" in shown
        assert "[@click=app.quit]quit[/]" in shown


async def test_model_ids_in_the_picker_are_text(hostile_server: OpenAIServer) -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        screen.action_pick_model()
        await wait_until(pilot, lambda: isinstance(app.screen, OptionPicker))
        await wait_until(pilot, lambda: "evil-" in screen_text(app))
        shown = screen_text(app)
        assert_safe(shown)
        assert "evil-␛]0;PWNED-TITLE␇-model" in shown
        assert "[@click=app.quit]click[/]" in shown


async def test_toasts_are_plain_text(hostile_server: OpenAIServer) -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        await connected(pilot)
        app.notify(f"server said {TITLE} [@click=app.quit]quit[/]", title=f"t{CLEAR}")
        await wait_until(pilot, lambda: bool(app._notifications))
        (toast,) = list(app._notifications)
        assert toast.markup is False
        assert toast.message == "server said ␛]0;PWNED-TITLE␇ [@click=app.quit]quit[/]"
        assert toast.title == "t␛[2JCLEARED"


# ----- the real command on a pseudo-terminal --------------------------------------


class PtyApp:
    """``qwen-tui`` on a pseudo-terminal of a fixed size; every byte it writes is kept."""

    def __init__(self, env: dict[str, str], cwd: Path, size: tuple[int, int]) -> None:
        master, slave = os.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self._master = master
        self.output = bytearray()
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qwen_tui"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.output += data

    def text(self) -> str:
        with self._lock:
            return bytes(self.output).decode("utf-8", errors="replace")

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        """Until ``needle`` is on screen; fail at once if the program ends first."""

        def never_seen() -> str:
            return f"never saw {needle!r}; output:\n{self.text()[-3000:]!r}"

        waiting.wait_until(
            lambda: needle in self.text() or self.process.poll() is not None, never_seen, timeout
        )
        assert needle in self.text(), never_seen()

    def type(self, keys: str) -> None:
        os.write(self._master, keys.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        os.close(self._master)


def test_the_real_command_writes_no_sequence_from_the_answer(
    isolated_home: Path, tmp_path: Path
) -> None:
    with openai_server(api_key=KEY, chat_pieces=split_inside_sequences(HOSTILE)) as server:
        env = {
            "QWEN_TUI_HOME": str(isolated_home),
            "HOME": str(tmp_path / "user-home"),
            "PATH": os.environ.get("PATH", ""),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": KEY,
            "OPENAI_MODEL": "test-model",
        }
        app = PtyApp(env, Path.cwd(), SIZE)
        try:
            app.wait_for("test-model")
            app.type("show me\r")
            app.wait_for("CLEARED")
            app.wait_for("REDDENED")
            app.type("\x11")  # Ctrl+Q
            app.process.wait(timeout=60)
        finally:
            app.close()
    raw = bytes(app.output)
    for sequence in (CLIPBOARD, TITLE, "\x1b]8;;file:", CLEAR):
        assert sequence.encode() not in raw, f"{sequence!r} reached the terminal"
    text = raw.decode("utf-8", errors="replace")
    assert "\x9b" not in text
    # Textual's own pointer-shape sequence (OSC 22) ends with BEL; no other BEL may.
    assert "\x07" not in re.sub("\x1b\\]22;[a-z-]*\x07", "", text)
    assert "␛[2JCLEARED" in text and "␛]0;PWNED-TITLE␇" in text
