"""A session's network ledger lives beside it and is deleted with it."""

from __future__ import annotations

from pathlib import Path

from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.sessions import SessionStore
from qwen_tui.net import ledger
from tests.support.ledger_checks import record_one


def a_session_with_a_ledger(store: SessionStore, source: ledger.Ledger) -> Path:
    session = store.new(provider="openai", model="m")
    session.append(ChatMessage(role="user", content="hi"))
    source.bind(session.ledger_path)
    record_one("chat", "prompt", "/v1/chat/completions", sent=5, received=7)
    assert session.ledger_path.exists()
    assert session.ledger_path == store.home / "ledgers" / f"{session.id}.jsonl"
    return session.ledger_path


def test_deleting_a_session_deletes_its_ledger(
    isolated_home: Path, fresh_ledger: ledger.Ledger
) -> None:
    store = SessionStore(isolated_home)
    kept = a_session_with_a_ledger(store, fresh_ledger)
    gone = a_session_with_a_ledger(store, fresh_ledger)
    store.delete(gone.stem)
    assert not gone.exists()
    assert kept.exists()
    assert [info.id for info in store.list()] == [kept.stem]


def test_deleting_every_session_deletes_every_ledger(
    isolated_home: Path, fresh_ledger: ledger.Ledger
) -> None:
    store = SessionStore(isolated_home)
    a_session_with_a_ledger(store, fresh_ledger)
    a_session_with_a_ledger(store, fresh_ledger)
    # A -p run keeps a ledger without a saved conversation; it goes too.
    fresh_ledger.bind(store.new(provider=None, model=None).ledger_path)
    record_one("model_list", "none", "/v1/models", method="GET", received=9)
    assert len(list((isolated_home / "ledgers").iterdir())) == 3
    assert store.delete_all() == 2
    assert list((isolated_home / "ledgers").iterdir()) == []
