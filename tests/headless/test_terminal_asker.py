"""The approval question of ``-p`` on a terminal: what it offers, what each reply means."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from qwen_tui.agent.events import ApprovalAnswer, ApprovalRequest
from qwen_tui.chat.events import ToolCall
from qwen_tui.headless.agent_output import TerminalAsker

COMMAND = ApprovalRequest(
    ToolCall("call_1", "run_shell_command", '{"command": "make test"}'),
    "execute",
    command="make test",
    folder=".",
)


def replies(*lines: str) -> Callable[[], str]:
    answers = iter(lines)

    def read() -> str:
        try:
            return next(answers)
        except StopIteration:
            raise EOFError from None

    return read


async def test_with_a_sandbox_always_is_offered_and_kept() -> None:
    err = io.StringIO()
    answer = await TerminalAsker(err, read=replies("a"))(COMMAND)
    assert answer == ApprovalAnswer("always")
    assert "[a]lways this session" in err.getvalue()
    assert "$ make test" in err.getvalue()


@pytest.mark.parametrize("reply", ["a", "always"])
async def test_without_a_sandbox_a_command_is_allowed_once_at_most(reply: str) -> None:
    err = io.StringIO()
    answer = await TerminalAsker(err, read=replies(reply, "y"), sandboxed=False)(COMMAND)
    assert answer == ApprovalAnswer("once")  # "always" is not an answer here: asked again
    shown = err.getvalue()
    assert "[a]lways" not in shown
    assert shown.count("Allow, unsandboxed? [y]es once / [n]o: ") == 2


async def test_no_answer_at_all_is_a_no() -> None:
    answer = await TerminalAsker(io.StringIO(), read=replies(), sandboxed=False)(COMMAND)
    assert answer.choice == "no"
