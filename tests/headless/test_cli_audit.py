"""``qwen-tui audit``: a ``-p`` run leaves a ledger that matches what the server received."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.headless.test_cli_auth import KEY as AUTH_KEY
from tests.headless.test_cli_auth import run as run_auth
from tests.headless.test_cli_prompt import environment, run
from tests.support.ledger_checks import assert_matches_server
from tests.support.servers.openai_server import openai_server


def test_a_prompt_run_leaves_a_ledger_request_for_request(isolated_home: Path) -> None:
    with openai_server(chat_pieces=["Hello"]) as server:
        result = run("-p", "say hi", env=environment(server.base_url))
        assert result.returncode == 0, result.stderr
        audit = run("audit", "--json", env=environment())
    assert audit.returncode == 0, audit.stderr
    entries = json.loads(audit.stdout)
    assert [e["purpose"] for e in entries] == ["chat"]
    assert entries[0]["content"] == "prompt"
    assert_matches_server(entries, server)
    (ledger,) = (isolated_home / "ledgers").iterdir()
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    assert "say hi" not in ledger.read_text() and "sk-test-key" not in ledger.read_text()

    table = run("audit", "--session", ledger.stem[:15], env=environment())
    assert table.returncode == 0, table.stderr
    heading, columns, row, total = table.stdout.splitlines()
    assert heading == f"This session's connections: {ledger.stem}"
    assert columns.split() == [
        "Time",
        "Purpose",
        "Content",
        "Request",
        "Sent",
        "Received",
        "Result",
    ]
    assert (
        "answer" in row
        and "POST 127.0.0.1:" in row
        and "/v1/chat/completions" in row
        and row.endswith("200")
    )
    assert total.startswith("1 · ")


def test_audit_says_when_there_is_nothing_to_show() -> None:
    result = run("audit", env=environment())
    assert result.returncode == 2
    assert result.stderr == "error: no session has a network ledger yet.\n"
    result = run("audit", "--session", "nope", env=environment())
    assert result.returncode == 2
    assert "no session 'nope' has a network ledger" in result.stderr


def test_a_hand_edited_ledger_is_shown_safely(isolated_home: Path) -> None:
    folder = isolated_home / "ledgers"
    folder.mkdir(parents=True)
    entry = {
        "at": 1_796_000_000,
        "purpose": "chat",
        "content": "prompt",
        "method": "POST",
        "host": "evil\x1b]52;c;aGk=\x07.example",
        "port": 443,
        "path": "/v1",
        "sent": 3,
        "received": 4,
        "status": 200,
        "error": None,
    }
    (folder / "20261203-101010-abcdef.jsonl").write_text(
        json.dumps(entry) + "\n{cut short by a cra\n"
    )
    result = run("audit", env=environment())
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "evil␛]52;c;aGk=␇.example:443/v1" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 · 3 B ↑ · 4 B ↓")


def test_a_sign_in_with_a_key_leaves_its_key_check_in_a_ledger(isolated_home: Path) -> None:
    with openai_server(api_key=AUTH_KEY) as server:
        result = run_auth(
            "auth",
            "login",
            "--base-url",
            server.base_url,
            "--allow-file-store",
            stdin=AUTH_KEY + "\n",
        )
        assert result.returncode == 0, result.stderr
    audit = run("audit", "--json", env=environment())
    entries = json.loads(audit.stdout)
    assert {e["purpose"] for e in entries} == {"key_check"}
    assert_matches_server(entries, server)
    (ledger,) = (isolated_home / "ledgers").iterdir()
    assert AUTH_KEY not in ledger.read_text()
