"""The real ``qwen-tui`` command in a real terminal (tmux): start, type, read the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.support.network_guard import guard
from tests.support.servers.openai_server import openai_server
from tests.support.waiting import wait_until

KEY = "sk-tmux-e2e-key"


class Tmux:
    """One detached tmux session running a command at 120x40, on a tmux server of its own.

    A server of its own (``-L``) starts with this test's environment, not with that of a
    tmux server the user already runs, and ``env -i`` gives the command exactly ``env``:
    no proxy or key of the user's reaches the app.
    """

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = f"qwen-tui-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        shell_command = f"cd {_quote(str(cwd))} && exec env -i {exports} " + " ".join(
            _quote(part) for part in command
        )
        self._tmux("new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", shell_command)

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.name, *args], capture_output=True, text=True, check=check
        )

    def screen(self, *, styles: bool = False) -> str:
        """The visible text; with ``styles``, colours and attributes too (focus shows)."""
        extra = ("-e",) if styles else ()
        return self._tmux("capture-pane", "-p", *extra, "-t", self.name, check=False).stdout

    def type(self, *keys: str, literal: bool = False) -> None:
        args = ["send-keys", "-t", self.name]
        if literal:
            args.append("-l")
        self._tmux(*args, *keys)

    def press_and_wait(self, key: str) -> None:
        """Press one key and wait until the screen shows its effect, as a person would."""
        before = self.screen(styles=True)
        self.type(key)
        wait_until(lambda: self.screen(styles=True) != before, f"{key} changed nothing")

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 60.0) -> str:
        screen = ""

        def matches() -> bool:
            nonlocal screen
            screen = self.screen()
            return predicate(screen)

        wait_until(matches, lambda: f"screen never matched; last screen:\n{screen}", timeout)
        return screen

    def alive(self) -> bool:
        return self._tmux("has-session", "-t", self.name, check=False).returncode == 0

    def kill(self) -> None:
        self._tmux("kill-server", check=False)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def _showing(text: str) -> Callable[[str], bool]:
    """Whether a screen shows ``text``, bound now, so that a loop can wait on it."""
    return lambda screen: text in screen


@pytest.fixture
def tmux_available() -> None:
    if shutil.which("tmux") is None:
        skip_or_fail("tmux is not installed")


@pytest.fixture
def launch(tmux_available: None, isolated_home: Path) -> Iterator[Callable[..., Tmux]]:
    sessions: list[Tmux] = []

    def start(*args: str, **env: str) -> Tmux:
        environment = {
            "QWEN_TUI_HOME": str(isolated_home),
            "HOME": os.environ["HOME"],
            "PATH": os.environ.get("PATH", ""),
            "TERM": "xterm-256color",
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            # The loopback-only socket guard of the test suite, in the app too.
            "PYTHONPATH": os.environ["PYTHONPATH"],
            guard.REPORT_ENV: os.environ[guard.REPORT_ENV],
            **env,
        }
        session = Tmux([sys.executable, "-m", "qwen_tui", *args], environment, Path.cwd())
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.kill()


def test_first_start_shows_the_welcome_screen(launch: Callable[..., Tmux]) -> None:
    tmux = launch()
    # The form is painted in more than one write: wait for both methods and the footer,
    # not the heading, before reading the rest off the screen.
    screen = tmux.wait_for(
        lambda s: all(
            part in s for part in ("OpenAI-compatible API", "Qwen OAuth", "Verify & Save")
        )
    )
    assert "Welcome to qwen-tui" in screen
    assert screen.index("OpenAI-compatible API") < screen.index("Qwen OAuth"), "API key first"
    assert "free tier discontinued on 2026-04-15" in screen
    tmux.type("C-q")
    wait_until(lambda: not tmux.alive(), "Ctrl+Q did not end the app")


def test_chat_streams_an_answer_in_a_real_terminal(
    launch: Callable[..., Tmux], isolated_home: Path
) -> None:
    pieces = ["The ", "answer ", "is ", "**forty-two**", ".\n\n", "```python\nprint(42)\n```\n"]
    with openai_server(api_key=KEY, chat_pieces=pieces) as server:
        tmux = launch(
            OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=KEY, OPENAI_MODEL="test-model"
        )
        tmux.wait_for(lambda s: "test-model" in s and "session" in s)
        tmux.type("What is the answer?", literal=True)
        tmux.type("Enter")
        screen = tmux.wait_for(lambda s: "forty-two" in s and "print(42)" in s)
        assert "What is the answer?" in screen
        assert "**" not in screen.split("What is the answer?")[1]
        assert server.requests[-1].json()["messages"][-1]["content"] == "What is the answer?"
    sessions = list((isolated_home / "sessions").glob("*.jsonl"))
    assert len(sessions) == 1
    saved = sessions[0].read_text()
    assert "forty-two" in saved
    assert KEY not in saved


def test_privacy_and_settings_from_the_keyboard_in_a_real_terminal(
    launch: Callable[..., Tmux], isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.json").write_text(
        '{"security": {"auth": {"selectedType": "qwen-oauth"}}, "model": {"provider": "qwen"}}'
    )
    tmux = launch()
    tmux.wait_for(lambda s: "Settings" in s)
    tmux.type("/privacy", literal=True)
    tmux.type("Enter")
    tmux.wait_for(
        lambda s: all(
            text in s
            for text in (
                "https://qwen.ai/privacypolicy",
                "https://qwen.ai/termsservice",
                "Usage statistics",
            )
        )
    )

    # Shift+Tab from the first link goes to the page, then to the tab bar; Left moves
    # between tabs (Ctrl+PageUp does too where the terminal reports it; tmux may not).
    # Each Left is checked by the tab it shows. The link takes the focus once the page
    # is drawn, so a Shift+Tab may land before it does: then one more reaches the bar.
    tmux.press_and_wait("BTab")
    tmux.press_and_wait("BTab")
    for wanted in ("Request timeout", "Theme"):
        for _ in range(3):
            tmux.type("Left")
            try:
                tmux.wait_for(_showing(wanted), timeout=10)
                break
            except AssertionError:
                tmux.press_and_wait("BTab")
        else:
            raise AssertionError(f"Shift+Tab and Left never showed {wanted!r}")
    tmux.wait_for(lambda s: "Theme" in s and "Language" in s)
    tmux.type("Escape")
    tmux.wait_for(lambda s: "Theme" not in s)


def test_keys_typed_ahead_after_tab_land_in_the_next_field(
    launch: Callable[..., Tmux],
) -> None:
    """A password manager types the URL, Tab and the key in one burst."""
    tmux = launch()
    tmux.wait_for(lambda s: "Welcome to qwen-tui" in s and "usual ports" in s)
    tmux.type("Tab")
    tmux.wait_for(lambda s: "https://api.openai.com/v1" in s)
    tmux.type("End", "C-u")
    tmux.wait_for(lambda s: "https://api.openai.com/v1" not in s)
    tmux.type("http://127.0.0.1:9/v1", literal=True)
    tmux.type("Tab")
    tmux.type("SECRETKEY", literal=True)
    screen = tmux.wait_for(lambda s: "http://127.0.0.1:9/v1" in s and "paste your key" not in s)
    assert "v1SECRETKEY" not in screen
    assert "SECRETKEY" not in screen  # the key field is masked
