"""Saved conversations: one append-only JSON Lines file per session.

Layout: ``$QWEN_TUI_HOME/sessions/<id>.jsonl`` (folder 0700, file 0600, because
conversations hold code and private text). Line 1 is a header::

    {"type": "session", "version": 1, "id": ..., "created": ..., "provider": ...,
     "model": ..., "cwd": ...}

then one ``{"type": "message", ...}`` line per finished message and, when the model
changes mid-conversation, ``{"type": "meta", "provider": ..., "model": ...}`` lines;
``/compress`` adds ``{"type": "compress", "replaced": N, "messages": [...]}``: the
first N messages read so far are replaced by the summary messages.

Why append-only and fsync per message: a killed process (or a power cut) then loses at
most the answer that was still streaming, and never rewrites, so never corrupts, what
was already saved. A line half-written by a crash is skipped when loading, and the
session says how many were (:attr:`Session.notices`).

One writer per session: a session holds a lock (``<id>.jsonl.lock``, via filelock, an
OS lock that dies with the process) from the moment it is opened or first written. A
second copy of the app that resumes the same session cannot take it; it shows the
conversation, says why what is added there is not saved, and saves nothing into the
file, so two windows never interleave their messages in one file.

No secret is meant to reach these files, but the store also scrubs defensively: every
string written is searched for the secrets the caller registered (the API key, OAuth
tokens), so a key pasted into a prompt is saved as ``[redacted]``.
"""

from __future__ import annotations

import builtins
import concurrent.futures
import contextlib
import os
import re
import secrets as _random
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.session_records import (
    SessionInfo,
    decode,
    encode,
    opt_str,
    read_info,
    replace_all,
    transcript_markdown,
)
from qwen_tui.config.atomic import fsync_folder
from qwen_tui.config.paths import ensure_private_dir, ledgers_dir, sessions_dir
from qwen_tui.text.errors import UserFacingError

if TYPE_CHECKING:
    from filelock import BaseFileLock

FORMAT_VERSION = 1
SUFFIX = ".jsonl"

# Secrets shorter than this are not scrubbed: local servers take placeholder keys such
# as "ollama" or "none", and replacing every such word in a conversation would mangle
# it while protecting nothing. Real API keys and tokens are far longer.
MIN_SECRET_LENGTH = 8

# A session id is also a file name, so only these characters are accepted from users;
# anything else (a slash, "..") could point outside the sessions folder.
_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class SessionError(UserFacingError):
    """A session could not be found, read or written; the text is for the user."""


Scrubber = Callable[[Any], Any]


class Session:
    """An open, writable conversation.

    The file is created on the first :meth:`append`, so opening a new chat and leaving
    it leaves nothing behind. Each append opens, writes, fsyncs and closes the file:
    no handle is held open, so a file deleted from outside is recreated (with a header)
    by the next append instead of writes vanishing into an unlinked inode.

    Attributes:
        id: The session id.
        path: The session file (it may not exist yet).
        ledger_path: The session's network ledger (:mod:`qwen_tui.net.ledger`), kept
            beside the sessions folder and deleted with the session.
        messages: The conversation in memory, as the user saw it (not scrubbed).
        provider: The provider in use, for the header and ``/resume``.
        model: The model in use.
        created: When the session started.
        cwd: The working folder the session started in.
        skipped_lines: Lines that could not be read when the session was opened.
        locked_elsewhere: Another copy of the app has the session open, so nothing
            added here is saved (see :meth:`append`).
    """

    def __init__(
        self,
        session_id: str,
        path: Path,
        *,
        scrub: Scrubber,
        provider: str | None = None,
        model: str | None = None,
        created: float | None = None,
        cwd: str | None = None,
        messages: list[ChatMessage] | None = None,
        skipped_lines: int = 0,
    ) -> None:
        """Set up a session; use :class:`SessionStore` rather than calling this."""
        self.id = session_id
        self.path = path
        self.ledger_path = ledger_file(path)
        self.messages: list[ChatMessage] = messages if messages is not None else []
        self.provider = provider
        self.model = model
        self.created = time.time() if created is None else created
        self.cwd = os.getcwd() if cwd is None else cwd
        self.skipped_lines = skipped_lines
        self.locked_elsewhere = False
        self._scrub = scrub
        self._lock: BaseFileLock | None = None
        self._pending: concurrent.futures.Future[None] | None = None

    @property
    def notices(self) -> tuple[str, ...]:
        """What the user should be told about this session when it is shown."""
        said = []
        if self.skipped_lines:
            lines = "line" if self.skipped_lines == 1 else "lines"
            said.append(
                f"{self.skipped_lines} {lines} of this saved conversation could not be "
                "read (cut short by a crash, or edited by hand) and were skipped."
            )
        if self.locked_elsewhere:
            said.append(_LOCKED_ELSEWHERE)
        return tuple(said)

    def lock(self) -> bool:
        """Take the session's lock unless this copy holds it already; ``False`` when
        another copy of the app holds it (then :attr:`locked_elsewhere` is set)."""
        if self._lock is not None and self._lock.is_locked:
            return True
        import filelock

        lock = filelock.FileLock(
            str(self.path.with_name(self.path.name + ".lock")),
            timeout=0,
            mode=0o600,
            thread_local=False,
            # Within one process the lock is shared and counted: only another copy of
            # the app is kept out, not a second view of the session in this one.
            is_singleton=True,
        )
        try:
            ensure_private_dir(self.path.parent)
            lock.acquire()
        except filelock.Timeout:
            self.locked_elsewhere = True
            return False
        except OSError as error:
            raise SessionError(_write_failure(self.path, error)) from error
        self._lock = lock
        self.locked_elsewhere = False
        return True

    def close(self) -> None:
        """Let go of the session's lock (another window may then continue it), once
        the writes still under way are done."""
        self._drain()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def append(self, message: ChatMessage) -> None:
        """Add a finished message and put it on disk before returning.

        The message is kept in memory even when writing fails, so the conversation can
        go on; the caller decides how to tell the user.

        Raises:
            SessionError: When the file cannot be written (disk full, no permission).
        """
        self.messages.append(message)
        self._drain()
        self._write({"type": "message", **message.to_record()})

    def append_later(self, message: ChatMessage) -> concurrent.futures.Future[None]:
        """Add a finished message now and put it on disk in the background.

        For a message of megabytes: scrubbing, encoding and writing it take a few
        hundred milliseconds, which the caller's event loop should not wait for. The
        message is part of :attr:`messages` at once. Writes in the background run one
        at a time, in the order asked, before any later :meth:`append` or
        :meth:`set_model` writes and before :meth:`close`; the process waits for them
        at exit.

        Returns:
            A future that fails with :class:`SessionError` when the file cannot be
            written; the message is kept in memory either way.
        """
        self.messages.append(message)
        record = {"type": "message", **message.to_record()}
        future = _background_writer().submit(self._write, record)
        self._pending = future
        return future

    def compress(self, replaced: int, summary: Sequence[ChatMessage]) -> None:
        """Replace the first ``replaced`` messages by ``summary`` (``/compress``).

        The file stays append-only: a ``compress`` line records the replacement, and
        loading applies it, so ``/resume`` continues from the compressed state while the
        replaced messages stay in the file (a version that does not know the line
        shows the whole conversation). In memory at once, as :meth:`append` does.

        Raises:
            SessionError: When the file cannot be written.
        """
        self.messages[:replaced] = list(summary)
        self._drain()
        self._write(
            {
                "type": "compress",
                "replaced": replaced,
                "messages": [message.to_record() for message in summary],
            }
        )

    @property
    def writing(self) -> bool:
        """Whether a write of :meth:`append_later` is still under way."""
        return self._pending is not None and not self._pending.done()

    def _drain(self) -> None:
        """Wait for the writes still under way (their failures are their callers')."""
        if self._pending is not None:
            concurrent.futures.wait([self._pending])
            self._pending = None

    def set_model(self, provider: str | None, model: str | None) -> None:
        """Record the provider and model in use.

        Before the first message this only changes what the header will say; later it
        appends a ``meta`` line, so ``/resume`` shows the model last used.

        Raises:
            SessionError: When the meta line cannot be written.
        """
        if (provider, model) == (self.provider, self.model):
            return
        self.provider, self.model = provider, model
        self._drain()
        if self.path.exists():
            self._write({"type": "meta", "provider": provider, "model": model})

    def _header(self) -> dict[str, Any]:
        return {
            "type": "session",
            "version": FORMAT_VERSION,
            "id": self.id,
            "created": self.created,
            "provider": self.provider,
            "model": self.model,
            "cwd": self.cwd,
        }

    def _write(self, record: dict[str, Any]) -> None:
        """Append one record (plus the header if the file is new or empty), durably.

        The file is created with ``os.open(..., 0o600)`` so it is private from its first
        byte (read-write rather than write-only, to check the last byte with ``pread``).
        If the file does not end in a newline (a crash cut the last line short), a
        newline is written first, so the new record is not glued to the broken one.
        Nothing is written while another copy of the app holds the session's lock.
        """
        if not self.lock():
            raise SessionError(
                "This conversation is open in another qwen-tui window, so what is added "
                "here is not saved. Close it there, or start a /new conversation."
            )
        try:
            folder = ensure_private_dir(self.path.parent)
            fd = os.open(self.path, os.O_CREAT | os.O_APPEND | os.O_RDWR, 0o600)
        except OSError as error:
            raise SessionError(_write_failure(self.path, error)) from error
        created = False
        try:
            status = os.fstat(fd)
            if status.st_mode & 0o077:
                os.fchmod(fd, 0o600)
            data = encode(self._scrub(record))
            if status.st_size == 0:
                created = True
                data = encode(self._scrub(self._header())) + data
            elif os.pread(fd, 1, status.st_size - 1) != b"\n":
                data = b"\n" + data
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        except OSError as error:
            raise SessionError(_write_failure(self.path, error)) from error
        finally:
            os.close(fd)
        if created:
            fsync_folder(folder)


class SessionStore:
    """Creates, finds, lists and deletes saved sessions under ``QWEN_TUI_HOME``."""

    def __init__(self, home: Path, *, secrets: Callable[[], Iterable[str]] | None = None) -> None:
        """Use the sessions folder of ``home``.

        Args:
            home: The ``QWEN_TUI_HOME`` folder.
            secrets: Called before every write for the secrets currently in use (API
                key, OAuth tokens); any occurrence of them is saved as ``[redacted]``.
                A callable rather than a list, because a key can change while the app
                runs (a new sign-in).
        """
        self.home = home
        self.folder = sessions_dir(home)
        self._secrets = secrets
        self._issued: set[str] = set()

    # ----- opening -------------------------------------------------------------------

    def new(self, *, provider: str | None, model: str | None) -> Session:
        """Start a session; nothing is written until its first message.

        The id is the local start time plus random hex (``20261128-153012-a1b2c3``), so
        ids sort by time and two copies of the app starting in the same second do not
        collide.
        """
        while True:
            session_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{_random.token_hex(3)}"
            path = self._path(session_id)
            if session_id not in self._issued and not path.exists():
                break
        self._issued.add(session_id)
        return Session(session_id, path, scrub=self._scrub, provider=provider, model=model)

    def open(self, session_id: str) -> Session:
        """Load a saved session to continue it.

        Args:
            session_id: The full id or a prefix of it that only one session has.

        Lines that cannot be read (a half-written last line after a crash, bad JSON, a
        message of an unknown role) are skipped rather than making the whole
        conversation unreadable; their number is in ``Session.skipped_lines``. The
        session is locked for this copy of the app; when another copy holds it, it is
        opened all the same with ``Session.locked_elsewhere`` set.

        Raises:
            SessionError: When no session or more than one matches, or the file
                cannot be read.
        """
        path = self._resolve(session_id)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SessionError(
                f"Could not read the saved session {path.stem!r}: {error.strerror or error}."
            ) from error
        session = self._load(path, data)
        session.lock()
        return session

    def latest(self) -> Session | None:
        """The most recently written session (for ``--continue``), or ``None``."""
        paths = self._paths_by_time()
        if not paths:
            return None
        return self.open(paths[0].stem)

    # ----- listing -------------------------------------------------------------------

    def list(self, limit: int = 200) -> builtins.list[SessionInfo]:
        """Saved sessions, newest first by the time they were last written.

        Speed over exactness: the resume picker must open at once even with hundreds
        of long conversations, so each file is not parsed. Only the header and the lines
        up to the first user message are parsed (for the title); the message count is
        the number of lines that begin like a message record, found with a byte search
        over the file. That count may include a line a crash cut short (which
        :meth:`open` would skip), and the file is still read once end to end, but at
        the speed of ``bytes.count`` rather than of JSON parsing.

        Args:
            limit: At most this many sessions, the newest.
        """
        infos = []
        for path in self._paths_by_time()[: max(limit, 0)]:
            try:
                infos.append(read_info(path))
            except OSError:
                continue  # deleted or unreadable meanwhile: not worth failing the list
        return infos

    # ----- deleting and exporting ----------------------------------------------------

    def delete(self, session_id: str) -> None:
        """Delete one session (by full id or unique prefix).

        Raises:
            SessionError: When no session or more than one matches, or it cannot be
                deleted.
        """
        path = self._resolve(session_id)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            raise SessionError(
                f"Could not delete the session {path.stem!r}: {error.strerror or error}."
            ) from error
        _remove_lock_file(path)
        _remove_ledger(path)

    def delete_all(self) -> int:
        """Delete every saved session and return how many were removed.

        Raises:
            SessionError: When a session file cannot be deleted.
        """
        removed = 0
        for path in self._paths():
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise SessionError(
                    f"Could not delete the session {path.stem!r}: {error.strerror or error}."
                ) from error
            _remove_lock_file(path)
            _remove_ledger(path)
            removed += 1
        _remove_ledgers(ledgers_dir(self.home))
        return removed

    def export_markdown(self, session_id: str) -> str:
        """A readable Markdown transcript of a session, for sharing or archiving.

        Raises:
            SessionError: When no session or more than one matches.
        """
        session = self.open(session_id)
        return transcript_markdown(
            session.messages, session.id, session.created, session.provider, session.model
        )

    # ----- internals -----------------------------------------------------------------

    def _path(self, session_id: str) -> Path:
        return self.folder / f"{session_id}{SUFFIX}"

    def _paths(self) -> builtins.list[Path]:
        """Every session file; an absent folder simply means no sessions yet."""
        try:
            entries = list(os.scandir(self.folder))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as error:
            raise SessionError(
                f"Could not read the sessions folder {self.folder}: {error.strerror or error}."
            ) from error
        return [
            Path(entry.path)
            for entry in entries
            if entry.name.endswith(SUFFIX) and entry.is_file(follow_symlinks=False)
        ]

    def _paths_by_time(self) -> builtins.list[Path]:
        """Session files, most recently written first (ties: the later id first)."""
        stamped = []
        for path in self._paths():
            try:
                stamped.append((path.stat().st_mtime_ns, path.name, path))
            except OSError:
                continue
        stamped.sort(reverse=True)
        return [path for _, _, path in stamped]

    def _resolve(self, session_id: str) -> Path:
        """The file of the one session whose id is, or starts with, ``session_id``."""
        wanted = session_id.strip()
        if wanted.endswith(SUFFIX):
            wanted = wanted[: -len(SUFFIX)]
        if not wanted or not _ID_PATTERN.fullmatch(wanted):
            raise SessionError(_not_found(session_id))
        exact = self._path(wanted)
        if exact.is_file():
            return exact
        matches = sorted(path for path in self._paths() if path.stem.startswith(wanted))
        if not matches:
            raise SessionError(_not_found(session_id))
        if len(matches) > 1:
            shown = ", ".join(path.stem for path in matches[:5])
            more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
            raise SessionError(
                f"More than one saved session starts with {session_id!r} ({shown}{more}). "
                "Type more of the id."
            )
        return matches[0]

    def _load(self, path: Path, data: bytes) -> Session:
        """Build a session from file contents, skipping lines that cannot be read."""
        header: dict[str, Any] | None = None
        provider: str | None = None
        model: str | None = None
        messages: builtins.list[ChatMessage] = []
        skipped = 0
        # Split on "\n" only: str.splitlines would also split on "\u2028" and friends,
        # which JSON (written with ensure_ascii=False) leaves unescaped inside strings.
        for raw in data.split(b"\n"):
            if not raw.strip():
                continue
            record = decode(raw)
            if record is None:
                skipped += 1
                continue
            kind = record.get("type")
            if kind == "message":
                try:
                    messages.append(ChatMessage.from_record(record))
                except ValueError:
                    skipped += 1
            elif kind == "session" and header is None:
                header = record
                provider, model = opt_str(record, "provider"), opt_str(record, "model")
            elif kind == "compress":
                if not _apply_compress(messages, record):
                    skipped += 1
            elif kind == "meta":
                provider, model = opt_str(record, "provider"), opt_str(record, "model")
            # Other types, or a second header (file recreated after an outside
            # delete), are not errors: they may come from a newer version.
        created = header.get("created") if header else None
        if not isinstance(created, int | float) or isinstance(created, bool):
            created = _mtime(path)
        cwd = header.get("cwd") if header else None
        return Session(
            path.stem,
            path,
            scrub=self._scrub,
            provider=provider,
            model=model,
            created=float(created),
            cwd=cwd if isinstance(cwd, str) else "",
            messages=messages,
            skipped_lines=skipped,
        )

    def _scrub(self, value: Any) -> Any:
        """``value`` with every registered secret in every string replaced."""
        if self._secrets is None:
            return value
        found = {s for s in self._secrets() if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
        if not found:
            return value
        # Longest first, so a secret that contains another is replaced whole.
        return replace_all(value, sorted(found, key=len, reverse=True))


_LOCKED_ELSEWHERE = (
    "This conversation is open in another qwen-tui window: you can read it here, but "
    "what you add is not saved while it is open there. Use /new for a separate one."
)


_writer: concurrent.futures.ThreadPoolExecutor | None = None


def _background_writer() -> concurrent.futures.ThreadPoolExecutor:
    """The one thread that writes sessions in the background, started on first use: a
    single worker keeps the writes in the order they were asked for."""
    global _writer
    if _writer is None:
        _writer = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="session-writer"
        )
    return _writer


def _apply_compress(messages: builtins.list[ChatMessage], record: dict[str, Any]) -> bool:
    """Apply a ``compress`` line to the messages read so far; False if it is unusable."""
    replaced = record.get("replaced")
    summary = record.get("messages")
    if (
        isinstance(replaced, bool)
        or not isinstance(replaced, int)
        or not 0 < replaced <= len(messages)
        or not isinstance(summary, builtins.list)
    ):
        return False
    try:
        read = [ChatMessage.from_record(item) for item in summary if isinstance(item, dict)]
    except ValueError:
        return False
    messages[:replaced] = read
    return True


def _remove_lock_file(path: Path) -> None:
    """Remove a deleted session's lock file, which would otherwise be left behind."""
    with contextlib.suppress(OSError):
        path.with_name(path.name + ".lock").unlink()


def ledger_file(session_path: Path) -> Path:
    """The network ledger of the session whose file is ``session_path``."""
    return ledgers_dir(session_path.parent.parent) / session_path.name


def _remove_ledger(session_path: Path) -> None:
    """Remove a deleted session's network ledger; a ledger never outlives its session."""
    with contextlib.suppress(OSError):
        ledger_file(session_path).unlink()


def _remove_ledgers(folder: Path) -> None:
    """Remove every ledger (also those of runs that saved no message) with all sessions."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.endswith(SUFFIX) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


def _not_found(session_id: str) -> str:
    return f"No saved session with id {session_id!r}. Run /resume to list them."


def _write_failure(path: Path, error: OSError) -> str:
    return (
        f"Could not save the conversation to {path}: {error.strerror or error}. "
        "The chat goes on, but this message is not saved."
    )
