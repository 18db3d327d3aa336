"""The real ``qwen-tui`` command in a real terminal (tmux): start, type, read the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.servers.openai_server import openai_server

KEY = "sk-tmux-e2e-key"


class Tmux:
    """One detached tmux session running a command at 120x40."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = f"qwen-tui-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={_quote(v)}" for k, v in env.items())
        shell_command = f"cd {_quote(str(cwd))} && env {exports} " + " ".join(
            _quote(part) for part in command
        )
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", shell_command],
            check=True,
        )

    def screen(self) -> str:
        result = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return result.stdout

    def type(self, *keys: str, literal: bool = False) -> None:
        args = ["tmux", "send-keys", "-t", self.name]
        if literal:
            args.append("-l")
        subprocess.run([*args, *keys], check=True)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"screen never matched; last screen:\n{screen}")

    def alive(self) -> bool:
        return (
            subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode
            == 0
        )

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


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
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
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
    screen = tmux.wait_for(lambda s: "Welcome to qwen-tui" in s)
    assert "OpenAI-compatible API" in screen
    assert "Verify & Save" in screen
    tmux.type("C-q")
    deadline = time.monotonic() + 10
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux.alive()


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
    screen = tmux.wait_for(lambda s: "https://qwen.ai/privacypolicy" in s)
    assert "https://qwen.ai/termsservice" in screen
    assert "Usage statistics" in screen
    # Shift+Tab from the first link goes to the page, then to the tab bar; Left moves
    # between tabs (Ctrl+PageUp does too where the terminal reports it; tmux may not).
    for key in ("BTab", "BTab", "Left", "Left"):
        time.sleep(0.3)  # one key at a time, as a person types them
        tmux.type(key)
    screen = tmux.wait_for(lambda s: "Theme" in s and "Language" in s)
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
    time.sleep(0.3)  # one key at a time, as a person moves to the field
    tmux.type("End", "C-u")
    tmux.wait_for(lambda s: "https://api.openai.com/v1" not in s)
    tmux.type("http://127.0.0.1:9/v1", literal=True)
    tmux.type("Tab")
    tmux.type("SECRETKEY", literal=True)
    screen = tmux.wait_for(lambda s: "http://127.0.0.1:9/v1" in s and "paste your key" not in s)
    assert "v1SECRETKEY" not in screen
    assert "SECRETKEY" not in screen  # the key field is masked
