"""What ``/undo`` and ``/rewind`` say: which files came back, and how to go on.

Plain words built from the checkpoint history's own report, so the user sees exactly
what was written and deleted, and how to undo the undo.
"""

from __future__ import annotations

from collections.abc import Sequence

from qwen_tui.agent.checkpoints import Checkpoint, RestoreReport

MAX_LISTED = 15
"""Checkpoints listed by ``/rewind`` without an id."""


def short_id(checkpoint: Checkpoint) -> str:
    """The first eight characters of a checkpoint's id: enough for ``/rewind``."""
    return checkpoint.id[:8]


def _files(label: str, files: Sequence[str]) -> str | None:
    if not files:
        return None
    shown = ", ".join(files[:10])
    more = f" and {len(files) - 10} more" if len(files) > 10 else ""
    return f"{label} {shown}{more}"


def restore_summary(report: RestoreReport, what: str = "Undone") -> str:
    """One note for a finished undo or rewind."""
    target = report.checkpoint
    when = target.time.strftime("%H:%M:%S")
    if not report.changed:
        return (
            f"Nothing to change: the project is already as it was before “{target.label}” ({when})."
        )
    parts = [
        part
        for part in (
            _files("restored", report.restored),
            _files("deleted", report.deleted),
            _files("recreated", report.recreated),
        )
        if part
    ]
    lines = [f"{what}: back to before “{target.label}” ({when}); {'; '.join(parts)}."]
    if report.kept:
        lines.append(
            f"Left as they are (not recorded: ignored or over the size cap): "
            f"{', '.join(report.kept[:10])}."
        )
    lines.append(
        f"/undo again goes one step further back; /rewind {short_id(report.before)} undoes this."
    )
    return "\n".join(lines)


def history_listing(history: Sequence[Checkpoint]) -> str:
    """``/rewind`` without an id: the checkpoints, newest first."""
    if not history:
        return "No checkpoints yet: one is taken before each change the model makes."
    lines = ["Checkpoints, newest first (/rewind ID goes back to the state before it):"]
    for checkpoint in history[:MAX_LISTED]:
        files = ", ".join(checkpoint.files[:4]) + ("…" if len(checkpoint.files) > 4 else "")
        when = checkpoint.time.strftime("%H:%M")
        lines.append(f"  {short_id(checkpoint)}  {when}  {checkpoint.label}  {files}".rstrip())
    if len(history) > MAX_LISTED:
        lines.append(f"  … and {len(history) - MAX_LISTED} older")
    return "\n".join(lines)
