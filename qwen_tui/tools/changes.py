"""The changing file tools, ``edit`` and ``write_file``, in two steps: prepare, then apply.

Preparing computes the whole new text of the file without touching the disk, so the
approval prompt can show exactly what will be written as a diff, a checkpoint can be
taken first, and a miss (``old_string`` not found, or found more than once) is an error
to the model with nothing written. Applying writes the prepared text, and only if the
file is still what it was when the change was prepared.

``edit`` matches ``old_string`` exactly. When that finds nothing, a second try ignores
differences in indentation and trailing spaces, line by line; a change found that way
is applied to the file's real lines and the result says so, so the model learns that
its copy of the file was not exact.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from qwen_tui.tools.errors import ToolError
from qwen_tui.tools.text_files import read_text, write_text
from qwen_tui.tools.workspace import Workspace


@dataclass(frozen=True)
class PendingChange:
    """A file change ready to be shown, approved and applied.

    Attributes:
        path: the resolved file.
        shown: the path relative to the workspace.
        before: the file's text now (``None``: the file does not exist yet).
        after: the text that will be written.
        note: what the model is told beyond "done" (e.g. the whitespace-tolerant match).
    """

    path: Path
    shown: str
    before: str | None
    after: str
    note: str = ""

    def diff(self, context: int = 3) -> str:
        """A unified diff of the change (``/dev/null`` for a new file)."""
        old = "/dev/null" if self.before is None else f"a/{self.shown}"
        lines = difflib.unified_diff(
            (self.before or "").splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=old,
            tofile=f"b/{self.shown}",
            n=context,
        )
        marker = "\n\\ No newline at end of file\n"
        return "".join(line if line.endswith("\n") else line + marker for line in lines)

    def counts(self) -> tuple[int, int]:
        """Lines added and removed."""
        added = removed = 0
        for line in self.diff(0).splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
        return added, removed

    def apply(self) -> str:
        """Write the change; what the model is told.

        Raises:
            ToolError: the file changed on disk since the change was prepared.
        """
        current = _current_text(self.path, self.shown)
        if current != self.before:
            raise ToolError(
                f"{self.shown} changed on disk after this change was prepared; "
                "read it again and redo the change."
            )
        write_text(self.path, self.after, self.shown)
        added, removed = self.counts()
        verb = "Created" if self.before is None else "Changed"
        message = f"{verb} {self.shown} (+{added} -{removed} lines)."
        return f"{message} {self.note}" if self.note else message


def _current_text(path: Path, shown: str) -> str | None:
    if not path.exists():
        return None
    return read_text(path, shown)


def prepare_write(workspace: Workspace, file_path: str, content: str) -> PendingChange:
    """A ``write_file``: the whole new content of a new or existing file."""
    path = workspace.resolve(file_path)
    shown = workspace.relative(path)
    if path.is_dir():
        raise ToolError(f"{shown} is a folder; write_file writes files.")
    return PendingChange(path, shown, _current_text(path, shown), content)


def prepare_edit(
    workspace: Workspace,
    file_path: str,
    old_string: str,
    new_string: str,
    replace_all: bool = False,
) -> PendingChange:
    """An ``edit``: ``old_string`` replaced by ``new_string`` in an existing file."""
    path = workspace.resolve(file_path)
    shown = workspace.relative(path)
    if old_string == new_string:
        raise ToolError("old_string and new_string are the same; there is nothing to change.")
    before = _current_text(path, shown)
    if before is None:
        if old_string == "":
            return PendingChange(path, shown, None, new_string)
        raise ToolError(f"{shown} does not exist; use write_file to create it.")
    if old_string == "":
        raise ToolError(f"old_string is empty but {shown} exists; give the exact text to replace.")
    count = before.count(old_string)
    if count == 1 or (count > 1 and replace_all):
        after = before.replace(old_string, new_string)
        return PendingChange(path, shown, before, after)
    if count > 1:
        raise ToolError(
            f"old_string occurs {count} times in {shown}; add surrounding lines so it "
            "matches once, or set replace_all to change every occurrence."
        )
    loose = _loose_replace(before, old_string, new_string, replace_all)
    if loose is None:
        raise ToolError(
            f"old_string was not found in {shown}, not even ignoring indentation and "
            "trailing spaces. Read the file again and copy the text exactly. Nothing "
            "was changed."
        )
    after, found = loose
    if found > 1 and not replace_all:
        raise ToolError(
            f"old_string matches {found} places in {shown} when indentation is ignored; "
            "add surrounding lines so it matches once. Nothing was changed."
        )
    note = (
        "old_string matched only when indentation and trailing spaces were ignored; "
        "the file's own lines were replaced. Read the file before the next edit."
    )
    return PendingChange(path, shown, before, after, note)


def _loose_replace(text: str, old: str, new: str, replace_all: bool) -> tuple[str, int] | None:
    """Replace ``old`` matched line by line with stripped whitespace; ``None`` if absent.

    ``new`` is re-indented as the file is: the model's indentation of the matched lines
    is mapped to the file's, so the replacement sits where the old text was.
    """
    lines = text.splitlines(keepends=True)
    wanted = [line.strip() for line in old.splitlines()]
    while wanted and not wanted[-1]:
        wanted.pop()
    if not wanted:
        return None
    starts = [
        i
        for i in range(len(lines) - len(wanted) + 1)
        if all(lines[i + j].strip() == wanted[j] for j in range(len(wanted)))
    ]
    if not starts:
        return None
    if len(starts) > 1 and not replace_all:
        return text, len(starts)
    old_lines = old.splitlines()
    out: list[str] = []
    position = 0
    for start in starts:
        if start < position:
            continue
        indents = {
            _indent(model): _indent(lines[start + j])
            for j, model in enumerate(old_lines[: len(wanted)])
            if model.strip()
        }
        replaced = _reindent(new, indents)
        last = lines[start + len(wanted) - 1]
        ending = last[len(last.rstrip("\r\n")) :]
        if replaced and not replaced.endswith(("\n", "\r")):
            replaced += ending
        out.extend(lines[position:start])
        out.append(replaced)
        position = start + len(wanted)
    out.extend(lines[position:])
    return "".join(out), len(starts)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _reindent(text: str, indents: dict[str, str]) -> str:
    """``text`` with each line's indentation as the model wrote it mapped to the file's:
    exactly where the same indentation occurred in the matched lines, else by the
    longest mapped prefix."""
    if all(model == file for model, file in indents.items()):
        return text
    prefixes = sorted(indents, key=len, reverse=True)
    out = []
    for line in text.splitlines(keepends=True):
        indent = _indent(line)
        for model in prefixes:
            if indent.startswith(model):
                line = indents[model] + line[len(model) :]
                break
        out.append(line)
    return "".join(out)
