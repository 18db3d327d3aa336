"""The search tools: ``glob`` (files by name) and ``grep_search`` (lines by regex).

Both walk the workspace with the ignore rules applied (see :mod:`.walk`). ``grep_search``
reads each file once and only splits it into lines when the pattern occurs in it at all,
which keeps a search over ten thousand files well under a second. Big files
(over :data:`MAX_SEARCHED_BYTES`) and binary files are skipped, and said so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from qwen_tui.tools.errors import ToolError
from qwen_tui.tools.globbing import glob_regex
from qwen_tui.tools.text_files import is_binary
from qwen_tui.tools.walk import walk_files
from qwen_tui.tools.workspace import Workspace

MAX_GLOB_RESULTS = 500
DEFAULT_GREP_LIMIT = 200
MAX_SEARCHED_BYTES = 2 * 1024 * 1024
MAX_MATCH_CHARS = 300


def _folder(workspace: Workspace, path: str | None) -> Path:
    folder = workspace.resolve(path)
    if not folder.exists():
        raise ToolError(f"{workspace.relative(folder)} does not exist.")
    return folder


def glob(workspace: Workspace, pattern: str, path: str | None = None) -> str:
    """Files under ``path`` whose path relative to it matches ``pattern``, newest first."""
    if not pattern.strip():
        raise ToolError("pattern is empty; give a glob such as **/*.py.")
    folder = _folder(workspace, path)
    regex = glob_regex(pattern.lstrip("/") if not pattern.startswith("**") else pattern)
    base = workspace.relative(folder)
    skip = 0 if base == "." else len(base) + 1
    found: list[tuple[float, str]] = []
    for file, relative in walk_files(workspace, folder):
        if regex.match(relative[skip:]):
            try:
                modified = os.stat(file).st_mtime
            except OSError:
                continue
            found.append((modified, relative))
    if not found:
        return f"No files match {pattern} in {workspace.relative(folder)}."
    found.sort(key=lambda item: (-item[0], item[1]))
    lines = [f"{len(found)} files match {pattern} in {workspace.relative(folder)}, newest first:"]
    lines += [name for _, name in found[:MAX_GLOB_RESULTS]]
    if len(found) > MAX_GLOB_RESULTS:
        lines.append(f"[Truncated: {len(found) - MAX_GLOB_RESULTS} more files not listed.]")
    return "\n".join(lines)


def grep_search(
    workspace: Workspace,
    pattern: str,
    path: str | None = None,
    glob: str | None = None,
    limit: int | None = None,
) -> str:
    """Lines matching ``pattern`` as ``path:line: text``, in files matching ``glob``.

    Case-insensitive unless the pattern holds a capital letter ("smart case").
    """
    flags = 0 if any(char.isupper() for char in pattern) else re.IGNORECASE
    try:
        regex = re.compile(pattern, flags | re.MULTILINE)
    except re.error as error:
        raise ToolError(f"pattern is not a valid regular expression: {error}.") from None
    if limit is not None and limit < 1:
        raise ToolError("limit must be 1 or more.")
    cap = limit or DEFAULT_GREP_LIMIT
    start = _folder(workspace, path)
    wanted = glob_regex(glob if "/" in (glob or "") else f"**/{glob}") if glob else None
    files: Iterable[tuple[str, str]] = (
        [(str(start), workspace.relative(start))]
        if start.is_file()
        else walk_files(workspace, start)
    )
    hits: list[str] = []
    matched_files = 0
    skipped = 0
    more = False
    for file, relative in files:
        if wanted is not None and not wanted.match(relative):
            continue
        try:
            with open(file, "rb") as handle:
                if os.fstat(handle.fileno()).st_size > MAX_SEARCHED_BYTES:
                    skipped += 1
                    continue
                data = handle.read()
        except OSError:
            continue
        if is_binary(data):
            continue
        text = data.decode("utf-8", errors="replace")
        if regex.search(text) is None:
            continue
        matched_files += 1
        for number, line in enumerate(text.splitlines(), start=1):
            if regex.search(line):
                if len(hits) == cap:
                    more = True
                    break
                if len(line) > MAX_MATCH_CHARS:
                    line = line[:MAX_MATCH_CHARS] + "…"
                hits.append(f"{relative}:{number}: {line}")
        if more:
            break
    where = workspace.relative(start)
    if not hits:
        result = f"No lines match {pattern!r} in {where}."
    else:
        result = f"{len(hits)} matching lines in {matched_files} files under {where}:\n"
        result += "\n".join(hits)
        if more:
            result += f"\n[Truncated at {cap} lines: narrow the pattern, path or glob.]"
    if skipped:
        result += f"\n({skipped} files over {MAX_SEARCHED_BYTES // (1024 * 1024)} MB skipped.)"
    return result
