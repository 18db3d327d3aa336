"""The read-only file tools: ``read_file`` and ``list_directory``.

What a model reads is bounded: at most :data:`DEFAULT_LINES` lines unless it asks for a
range, each line cut at :data:`MAX_LINE_CHARS`, and the whole at :data:`MAX_READ_BYTES`
read from disk. Whenever less than the file is returned, a first line says which lines
these are and how to read on, so the model never mistakes a part for the whole.
"""

from __future__ import annotations

import os

from qwen_tui.tools.errors import ToolError
from qwen_tui.tools.text_files import read_text
from qwen_tui.tools.workspace import Workspace

DEFAULT_LINES = 2000
MAX_LINE_CHARS = 2000
MAX_READ_BYTES = 4 * 1024 * 1024
MAX_LISTED = 1000


def read_file(
    workspace: Workspace, file_path: str, offset: int | None = None, limit: int | None = None
) -> str:
    """Lines ``offset`` (0-based) to ``offset + limit`` of a text file."""
    path = workspace.resolve(file_path)
    shown = workspace.relative(path)
    if offset is not None and offset < 0:
        raise ToolError("offset must be 0 or more (the first line is 0).")
    if limit is not None and limit < 1:
        raise ToolError("limit must be 1 or more.")
    size = _size(path)
    text = read_text(path, shown, max_bytes=MAX_READ_BYTES)
    cut_at_bytes = size > MAX_READ_BYTES
    lines = text.splitlines(keepends=True)
    if cut_at_bytes and lines and not lines[-1].endswith("\n"):
        lines.pop()  # a line cut by the byte cap
    start = offset or 0
    if start and start >= len(lines):
        raise ToolError(f"{shown} has {len(lines)} lines; offset {start} is past its end.")
    end = min(len(lines), start + (limit or DEFAULT_LINES))
    chosen = lines[start:end]
    shown_lines = [_cut_line(line) for line in chosen]
    body = "".join(shown_lines)
    lines_cut = any(len(line.rstrip("\r\n")) > MAX_LINE_CHARS for line in chosen)
    if start == 0 and end == len(lines) and not cut_at_bytes and not lines_cut:
        return body
    total = f"{len(lines)}{'+' if cut_at_bytes else ''}"
    notice = f"[Truncated: showing lines {start + 1}-{end} of {total} in {shown}"
    if lines_cut:
        notice += f"; lines longer than {MAX_LINE_CHARS} characters were cut"
    if end < len(lines) or cut_at_bytes:
        notice += f". Use offset={end} to read on"
    return notice + ".]\n" + body


def _cut_line(line: str) -> str:
    content = line.rstrip("\r\n")
    if len(content) <= MAX_LINE_CHARS:
        return line
    ending = line[len(content) :]
    extra = len(content) - MAX_LINE_CHARS
    return f"{content[:MAX_LINE_CHARS]}… [{extra} more characters]{ending}"


def _size(path: os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def list_directory(
    workspace: Workspace,
    path: str | None = None,
    ignore: list[str] | None = None,
    respect_ignore_files: bool = True,
) -> str:
    """The entries of a folder, folders first (with a trailing ``/``)."""
    from qwen_tui.tools.globbing import glob_regex

    folder = workspace.resolve(path)
    shown = workspace.relative(folder)
    if not folder.is_dir():
        raise ToolError(f"{shown} is not a folder.")
    skip = [glob_regex(pattern) for pattern in ignore or []]
    folders: list[str] = []
    files: list[str] = []
    hidden = 0
    for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
        is_dir = entry.is_dir(follow_symlinks=False)
        if entry.name == ".git" or any(rx.match(entry.name) for rx in skip):
            hidden += 1
            continue
        if respect_ignore_files and workspace.ignore.ignored(folder / entry.name, is_dir=is_dir):
            hidden += 1
            continue
        (folders if is_dir else files).append(entry.name + ("/" if is_dir else ""))
    entries = folders + files
    lines = [f"Folder {shown}: {len(entries)} entries"]
    if hidden:
        lines[0] += f" ({hidden} ignored)"
    lines += entries[:MAX_LISTED]
    if len(entries) > MAX_LISTED:
        lines.append(f"[Truncated: {len(entries) - MAX_LISTED} more entries not listed.]")
    return "\n".join(lines)
