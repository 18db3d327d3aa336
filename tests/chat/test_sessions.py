"""Saved sessions: durable, private, tolerant of crashes, and free of secrets."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qwen_tui.chat import session_records
from qwen_tui.chat.messages import ChatMessage, Usage
from qwen_tui.chat.sessions import Session, SessionError, SessionStore
from qwen_tui.config.paths import sessions_dir

KEY = "sk-test-1234567890abcdefSECRET"


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


def saved(store: SessionStore, *texts: str, model: str | None = "qwen3") -> Session:
    """A session with alternating user/assistant messages, written to disk."""
    session = store.new(provider="ollama", model=model)
    for index, text in enumerate(texts):
        session.append(ChatMessage("user" if index % 2 == 0 else "assistant", text))
    return session


def touch(path: Path, stamp: float) -> None:
    os.utime(path, (stamp, stamp))


# ----- messages ------------------------------------------------------------------------


def test_usage_adds_up() -> None:
    assert Usage(1, 2) + Usage(10, 20) == Usage(11, 22)


def test_to_api_has_only_role_and_content() -> None:
    message = ChatMessage("assistant", "hi", reasoning="hmm", partial=True, model="m")
    assert message.to_api() == {"role": "assistant", "content": "hi"}


def test_from_record_tolerates_unknown_and_missing_keys() -> None:
    message = ChatMessage.from_record({"role": "user", "content": "x", "future": [1, 2]})
    assert (message.role, message.content, message.reasoning, message.partial) == (
        "user",
        "x",
        "",
        False,
    )
    assert message.usage is None and message.model is None and message.error is None


@pytest.mark.parametrize(
    "record", [{"role": "robot", "content": "x"}, {"role": "user"}, {"role": "user", "content": 3}]
)
def test_from_record_rejects_unusable_messages(record: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ChatMessage.from_record(record)


# ----- round trip and file layout ----------------------------------------------------------


def test_round_trip(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider="ollama", model="qwen3")
    question = ChatMessage("user", "Why is the sky blue?", created=100.0)
    answer = ChatMessage(
        "assistant",
        "Rayleigh scat",
        reasoning="think about light",
        partial=True,
        model="qwen3",
        usage=Usage(12, 3),
        error="The connection broke off.",
        created=101.5,
    )
    session.append(question)
    session.append(answer)

    reopened = store.open(session.id)

    assert reopened.messages == [question, answer]
    assert reopened.skipped_lines == 0
    assert (reopened.provider, reopened.model) == ("ollama", "qwen3")
    assert reopened.created == session.created


def test_header_first_then_one_line_per_message(isolated_home: Path) -> None:
    session = saved(SessionStore(isolated_home), "hello", "hi there")
    records = lines(session.path)
    header = records[0]
    assert header["type"] == "session" and header["version"] == 1
    assert header["id"] == session.id
    assert (header["provider"], header["model"]) == ("ollama", "qwen3")
    assert header["cwd"] == os.getcwd()
    assert [r["type"] for r in records[1:]] == ["message", "message"]
    assert [r["content"] for r in records[1:]] == ["hello", "hi there"]
    assert session.path == sessions_dir(isolated_home) / f"{session.id}.jsonl"


def test_files_are_private(isolated_home: Path) -> None:
    old_umask = os.umask(0o000)
    try:
        session = saved(SessionStore(isolated_home), "private code")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(session.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(session.path.parent.stat().st_mode) == 0o700


def test_file_is_created_lazily(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider=None, model=None)
    session.set_model("ollama", "qwen3")
    assert not session.path.exists()
    assert store.list() == []
    session.append(ChatMessage("user", "now"))
    assert session.path.exists()
    assert lines(session.path)[0]["model"] == "qwen3"


def test_each_append_is_on_disk_at_once(isolated_home: Path) -> None:
    session = SessionStore(isolated_home).new(provider=None, model=None)
    for text in ("first", "second"):
        session.append(ChatMessage("user", text))
        # Read through a separate handle while the session object is still alive.
        with open(session.path, "rb") as other:
            last = other.read().split(b"\n")[-2]
        assert json.loads(last)["content"] == text


def test_ids_are_unique_and_sort_by_time(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    ids = [store.new(provider=None, model=None).id for _ in range(50)]
    assert len(set(ids)) == 50
    stamp = time.strftime("%Y%m%d-")
    assert all(i.startswith(stamp) and len(i) == len("20261128-153012-a1b2c3") for i in ids)


def test_append_after_outside_delete_recreates_file_with_header(isolated_home: Path) -> None:
    session = saved(SessionStore(isolated_home), "one")
    session.path.unlink()
    session.append(ChatMessage("assistant", "two"))
    records = lines(session.path)
    assert records[0]["type"] == "session"
    assert [r["content"] for r in records[1:]] == ["two"]
    assert stat.S_IMODE(session.path.stat().st_mode) == 0o600


def test_model_change_is_recorded(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "hello")
    session.set_model("openrouter", "qwen-max")
    session.set_model("openrouter", "qwen-max")  # unchanged: no second line
    assert [r["type"] for r in lines(session.path)] == ["session", "message", "meta"]
    reopened = store.open(session.id)
    assert (reopened.provider, reopened.model) == ("openrouter", "qwen-max")
    assert store.list()[0].model == "qwen-max"


def test_write_failure_is_a_session_error_and_keeps_the_message(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider=None, model=None)
    sessions_dir(isolated_home).parent.mkdir(parents=True, exist_ok=True)
    sessions_dir(isolated_home).write_text("not a folder")
    with pytest.raises(SessionError, match="Could not save the conversation"):
        session.append(ChatMessage("user", "hello"))
    assert [m.content for m in session.messages] == ["hello"]


# ----- crashes and corrupt files -------------------------------------------------------


def test_truncated_last_line_is_skipped_and_counted(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "question", "answer")
    data = session.path.read_bytes()
    session.path.write_bytes(data[:-15])  # a crash mid-way through the answer

    reopened = store.open(session.id)

    assert [m.content for m in reopened.messages] == ["question"]
    assert reopened.skipped_lines == 1


def test_append_after_truncated_line_starts_a_new_line(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "question", "answer")
    session.path.write_bytes(session.path.read_bytes()[:-15])
    reopened = store.open(session.id)
    reopened.append(ChatMessage("assistant", "retried answer"))

    again = store.open(session.id)

    assert [m.content for m in again.messages] == ["question", "retried answer"]
    assert again.skipped_lines == 1


def test_bad_lines_are_skipped_not_fatal(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "one")
    with open(session.path, "ab") as stream:
        stream.write(b"not json\n[1, 2]\n")
        stream.write(b'{"type": "message", "role": "wizard", "content": "x"}\n')
        stream.write(b'{"type": "from-the-future", "x": 1}\n')
        stream.write(b"\xff\xfe\n")
    session.append(ChatMessage("assistant", "two"))

    reopened = store.open(session.id)

    assert [m.content for m in reopened.messages] == ["one", "two"]
    assert reopened.skipped_lines == 4


# ----- finding sessions --------------------------------------------------------------------


def test_open_by_unique_prefix(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "hello")
    assert store.open(session.id[:-2]).id == session.id
    assert store.open(session.id + ".jsonl").id == session.id


def test_open_ambiguous_prefix(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    first, second = saved(store, "a"), saved(store, "b")
    common = ""
    for x, y in zip(first.id, second.id, strict=True):
        if x != y:
            break
        common += x
    assert common  # both ids start with the date
    with pytest.raises(SessionError, match="More than one saved session starts with") as error:
        store.open(common)
    assert first.id in str(error.value) and second.id in str(error.value)


@pytest.mark.parametrize("wanted", ["nope", "", "../settings", "a/b"])
def test_open_unknown(isolated_home: Path, wanted: str) -> None:
    saved(SessionStore(isolated_home), "hello")
    with pytest.raises(SessionError) as error:
        SessionStore(isolated_home).open(wanted)
    assert str(error.value) == (f"No saved session with id {wanted!r}. Run /resume to list them.")


def test_latest(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    assert store.latest() is None
    older, newer = saved(store, "older"), saved(store, "newer")
    touch(older.path, 1_000_000)
    touch(newer.path, 2_000_000)
    latest = store.latest()
    assert latest is not None and latest.id == newer.id
    touch(older.path, 3_000_000)
    latest = store.latest()
    assert latest is not None and latest.id == older.id
    assert [m.content for m in latest.messages] == ["older"]


def test_list_order_titles_and_counts(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    long = "  A very long first line " + "x" * 100 + "\nsecond line"
    first = saved(store, long, "answer", "follow-up")
    second = saved(store, "\n\n  Short   question  \nmore", "answer")
    empty = store.new(provider=None, model=None)
    empty.append(ChatMessage("system", "be brief"))
    touch(first.path, 1_000_000)
    touch(second.path, 3_000_000)
    touch(empty.path, 2_000_000)

    infos = store.list()

    assert [i.id for i in infos] == [second.id, empty.id, first.id]
    assert [i.messages for i in infos] == [2, 1, 3]
    assert infos[0].title == "Short question"
    assert infos[1].title == "(empty)"
    assert len(infos[2].title) == 60
    assert infos[2].title.startswith("A very long first line xxx")
    assert infos[2].title.endswith("…")
    assert infos[0].updated == 3_000_000
    assert infos[0].created == pytest.approx(second.created)
    assert (infos[0].provider, infos[0].model) == ("ollama", "qwen3")
    assert infos[0].path == second.path
    assert [i.id for i in store.list(limit=2)] == [second.id, empty.id]


@pytest.mark.parametrize("chunk", [1, 5, 17, 1 << 20])
def test_list_counts_messages_across_chunks(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """The count and the last model must not depend on where read boundaries fall."""
    monkeypatch.setattr(session_records, "_CHUNK", chunk)
    store = SessionStore(isolated_home)
    session = store.new(provider="a", model="m1")
    texts = ["y" * size for size in range(0, 300, 7)]
    for index, text in enumerate(texts):
        session.append(ChatMessage("user", text))
        if index == 20:
            session.set_model("b", "m2")
    [info] = store.list()
    assert info.messages == len(texts)
    assert (info.provider, info.model) == ("b", "m2")


def test_list_ignores_other_files(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "hello")
    (session.path.parent / "notes.txt").write_text("x")
    (session.path.parent / "folder.jsonl").mkdir()
    assert [i.id for i in store.list()] == [session.id]


# ----- delete and export -------------------------------------------------------------------


def test_delete(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    keep, gone = saved(store, "keep"), saved(store, "gone")
    store.delete(gone.id)
    assert not gone.path.exists() and keep.path.exists()
    with pytest.raises(SessionError, match="No saved session"):
        store.delete(gone.id)


def test_delete_all(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    assert store.delete_all() == 0
    for text in ("a", "b", "c"):
        saved(store, text)
    assert store.delete_all() == 3
    assert store.list() == []


def test_export_markdown(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider="ollama", model="qwen3")
    session.append(ChatMessage("user", "What is 2+2?"))
    session.append(ChatMessage("assistant", "4", reasoning="SECRET THOUGHTS"))
    session.append(ChatMessage("user", "And 3+3?"))
    session.append(ChatMessage("assistant", "It is", partial=True, error="Stopped."))

    text = store.export_markdown(session.id)

    assert text.startswith("# What is 2+2?\n")
    assert "ollama / qwen3" in text and session.id in text
    assert "SECRET THOUGHTS" not in text
    body = text[text.index("### You") :]
    assert body == (
        "### You\n\nWhat is 2+2?\n\n### Assistant\n\n4\n\n"
        "### You\n\nAnd 3+3?\n\n### Assistant\n\nIt is\n\n*(Answer incomplete: Stopped.)*\n"
    )


# ----- secrets -----------------------------------------------------------------------------


def test_registered_secrets_never_reach_the_disk(isolated_home: Path) -> None:
    current = [KEY, "short"]
    store = SessionStore(isolated_home, secrets=lambda: current)
    session = store.new(provider="openai", model="qwen-plus")
    prompt = ChatMessage("user", f"my key is {KEY}, is it valid? short")
    session.append(prompt)
    session.append(
        ChatMessage("assistant", f"{KEY} looks fine", reasoning=KEY, error=f"401 for {KEY}")
    )
    new_token = "oauth-token-abcdefghijklmnop"
    current.append(new_token)  # a sign-in while the app runs
    session.append(ChatMessage("user", f"token {new_token}"))

    data = session.path.read_bytes()

    assert KEY.encode() not in data and new_token.encode() not in data
    assert data.count(b"[redacted]") == 5
    assert b"short" in data  # too short to be a real secret: left alone
    assert session.messages[0] is prompt and KEY in prompt.content  # the screen keeps it
    assert store.open(session.id).messages[0].content == "my key is [redacted], is it valid? short"


def test_without_secrets_nothing_is_redacted(isolated_home: Path) -> None:
    session = saved(SessionStore(isolated_home), f"my key is {KEY}")
    assert KEY.encode() in session.path.read_bytes()


# ----- any text round-trips ----------------------------------------------------------------


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(
        st.text(
            alphabet=st.one_of(
                st.characters(),
                st.sampled_from(['"', "\\", "\n", "\r", "\u2028", "\u2029", "\x00", "\x85"]),
            )
        ),
        min_size=1,
        max_size=4,
    ),
    reasoning=st.text(),
)
def test_any_text_round_trips(isolated_home: Path, texts: list[str], reasoning: str) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider=None, model=None)
    written = [ChatMessage("assistant", text, reasoning=reasoning) for text in texts]
    for message in written:
        session.append(message)
    reopened = store.open(session.id)
    assert reopened.messages == written
    assert reopened.skipped_lines == 0
    assert {i.id: i.messages for i in store.list(limit=10_000)}[session.id] == len(texts)


def test_lone_surrogate_is_saved_not_fatal(isolated_home: Path) -> None:
    store = SessionStore(isolated_home)
    session = store.new(provider=None, model=None)
    session.append(ChatMessage("user", "broken \ud800 text"))
    assert store.open(session.id).messages[0].content == "broken \ud800 text"


def test_a_compress_line_replaces_the_messages_before_it_when_loaded(
    isolated_home: Path,
) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "one", "first answer", "two", "second answer")
    summary = [ChatMessage("user", "Summary: one.", summary=True)]
    session.compress(2, summary)
    session.append(ChatMessage("user", "three"))
    session.close()
    assert [m.content for m in session.messages] == [
        "Summary: one.",
        "two",
        "second answer",
        "three",
    ]
    lines = session.path.read_text().splitlines()
    assert sum('"type": "message"' in line for line in lines) == 5  # nothing is rewritten
    reopened = store.open(session.id)
    assert [m.content for m in reopened.messages] == [m.content for m in session.messages]
    assert reopened.messages[0].summary and not reopened.messages[1].summary
    reopened.close()


@pytest.mark.parametrize(
    "line",
    [
        {"type": "compress", "replaced": 9, "messages": []},
        {"type": "compress", "replaced": True, "messages": []},
        {"type": "compress", "replaced": 1, "messages": "nope"},
        {"type": "compress", "replaced": 1, "messages": [{"role": "nobody", "content": ""}]},
    ],
)
def test_an_unusable_compress_line_is_skipped_and_counted(
    isolated_home: Path, line: dict[str, object]
) -> None:
    store = SessionStore(isolated_home)
    session = saved(store, "one", "first answer")
    session.close()
    with session.path.open("a") as file:
        file.write(json.dumps(line) + "\n")
    reopened = store.open(session.id)
    assert [m.content for m in reopened.messages] == ["one", "first answer"]
    assert reopened.skipped_lines == 1
    reopened.close()
