"""Reading and writing project files as text, the way the tools need it.

Files are read and written as UTF-8 with their line endings kept exactly (``newline=""``)
so an edit changes only what it says. A file with a NUL byte in its first 8 KB, or that
is not UTF-8, counts as binary and is refused rather than mangled. Writes go through a
temporary file in the same folder and a rename, so a crash or a full disk never leaves
half a file; the file's permission bits are kept.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from qwen_tui.tools.errors import ToolError

SNIFF_BYTES = 8192


def is_binary(data: bytes) -> bool:
    """Whether ``data`` (a file's first bytes) looks binary: it holds a NUL byte."""
    return b"\x00" in data[:SNIFF_BYTES]


def read_text(path: Path, shown: str, *, max_bytes: int | None = None) -> str:
    """The text of ``path``; ``shown`` names it in errors.

    Raises:
        ToolError: missing, a folder, binary, not UTF-8, or unreadable.
    """
    if path.is_dir():
        raise ToolError(f"{shown} is a folder; use list_directory to see what it holds.")
    try:
        with path.open("rb") as file:
            data = file.read() if max_bytes is None else file.read(max_bytes)
    except FileNotFoundError:
        raise ToolError(f"{shown} does not exist.") from None
    except OSError as error:
        raise ToolError(f"{shown} cannot be read: {error.strerror or error}.") from None
    if is_binary(data):
        raise ToolError(f"{shown} is a binary file; only text files can be read.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if len(data) == max_bytes and error.start >= len(data) - 3:
            return data[: error.start].decode("utf-8")  # a character cut by the cap
        raise ToolError(f"{shown} is not UTF-8 text; it cannot be read.") from None


def write_text(path: Path, text: str, shown: str) -> None:
    """Replace (or create) ``path`` with ``text`` atomically, keeping its mode.

    Raises:
        ToolError: the folder cannot be created or the file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else None
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
                file.write(text)
            os.chmod(temporary, mode if mode is not None else _new_file_mode())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise ToolError(f"{shown} cannot be written: {error.strerror or error}.") from None


def _new_file_mode() -> int:
    """What ``open()`` would give a new file: 0666 less the umask (mkstemp gives 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask
