"""Leaving the app says how to get back to the conversation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.sessions import SessionStore
from qwen_tui.cli import _say_how_to_continue


@dataclass
class Services:
    sessions: SessionStore


def test_the_hint_names_the_last_conversation(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider="openai", model="m")
    session.append(ChatMessage("user", "hello"))
    session.close()
    _say_how_to_continue(Services(store))
    out = capsys.readouterr().out
    assert "qwen-tui --continue" in out and session.id in out


def test_no_hint_without_a_conversation(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _say_how_to_continue(Services(SessionStore(isolated_home)))
    assert capsys.readouterr().out == ""
