"""The command line's file-store question: the flag answers, a terminal is asked once,
a script is refused."""

from __future__ import annotations

import asyncio
import io

import pytest

from qwen_tui.headless.file_store import file_store_asker


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def answers(monkeypatch: pytest.MonkeyPatch, typed: list[str]) -> list[str]:
    prompts: list[str] = []

    def fake_input(prompt: str) -> str:
        prompts.append(prompt)
        return typed.pop(0)

    monkeypatch.setattr("builtins.input", fake_input)
    return prompts


async def test_the_flag_answers_yes_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = answers(monkeypatch, [])
    assert await file_store_asker(True)("no keyring") is True
    assert prompts == []


async def test_a_script_without_a_terminal_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = answers(monkeypatch, ["y"])
    monkeypatch.setattr("sys.stdin", io.StringIO())
    assert await file_store_asker(False)("no keyring") is False
    assert prompts == []


@pytest.mark.parametrize(("typed", "expected"), [("y", True), ("YES", True), ("", False)])
def test_a_person_at_a_terminal_is_asked_once(
    monkeypatch: pytest.MonkeyPatch, typed: str, expected: bool
) -> None:
    prompts = answers(monkeypatch, [typed])
    err = Terminal()
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("sys.stderr", err)
    ask = file_store_asker(False)

    async def twice() -> list[bool]:
        return [await ask("No keyring is available."), await ask("again")]

    assert asyncio.run(twice()) == [expected, expected]
    assert len(prompts) == 1 and "file" in prompts[0]
    assert "No keyring is available." in err.getvalue()
