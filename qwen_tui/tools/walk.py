"""Every file of a folder that listing and search may see, in a stable order.

``os.scandir`` rather than ``Path.rglob``: ignored folders are pruned before they are
entered (a ``node_modules`` is never read), and symlinks are not followed, so a link
cannot lead the walk out of the workspace or round in a loop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from qwen_tui.tools.workspace import Workspace


def walk_files(workspace: Workspace, start: Path) -> Iterator[Path]:
    """Files under ``start`` (inside the workspace), ignored ones left out, sorted by
    path within each folder."""
    stack = [start]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            continue
        folders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if not workspace.ignore.ignored(path, is_dir=True):
                    folders.append(path)
            elif entry.is_file(follow_symlinks=False) and not workspace.ignore.ignored(
                path, is_dir=False
            ):
                yield path
        stack.extend(reversed(folders))
