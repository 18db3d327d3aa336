"""Atomic, private file writes shared by everything that persists state."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from qwen_tui.config.paths import ensure_private_dir


def write_private_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The temporary file is created 0600 in the same folder (so ``os.replace`` is a rename
    on one file system), flushed to disk, then renamed over the target. The folder is
    made 0700 because what we write there (settings, sessions) is private.

    Raises:
        OSError: the folder or file cannot be written; the old file is left untouched.
    """
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make a new or renamed file's name durable too; best effort, as not every
    platform allows opening a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
