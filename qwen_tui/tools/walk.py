"""Every file of a folder that listing and search may see, in a stable order.

``os.scandir`` rather than ``Path.rglob``: ignored folders are pruned before they are
entered (a ``node_modules`` is never read), and symlinks are not followed, so a link
cannot lead the walk out of the workspace or round in a loop. Paths travel as strings:
on a tree of ten thousand files, building ``Path`` objects would cost more than the
walk itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from qwen_tui.tools.workspace import Workspace


def walk_files(workspace: Workspace, start: Path) -> Iterator[tuple[str, str]]:
    """``(absolute path, path relative to the workspace)`` of the files under
    ``start``, ignored ones left out, sorted by name within each folder."""
    ignore = workspace.ignore
    first = workspace.relative(start)
    stack = [(str(start), "" if first == "." else first)]
    while stack:
        folder, relative = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        folders: list[tuple[str, str]] = []
        for entry in entries:
            name = f"{relative}/{entry.name}" if relative else entry.name
            if entry.is_dir(follow_symlinks=False):
                if not ignore.ignored_relative(name, is_dir=True):
                    folders.append((entry.path, name))
            elif entry.is_file(follow_symlinks=False) and not ignore.ignored_relative(
                name, is_dir=False
            ):
                yield entry.path, name
        stack.extend(reversed(folders))
