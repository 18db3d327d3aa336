"""The file fallback: ``$QWEN_TUI_HOME/credentials.json``, readable by the owner only.

Used only when no keyring works and the user has said a file is fine. The file
is one JSON object mapping names to secrets. Every change writes a new file
next to the old one (created 0600 from the start, so the secret is never in a
file others could read, even for a moment), flushes it to disk and renames it
over the old one, so a crash leaves either the old or the new file, never half
of one. The folder is created 0700.

Two processes writing at the same moment can lose one update (the last rename
wins); the file is never corrupted.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from qwen_tui.config.atomic import write_private_atomic

from .errors import CredentialError

FILE_NAME = "credentials.json"


class CredentialFile:
    """Read and atomically rewrite the credential file.

    Args:
        path: Where the file lives (normally ``home / "credentials.json"``).
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.RLock()

    @property
    def path(self) -> Path:
        """The file's location, for messages and for "delete all local data"."""
        return self._path

    def __repr__(self) -> str:
        return f"CredentialFile({str(self._path)!r})"

    def read_all(self) -> dict[str, str]:
        """Return every entry, or an empty mapping when there is no file.

        Raises:
            CredentialError: The file exists but cannot be read or is damaged. The
                message never quotes the file's content.
        """
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CredentialError(
                f"Cannot read the credential file {self._path}: {exc.strerror}. "
                "Check that it belongs to you and is readable."
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise CredentialError(
                f"The credential file {self._path} is damaged (it is not a JSON object of "
                "names and secrets). Delete it and sign in again."
            )
        return data

    def get(self, name: str) -> str | None:
        """Return the secret stored under ``name``, or None."""
        return self.read_all().get(name)

    def put(self, name: str, secret: str) -> None:
        """Store ``secret`` under ``name``, replacing an older one."""
        with self._lock:
            entries = self.read_all()
            entries[name] = secret
            self._write(entries)

    def remove(self, name: str) -> bool:
        """Remove ``name``; the file is left untouched when it has no such entry.

        Returns:
            True if an entry was removed.
        """
        with self._lock:
            if not self._path.exists():
                return False
            entries = self.read_all()
            if name not in entries:
                return False
            del entries[name]
            self._write(entries)
            return True

    def _write(self, entries: dict[str, str]) -> None:
        """Replace the file with ``entries`` atomically; remove it when empty."""
        try:
            if not entries:
                self._path.unlink(missing_ok=True)
                return
            write_private_atomic(self._path, json.dumps(entries, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise CredentialError(
                f"Cannot write the credential file {self._path}: {exc.strerror}. "
                "Check that its folder exists, belongs to you and is writable."
            ) from None
