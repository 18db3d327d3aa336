"""Writing a checkpoint's files back into the workspace, and removing newer ones.

Done here rather than by ``git checkout`` so that every step can refuse what git would
do silently: nothing is written through a symlink that leads out of the workspace or
into ``.git``, a folder in the way is never emptied, and a file the snapshot before the
restore could not save (ignored, or over the size cap) is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

EXECUTABLE = "100755"


def inside(root: Path, path: Path) -> bool:
    """Whether ``path``'s folder really lies in ``root`` (symlinks followed), outside
    ``.git``."""
    real = Path(os.path.realpath(path.parent))
    if not real.is_relative_to(root):
        return False
    return ".git" not in real.relative_to(root).parts and path.name != ".git"


def remove_file(root: Path, relative: str) -> bool:
    """Delete a file (or a symlink) the later snapshot recorded; ``False`` if it is
    not a file any more or not safely inside the workspace."""
    path = root / relative
    if not inside(root, path) or not (path.is_symlink() or path.is_file()):
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def remove_empty_folders(root: Path, relatives: list[str]) -> None:
    """Remove the folders that deleting ``relatives`` left empty, up to the root."""
    for relative in sorted(relatives, key=lambda r: -r.count("/")):
        folder = (root / relative).parent
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent


def write_file(root: Path, relative: str, content: bytes, mode: str) -> bool:
    """Write ``content`` to ``relative`` with git's ``mode`` (executable or not),
    through a temporary file and a rename; ``False`` when something is in the way."""
    path = root / relative
    existing = path.parent
    while not os.path.lexists(existing):
        existing = existing.parent
    if not inside(root, existing / "_") or not _make_folders(path.parent):
        return False
    if not inside(root, path):
        return False
    if path.is_dir() and not path.is_symlink():
        try:
            path.rmdir()
        except OSError:
            return False
    try:
        current = path.lstat().st_mode & 0o7777 if path.is_file() else None
    except OSError:
        current = None
    executable = mode == EXECUTABLE
    temporary = path.parent / f".{path.name}.{secrets.token_hex(4)}.restore"
    try:
        # A new file gets what the umask gives, as git does.
        fd = os.open(
            temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o777 if executable else 0o666
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        if current is not None:
            os.chmod(temporary, _mode(current, executable))
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True


def _make_folders(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return True


def _mode(current: int, executable: bool) -> int:
    """The file's own permissions with the executable bits git recorded."""
    if executable:
        return current | ((current & 0o444) >> 2)
    return current & ~0o111
