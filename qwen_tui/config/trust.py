"""Trusted folders: a project's ``.env`` may change where qwen-tui connects only once
the user has trusted that folder.

A ``.env`` file travels with a cloned repository. If it could set the base URL, the
provider or the OAuth endpoints, opening the app in a stranger's project would send the
user's key, prompts and code to a server of the project's choosing. So the settings that
decide *where* things go and *what the user agreed to* (:data:`GUARDED_SETTINGS`, plus
``OPENAI_API_KEY``) are taken from a project ``.env`` only after the user trusted its
folder. The user's own ``.env`` files (``~/.env``, ``~/.qwen/.env``) need no trust.

Trust is remembered in ``$QWEN_TUI_HOME/trustedFolders.json`` (Qwen Code's file name and
``TRUST_FOLDER`` level), keyed by the project folder, with a fingerprint of exactly what
the ``.env`` changes: if those lines change later (a ``git pull``), the user is asked
again. Declining holds the changes back for the rest of the process only.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qwen_tui.config.atomic import write_private_atomic

TRUST_FILE = "trustedFolders.json"
TRUST_LEVEL = "TRUST_FOLDER"

GUARDED_SETTINGS: tuple[str, ...] = (
    "security.auth.selectedType",
    "model.provider",
    "model.baseUrl",
    "oauth.deviceAuthorizationUrl",
    "oauth.tokenUrl",
    "oauth.resourceUrl",
    "oauth.clientId",
    "oauth.scope",
    "providers.custom",
    "telemetry.otlpEndpoint",
    "privacy.usageStatisticsEnabled",
    "credentials.allowFileStore",
    "tools.approvalMode",
    "tools.allowed",
    "tools.denied",
)
"""Settings (as spelled in settings.json) a project ``.env`` may set only when trusted:
where requests, keys, tokens and statistics go, what the user consented to, and what
the coding agent may do without asking."""

API_KEY_VARIABLE = "OPENAI_API_KEY"
HIDDEN_VALUE = "(a key; not shown)"


@dataclass(frozen=True)
class DotenvChange:
    """One guarded setting a project ``.env`` changes.

    Attributes:
        setting: the dotted settings.json name (``model.baseUrl``), or ``OPENAI_API_KEY``.
        value: the value as it would be used, in plain words; a key is never shown.
    """

    setting: str
    value: str


@dataclass(frozen=True)
class ProjectDotenv:
    """A ``.env`` inside a project folder that changes guarded settings.

    Attributes:
        path: the ``.env`` file.
        folder: the project folder it belongs to (the one holding ``.env`` or ``.qwen/``).
        changes: what it changes, in a stable order.
        fingerprint: a hash of those changes; trust is given for exactly these.
        trusted: whether the changes are applied in this run.
        changed_since_trusted: the folder was trusted for other changes before.
    """

    path: Path
    folder: Path
    changes: tuple[DotenvChange, ...]
    fingerprint: str
    trusted: bool
    changed_since_trusted: bool = False

    def summary(self) -> str:
        """The changes in one line: ``model.baseUrl = …; OPENAI_API_KEY = (a key …)``."""
        return "; ".join(f"{change.setting} = {change.value}" for change in self.changes)


def fingerprint(changes: list[tuple[str, str]]) -> str:
    """A hash of the guarded settings and their raw values (keys included, hashed)."""
    digest = hashlib.sha256(json.dumps(sorted(changes), ensure_ascii=False).encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def project_folder(dotenv_path: Path, user_home: Path) -> Path | None:
    """The project folder of ``dotenv_path``, or ``None`` for the user's own files.

    ``~/.env`` and ``~/.qwen/.env`` are the user's own (found as the fallback or while
    walking up through the home folder); every other ``.env`` belongs to a project.
    """
    path = dotenv_path.resolve()
    home = user_home.expanduser().resolve()
    if path in (home / ".env", home / ".qwen" / ".env"):
        return None
    parent = path.parent
    return parent.parent if parent.name == ".qwen" else parent


def trust_file(home: Path) -> Path:
    """The trusted-folders file inside the state folder."""
    return home / TRUST_FILE


def read_entries(path: Path) -> dict[str, Any]:
    """The entries of a trust file; a missing or damaged file trusts nothing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def write_entries(path: Path, entries: dict[str, Any]) -> None:
    """Replace a trust file's entries, atomically and private to the user.

    Raises:
        OSError: the file cannot be written.
    """
    write_private_atomic(path, json.dumps(entries, indent=2, ensure_ascii=False) + "\n")


def _read(home: Path) -> dict[str, Any]:
    return read_entries(trust_file(home))


def trust_state(home: Path, folder: Path, print_: str) -> tuple[bool, bool]:
    """Whether ``folder`` is trusted for changes with fingerprint ``print_``.

    Returns:
        ``(trusted, trusted_for_other_changes)``.
    """
    entry = _read(home).get(str(folder))
    if not isinstance(entry, Mapping) or entry.get("level") != TRUST_LEVEL:
        return False, False
    same = entry.get("fingerprint") == print_
    return same, not same


def remember_trust(home: Path, project: ProjectDotenv) -> Path:
    """Record that the user trusts ``project.folder`` with exactly these changes.

    Returns:
        The trusted-folders file.

    Raises:
        OSError: the file cannot be written; nothing is trusted then.
    """
    entries = _read(home)
    entries[str(project.folder)] = {
        "level": TRUST_LEVEL,
        "dotenv": str(project.path),
        "fingerprint": project.fingerprint,
        "trustedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = trust_file(home)
    write_entries(path, entries)
    return path


def forget_trust(home: Path, folder: Path) -> bool:
    """Remove the trust given to ``folder``; True if there was any.

    Raises:
        OSError: the file cannot be written.
    """
    entries = _read(home)
    if entries.pop(str(folder.resolve()), None) is None:
        return False
    write_entries(trust_file(home), entries)
    return True


_held_back: set[tuple[str, str]] = set()
_held_back_lock = threading.Lock()


def hold_back_for_this_run(project: ProjectDotenv) -> None:
    """The user chose to go on without the project's changes: do not ask again in this
    process (a settings reload must not bring the question back)."""
    with _held_back_lock:
        _held_back.add((str(project.folder), project.fingerprint))


def held_back_this_run(project: ProjectDotenv) -> bool:
    """Whether the user already declined these changes in this process."""
    with _held_back_lock:
        return (str(project.folder), project.fingerprint) in _held_back
