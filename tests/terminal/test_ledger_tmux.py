"""The real ``qwen-tui`` in tmux: a chat session leaves a ledger that ``qwen-tui audit``
prints and that matches, request for request, what the server received."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

from tests.support.ledger_checks import assert_matches_server
from tests.support.servers.openai_server import openai_server
from tests.support.waiting import wait_until
from tests.terminal import test_e2e_tmux
from tests.terminal.test_e2e_tmux import KEY, Tmux

launch = test_e2e_tmux.launch
tmux_available = test_e2e_tmux.tmux_available


def test_a_chat_session_leaves_a_ledger_that_audit_prints(launch: Callable[..., Tmux]) -> None:
    with openai_server(api_key=KEY, chat_pieces=["Fine, ", "thanks."]) as server:
        tmux = launch(
            OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=KEY, OPENAI_MODEL="test-model"
        )
        tmux.wait_for(lambda s: "test-model" in s and "session" in s)
        tmux.type("How are you?", literal=True)
        tmux.type("Enter")
        tmux.wait_for(lambda s: "thanks." in s)
        tmux.type("C-q")
        wait_until(lambda: not tmux.alive(), "Ctrl+Q did not end the app")
    audit = subprocess.run(
        [sys.executable, "-m", "qwen_tui", "audit", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert audit.returncode == 0, audit.stderr
    entries = json.loads(audit.stdout)
    assert [(e["purpose"], e["content"]) for e in entries] == [("chat", "prompt")]
    assert_matches_server(entries, server)
