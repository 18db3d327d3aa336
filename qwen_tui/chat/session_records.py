"""How session files are written and read line by line, and summarised for listing.

Kept apart from :mod:`qwen_tui.chat.sessions` (which owns files and their life cycle) so
that the record format lives in one place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qwen_tui.chat.messages import ChatMessage
from qwen_tui.text.redact import redact

TITLE_LENGTH = 60
EMPTY_TITLE = "(empty)"

# What a message / meta line starts with, as written by _encode. ``list`` counts
# messages by searching for these at line starts instead of parsing every line.
_MESSAGE_MARK = b'\n{"type": "message", '
_META_MARK = b'\n{"type": "meta", '
_CHUNK = 1 << 20
# How far ``list`` reads looking for the first user message before giving up.
_TITLE_SCAN_LINES = 20


@dataclass(frozen=True)
class SessionInfo:
    """A saved session as listed for ``/resume``, read without loading it.

    Attributes:
        id: The session id (the file name without ``.jsonl``).
        path: The session file.
        title: The first user message's first line, at most 60 characters.
        created: When the session started (from the header, else the file time).
        updated: When the file was last written.
        model: The model last chosen in the session, if known.
        provider: The provider last chosen in the session, if known.
        messages: How many message lines the file has (see :meth:`SessionStore.list`).
    """

    id: str
    path: Path
    title: str
    created: float
    updated: float
    model: str | None
    provider: str | None
    messages: int


def read_info(path: Path) -> SessionInfo:
    """Summarise one session file cheaply, for ``/resume``.

    The title comes from parsing at most the first few lines; messages are counted by
    searching the raw bytes for the start of message lines (exact for files this app
    writes), so listing many long sessions stays fast."""
    status = path.stat()
    header: dict[str, Any] | None = None
    title = EMPTY_TITLE
    count = 0
    last_meta = -1
    with path.open("rb") as stream:
        for index, raw in enumerate(stream):
            if index >= _TITLE_SCAN_LINES:
                break
            record = decode(raw)
            if record is None:
                continue
            if index == 0 and record.get("type") == "session":
                header = record
            elif record.get("type") == "message" and record.get("role") == "user":
                content = record.get("content")
                if isinstance(content, str):
                    title = _title_line(content)
                    break
        # One pass over the whole file in big chunks, counting message lines and
        # remembering where the last meta line starts. The chunks overlap by one
        # mark's length so a mark split across two chunks is still seen.
        stream.seek(0)
        overlap = max(len(_MESSAGE_MARK), len(_META_MARK)) - 1
        tail = b""
        offset = 0  # file offset of the first byte of ``tail + chunk``
        while chunk := stream.read(_CHUNK):
            window = tail + chunk
            # ``tail`` is shorter than a mark, so no mark is counted twice.
            count += window.count(_MESSAGE_MARK)
            found = window.rfind(_META_MARK)
            if found >= 0:
                last_meta = max(last_meta, offset + found + 1)
            tail = window[-overlap:] if len(window) > overlap else window
            offset += len(window) - len(tail)
        provider = opt_str(header, "provider") if header else None
        model = opt_str(header, "model") if header else None
        if last_meta >= 0:
            stream.seek(last_meta)
            meta = decode(stream.readline())
            if meta is not None:
                provider, model = opt_str(meta, "provider"), opt_str(meta, "model")
    created = header.get("created") if header else None
    if not isinstance(created, int | float) or isinstance(created, bool):
        created = status.st_mtime
    return SessionInfo(
        id=path.stem,
        path=path,
        title=title,
        created=float(created),
        updated=status.st_mtime,
        model=model,
        provider=provider,
        messages=count,
    )


def transcript_markdown(
    messages: list[ChatMessage],
    session_id: str,
    created: float,
    provider: str | None,
    model_name: str | None,
) -> str:
    """A readable Markdown transcript of a conversation.

    Reasoning is left out: it is the model's scratch work, long and rarely wanted in a
    transcript. Answers that broke off are marked as such.
    """
    title = _title(messages)
    lines = [f"# {title}", "", f"- Session: `{session_id}`"]
    lines.append(f"- Started: {_local_time(created)}")
    model = " / ".join(part for part in (provider, model_name) if part)
    if model:
        lines.append(f"- Model: {model}")
    for message in messages:
        heading = {"user": "You", "assistant": "Assistant", "system": "System"}
        lines += ["", f"### {heading[message.role]}", "", message.content.rstrip()]
        if message.partial:
            reason = f": {message.error}" if message.error else ""
            lines += ["", f"*(Answer incomplete{reason})*"]
    return "\n".join(lines) + "\n"


def replace_all(value: Any, secrets: list[str]) -> Any:
    """``value`` with every form of every secret in every string redacted (see
    :func:`qwen_tui.text.redact`), through nested dicts and lists."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {key: replace_all(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_all(item, secrets) for item in value]
    return value


def encode(record: dict[str, Any]) -> bytes:
    """One JSON line. ``type`` must come first: :meth:`SessionStore.list` relies on it.

    Text is kept readable (``ensure_ascii=False``); a string that is not valid Unicode
    (a lone surrogate) falls back to ``\\u`` escapes instead of failing the write.
    """
    text = json.dumps(record, ensure_ascii=False)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        return json.dumps(record).encode("ascii") + b"\n"


def decode(raw: bytes) -> dict[str, Any] | None:
    """A record from one line, or ``None`` if the line is not a JSON object."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return value if isinstance(value, dict) else None


def opt_str(record: dict[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None


def _title_line(content: str) -> str:
    """The first non-blank line of ``content``, at most :data:`TITLE_LENGTH` long."""
    for line in content.splitlines():
        line = " ".join(line.split())
        if line:
            if len(line) > TITLE_LENGTH:
                return line[: TITLE_LENGTH - 1].rstrip() + "…"
            return line
    return EMPTY_TITLE


def _title(messages: list[ChatMessage]) -> str:
    for message in messages:
        if message.role == "user":
            return _title_line(message.content)
    return EMPTY_TITLE


def _local_time(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
