"""The network ledger: every request the app sends, with what kind of data went with it.

The app promises to talk only to the provider in use, the sign-in server while signing
in, loopback servers while looking for local ones and (with consent, under Qwen OAuth)
the usage-statistics collector. The ledger makes that promise checkable: each request
is one :class:`Connection` (time, host and port, a purpose and a content kind from the
closed lists below, bytes of the bodies sent and received, the status), never the
content itself and never a header.

Every HTTP client is built by :mod:`qwen_tui.net.clients`, which records here; the
usage-statistics export, which runs on the standard library, records through
:func:`record_exchange`. One process-wide :class:`Ledger` (:func:`current`) holds the
run's entries in memory, tells listeners (the Privacy tab) of each change, and appends
each finished entry to the session's ledger file (JSON Lines, 0600) once the front end
has bound one with :meth:`Ledger.bind`.

Standard library only: the export thread imports this module and must never import
httpx (see :mod:`qwen_tui.telemetry.transport`).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

__all__ = [
    "CONTENT_KINDS",
    "PURPOSES",
    "Connection",
    "Content",
    "Ledger",
    "Purpose",
    "content_kind",
    "current",
    "read_ledger",
    "record_exchange",
]

Purpose = Literal[
    "chat",
    "model_list",
    "key_check",
    "sign_in",
    "token_refresh",
    "usage_statistics",
    "local_probe",
    "mcp",
]
"""Why a request was sent; docs/privacy.md explains each."""

Content = Literal["none", "prompt", "tool_output", "sign_in", "usage_statistics"]
"""What kind of the user's data went with a request (never the data itself):

- ``none``: nothing of the user's (a model list, a probe, a key check);
- ``prompt``: the conversation (what the user typed and the answers so far);
- ``tool_output``: the conversation with what tools read (file contents, command output);
- ``sign_in``: the codes and tokens of the OAuth sign-in;
- ``usage_statistics``: the consented usage events shown on the Privacy tab.
"""

PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
CONTENT_KINDS: tuple[Content, ...] = get_args(Content)

_content_override: contextvars.ContextVar[Content | None] = contextvars.ContextVar(
    "ledger_content", default=None
)


@contextlib.contextmanager
def content_kind(kind: Content) -> Iterator[None]:
    """Say what the requests sent inside this block carry, whatever their client says.

    One chat client sends both plain prompts and prompts with tool output; the chat
    service wraps each request in this block. Do not ``yield`` inside it from an async
    generator: the value belongs to the task that set it.
    """
    token = _content_override.set(kind)
    try:
        yield
    finally:
        _content_override.reset(token)


def effective_content(default: Content) -> Content:
    """The content kind of a request about to be sent by a client made for ``default``."""
    return _content_override.get() or default


@dataclass(eq=False)
class Connection:
    """One request and its answer, as the ledger keeps it (equal only to itself: two
    identical requests are two entries).

    Attributes:
        at: When the request was sent (seconds since the epoch).
        purpose: Why it was sent.
        content: What kind of the user's data went with it.
        method: The HTTP method.
        scheme: ``http`` or ``https``.
        host: The host name or address asked for.
        port: The port.
        path: The URL's path, without the query (which may hold a key).
        sent: Bytes of the request body sent.
        received: Bytes of the answer body received (as they came over the wire).
        status: The HTTP status, ``None`` while waiting or when no answer came.
        error: The kind of failure when no full answer came (``ConnectError``…).
        done: Whether the exchange is over.
    """

    at: float
    purpose: Purpose
    content: Content
    method: str
    scheme: str
    host: str
    port: int
    path: str
    sent: int = 0
    received: int = 0
    status: int | None = None
    error: str | None = None
    done: bool = False
    _ledger: Ledger | None = field(default=None, repr=False)

    def add_sent(self, count: int) -> None:
        """Count ``count`` more request bytes."""
        self.sent += count

    def add_received(self, count: int) -> None:
        """Count ``count`` more answer bytes."""
        self.received += count

    def finish(self, *, status: int | None = None, error: str | None = None) -> None:
        """End the exchange (only the first call counts) and write it to the ledger file."""
        if self.done:
            return
        if status is not None:
            self.status = status
        if error is not None:
            self.error = error
        self.done = True
        if self._ledger is not None:
            self._ledger.finished(self)

    def to_record(self) -> dict[str, Any]:
        """The JSON object of one ledger line."""
        return {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.at)),
            **{name: getattr(self, name) for name in RECORD_FIELDS},
        }


RECORD_FIELDS = (
    "at",
    "purpose",
    "content",
    "method",
    "scheme",
    "host",
    "port",
    "path",
    "sent",
    "received",
    "status",
    "error",
)
"""The fields of a ledger line (with ``time``, ``at`` as a UTC ISO 8601 string)."""

Listener = Callable[[], None]


class Ledger:
    """The connections of this run, and the file of the session they are kept for.

    Thread-safe: requests finish on the event loop, in the token-refresh thread and in
    the usage-statistics export thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[Connection] = []
        self._listeners: list[Listener] = []
        self._path: Path | None = None
        self._bound_once = False

    def open(
        self, *, purpose: Purpose, content: Content, method: str, url: tuple[str, str, int, str]
    ) -> Connection:
        """Start an entry for a request about to be sent; finish it with ``finish``.

        Args:
            purpose: Why it is sent.
            content: What kind of data goes with it.
            method: The HTTP method.
            url: ``(scheme, host, port, path)``.
        """
        scheme, host, port, path = url
        entry = Connection(
            at=time.time(),
            purpose=purpose,
            content=content,
            method=method.upper(),
            scheme=scheme,
            host=host,
            port=port,
            path=path,
            _ledger=self,
        )
        with self._lock:
            self._entries.append(entry)
        self._tell()
        return entry

    def finished(self, entry: Connection) -> None:
        """Write a finished entry to the session's file and tell the listeners."""
        with self._lock:
            path = self._path if entry in self._entries else None
        if path is not None:
            _append(path, entry.to_record())
        self._tell()

    def entries(self) -> list[Connection]:
        """A copy of this session's entries so far, oldest first."""
        with self._lock:
            return list(self._entries)

    def bind(self, path: Path | None) -> None:
        """Keep the entries from now on in ``path`` (a session's ledger file).

        The first session of a run also gets what was sent before it existed (the
        probe for local servers, a sign-in); a later one (``/new``, ``/resume``)
        starts its table afresh. ``None`` stops writing.
        """
        with self._lock:
            if path == self._path:
                return
            carried = [e for e in self._entries if e.done] if not self._bound_once else []
            if self._bound_once:
                self._entries = [e for e in self._entries if not e.done]
            self._path = path
            self._bound_once = self._bound_once or path is not None
        if path is not None:
            for entry in carried:
                _append(path, entry.to_record())
        self._tell()

    @property
    def path(self) -> Path | None:
        """The file entries are written to, if a session is bound."""
        return self._path

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` (from any thread) after each change; returns the unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _tell(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


def _append(path: Path, record: dict[str, Any]) -> None:
    """Append one line to a ledger file, private (0600 in a 0700 folder) from its first byte.

    A ledger that cannot be written loses that line, not the request: the request has
    been sent already, and the in-memory table still shows it.
    """
    data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
    except OSError:
        return
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
        os.write(fd, data)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_ledger(path: Path) -> list[dict[str, Any]]:
    """The entries of a ledger file; lines that cannot be read are skipped.

    Raises:
        OSError: When the file cannot be read.
    """
    entries = []
    for raw in path.read_bytes().split(b"\n"):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict):
            entries.append(record)
    return entries


def record_exchange(
    *,
    purpose: Purpose,
    content: Content,
    method: str,
    url: tuple[str, str, int, str],
    sent: int,
    received: int,
    status: int | None,
    error: str | None = None,
) -> None:
    """Record an exchange made without :mod:`qwen_tui.net.clients` (the standard library)."""
    entry = current().open(purpose=purpose, content=content, method=method, url=url)
    entry.add_sent(sent)
    entry.add_received(received)
    entry.finish(status=status, error=error)


_LEDGER = Ledger()


def current() -> Ledger:
    """The ledger of this process."""
    return _LEDGER
