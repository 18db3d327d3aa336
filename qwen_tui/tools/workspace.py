"""The folder the tools work in, and the only folder they may touch.

The workspace is the folder qwen-tui starts in (or ``--workspace DIR``), widened to its
git root when it is inside a repository, as Qwen Code does. Every path a model names is
resolved here: relative paths against the root, absolute paths accepted only when they
lie inside it. Resolution follows symlinks, so a link inside the project that points
out of it is refused like ``../..`` is. ``.git/`` itself is never listed, searched or
written: it is git's, not the project's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from qwen_tui.tools.errors import OutsideWorkspace, ToolError
from qwen_tui.tools.ignore import IgnoreRules


def find_root(start: Path) -> Path:
    """The git root above ``start`` (a ``.git`` folder or file), else ``start`` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


@dataclass
class Workspace:
    """A project folder and its ignore rules.

    Attributes:
        root: the resolved workspace folder.
    """

    root: Path
    _ignore: IgnoreRules | None = field(default=None, repr=False)

    @classmethod
    def at(cls, start: Path) -> Workspace:
        """The workspace for a start folder: its git root, or the folder itself."""
        if not start.is_dir():
            raise ToolError(f"The workspace {start} is not a folder.")
        return cls(find_root(start))

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    @property
    def ignore(self) -> IgnoreRules:
        """``.gitignore`` files, ``.qwenignore`` and ``.git/``, read on first use."""
        if self._ignore is None:
            self._ignore = IgnoreRules(self.root)
        return self._ignore

    def resolve(self, path: str | os.PathLike[str] | None) -> Path:
        """The real path of ``path`` (relative to the root, or absolute inside it).

        Raises:
            OutsideWorkspace: the path, or a symlink on its way, leads out of the root
                or into ``.git``.
        """
        text = os.fspath(path) if path is not None else ""
        if "\x00" in text:
            raise ToolError("A path cannot contain a NUL character.")
        try:
            candidate = Path(text).expanduser() if text else self.root
        except RuntimeError:  # ``~name`` of a user this machine does not have
            raise ToolError(
                f"{text}: there is no home folder {text.split('/')[0]!r} here; give a path "
                "inside the workspace."
            ) from None
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = Path(os.path.realpath(candidate))
        if not real.is_relative_to(self.root):
            raise OutsideWorkspace(
                f"{text or '.'} is outside the workspace {self.root}; "
                "tools only read and write inside it."
            )
        relative = real.relative_to(self.root)
        if relative.parts[:1] == (".git",):
            raise OutsideWorkspace(f"{text} is inside .git, which the tools never touch.")
        return real

    def relative(self, path: Path) -> str:
        """``path`` as the model should see it: relative to the root, with ``/``."""
        relative = path.relative_to(self.root).as_posix()
        return relative or "."
