"""``qwen-tui audit [--session ID] [--json]``: what a past session sent, and where.

Reads the session's network ledger (``$QWEN_TUI_HOME/ledgers/<id>.jsonl``, written by
:mod:`qwen_tui.net.ledger`): the latest session's unless ``--session`` names one (its
full id or a prefix only it has). A table for people, or ``--json`` for scripts: one
JSON array of the ledger's entries as they are kept.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from qwen_tui.config import LoadedSettings
from qwen_tui.config.paths import ledgers_dir
from qwen_tui.net.ledger import read_ledger
from qwen_tui.privacy import pick_language
from qwen_tui.privacy.ledger_table import ledger_rows, ledger_words
from qwen_tui.text import neutralise, neutralise_json

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

SUFFIX = ".jsonl"


class AuditError(Exception):
    """The ledger asked for cannot be shown; ``str()`` says why."""


def find_ledger(folder: Path, session: str | None) -> Path:
    """The ledger file of ``session`` (id or unique prefix), or the newest one.

    Raises:
        AuditError: No ledger, or more than one that matches.
    """
    try:
        files = [
            Path(entry.path)
            for entry in os.scandir(folder)
            if entry.name.endswith(SUFFIX) and entry.is_file(follow_symlinks=False)
        ]
    except FileNotFoundError:
        files = []
    except OSError as error:
        raise AuditError(f"could not read {folder}: {error.strerror or error}") from error
    if session is None:
        if not files:
            raise AuditError("no session has a network ledger yet.")
        return max(files, key=lambda path: (path.stat().st_mtime_ns, path.name))
    wanted = session.strip().removesuffix(SUFFIX)
    matches = sorted(path for path in files if path.stem.startswith(wanted)) if wanted else []
    exact = [path for path in matches if path.stem == wanted]
    if exact:
        return exact[0]
    if not matches:
        raise AuditError(f"no session {neutralise(session)!r} has a network ledger.")
    if len(matches) > 1:
        shown = ", ".join(path.stem for path in matches[:5])
        raise AuditError(f"more than one session starts with {neutralise(session)!r} ({shown}).")
    return matches[0]


def run_audit_command(
    args: argparse.Namespace, loaded: LoadedSettings, out: TextIO | None = None
) -> int:
    """Print a session's ledger; returns the exit code."""
    out = out or sys.stdout
    try:
        path = find_ledger(ledgers_dir(loaded.home), args.audit_session)
        entries = read_ledger(path)
    except AuditError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:
        print(f"error: could not read the ledger: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        out.write(neutralise_json(json.dumps(entries, ensure_ascii=False, indent=2)) + "\n")
        return EXIT_OK
    words = ledger_words(pick_language(loaded.settings.ui.language))
    out.write(f"{words.heading}: {path.stem}\n")
    if not entries:
        out.write(words.empty + "\n")
        return EXIT_OK
    out.write(render_table(words.columns, ledger_rows(entries, words)))
    total_sent = sum(_number(e.get("sent")) for e in entries)
    total_received = sum(_number(e.get("received")) for e in entries)
    out.write(f"{len(entries)} · {total_sent} B ↑ · {total_received} B ↓\n")
    return EXIT_OK


def render_table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Plain columns padded to their widest cell, for a terminal or a pipe."""
    widths = [max(len(cell) for cell in column) for column in zip(columns, *rows, strict=True)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (columns, *rows)
    ]
    return "\n".join(lines) + "\n"


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
