"""Which files listing and search skip: ``.gitignore`` (at every level), ``.qwenignore``
and ``.git/``.

The patterns are git's own syntax, matched by ``pathspec``'s ``GitIgnoreSpec`` (which
follows git's rules, negation and directory patterns included) rather than by hand. A
``.gitignore`` applies to its folder and below; a deeper file decides over a higher one,
as in git. ``.qwenignore`` at the root adds the user's own exclusions for the model.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pathspec

ALWAYS_SKIPPED = frozenset({".git"})
"""Folder names never listed or searched, whatever the ignore files say."""


class IgnoreRules:
    """The ignore files of one workspace, read lazily folder by folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        qwenignore = root / ".qwenignore"
        self._qwen = _spec(qwenignore) if qwenignore.is_file() else None

    def ignored(self, path: Path, *, is_dir: bool) -> bool:
        """Whether ``path`` (inside the root) is excluded from listing and search."""
        relative = path.relative_to(self.root)
        if not relative.parts:
            return False
        if ALWAYS_SKIPPED.intersection(relative.parts):
            return True
        suffix = "/" if is_dir else ""
        if self._qwen is not None:
            verdict = self._qwen.check_file(relative.as_posix() + suffix).include
            if verdict:
                return True
        decided: bool | None = None
        folder = self.root
        for depth in range(len(relative.parts)):
            spec = self._folder_spec(folder)
            if spec is not None:
                below = Path(*relative.parts[depth:]).as_posix() + suffix
                verdict = spec.check_file(below).include
                if verdict is not None:
                    decided = verdict
            folder = folder / relative.parts[depth]
        return bool(decided)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one per workspace, lives as long
    def _folder_spec(self, folder: Path) -> pathspec.GitIgnoreSpec | None:
        gitignore = folder / ".gitignore"
        return _spec(gitignore) if gitignore.is_file() else None


def _spec(file: Path) -> pathspec.GitIgnoreSpec:
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    return pathspec.GitIgnoreSpec.from_lines(lines)
