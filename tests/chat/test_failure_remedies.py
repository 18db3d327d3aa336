"""Failures name a remedy; the TUI and the command line each word it their own way."""

from __future__ import annotations

from typing import get_args

import pytest

from qwen_tui.chat.events import ChatFailure, FailureKind, Remedy
from qwen_tui.chat.failures import failure_from_status
from qwen_tui.chat.retry import HEADLESS_WAITS, INTERACTIVE_WAITS, WaitPolicy
from qwen_tui.headless.failure_text import CLI_REMEDIES
from qwen_tui.headless.failure_text import failure_text as cli_text
from qwen_tui.providers.web_page import looks_like_web_page
from qwen_tui.ui.failure_text import TUI_REMEDIES
from qwen_tui.ui.failure_text import failure_text as tui_text

TUI_ONLY = ("Ctrl+R", "/auth", "/model", "/clear")


def test_every_remedy_is_worded_by_both_front_ends() -> None:
    assert set(TUI_REMEDIES) == set(get_args(Remedy))
    assert set(CLI_REMEDIES) == set(get_args(Remedy))


@pytest.mark.parametrize("remedy", get_args(Remedy))
def test_command_line_advice_names_only_what_works_there(remedy: Remedy) -> None:
    words = CLI_REMEDIES[remedy]
    assert not any(marker in words for marker in TUI_ONLY), words
    assert not any(marker in TUI_REMEDIES[remedy] for marker in ("--model", "--base-url"))


def test_tui_wording_is_unchanged() -> None:
    refused = failure_from_status(401, {"error": {"message": "No."}}, {})
    assert tui_text(refused) == (
        'The server refused the key (401). The server said: "No." Use /auth to enter another.'
    )
    assert tui_text(failure_from_status(503, {}, {})) == (
        "The server had an error (503). Press Ctrl+R to retry."
    )
    assert tui_text(ChatFailure("timeout", "The server did not answer in time.", "raise_timeout"))
    no_model = ChatFailure("bad_request", "No model is chosen.", "pick_model")
    assert tui_text(no_model) == "No model is chosen. Pick one with /model."


def test_command_line_wording() -> None:
    refused = failure_from_status(401, {"error": {"message": "No."}}, {})
    assert cli_text(refused).startswith('The server refused the key (401). The server said: "No."')
    assert "qwen-tui auth login" in cli_text(refused)
    assert cli_text(failure_from_status(503, {}, {})) == (
        "The server had an error (503). Run the command again."
    )
    no_model = ChatFailure("bad_request", "No model is chosen.", "pick_model")
    assert cli_text(no_model) == "No model is chosen. Choose one with --model (or OPENAI_MODEL)."
    plain = ChatFailure("bad_request", "The server rejected the request (400).")
    assert cli_text(plain) == tui_text(plain) == plain.message


def limited(seconds: float | None, kind: FailureKind = "rate_limit") -> ChatFailure:
    return ChatFailure(kind, "Rate limited (429).", retry_after=seconds, status=429)


def test_wait_policy_waits_only_when_the_server_said_how_long() -> None:
    policy = WaitPolicy()
    assert policy.wait_before_retry(limited(2), attempt=0, answered=False) == 2
    assert policy.wait_before_retry(limited(None), attempt=0, answered=False) is None
    assert policy.wait_before_retry(limited(61), attempt=0, answered=False) is None
    assert policy.wait_before_retry(limited(60), attempt=0, answered=False) == 60
    assert policy.wait_before_retry(limited(2, "server"), attempt=0, answered=False) == 2
    assert policy.wait_before_retry(limited(2, "quota"), attempt=0, answered=False) is None
    assert policy.wait_before_retry(None, attempt=0, answered=False) is None


def test_wait_policy_never_throws_away_an_answer_and_stops_after_three() -> None:
    policy = WaitPolicy()
    assert policy.wait_before_retry(limited(1), attempt=0, answered=True) is None
    assert policy.wait_before_retry(limited(1), attempt=2, answered=False) == 1
    assert policy.wait_before_retry(limited(1), attempt=3, answered=False) is None


def test_headless_waits_add_up_to_a_minute_at_most() -> None:
    assert HEADLESS_WAITS.wait_before_retry(limited(25), attempt=1, answered=False, waited=25) == 25
    assert (
        HEADLESS_WAITS.wait_before_retry(limited(25), attempt=2, answered=False, waited=50) is None
    )
    # The chat screen keeps its limits: three waits of up to a minute each.
    assert INTERACTIVE_WAITS.wait_before_retry(limited(60), attempt=2, answered=False, waited=120)


@pytest.mark.parametrize(
    ("content_type", "head", "page"),
    [
        ("text/html; charset=utf-8", b"", True),
        (None, b"  <!DOCTYPE html><html>", True),
        ("text/plain", "<HTML><body>", True),
        ("text/event-stream", b"data: {}", False),
        ("application/json", b'{"error": "x"}', False),
    ],
)
def test_web_page_sniffing(content_type: str | None, head: bytes | str, page: bool) -> None:
    assert looks_like_web_page(content_type, head) is page
