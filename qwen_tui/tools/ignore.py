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
        return self.ignored_relative(path.relative_to(self.root).as_posix(), is_dir=is_dir)

    def ignored_relative(self, relative: str, *, is_dir: bool) -> bool:
        """:meth:`ignored` for a ``/``-separated path relative to the root.

        Strings rather than ``Path`` objects: a walk over ten thousand files asks this
        for each of them, and pathlib's parsing would be most of the walk's time.
        """
        if relative in ("", "."):
            return False
        parts = relative.split("/")
        if not ALWAYS_SKIPPED.isdisjoint(parts):
            return True
        suffix = "/" if is_dir else ""
        if self._qwen is not None and self._qwen.check_file(relative + suffix).include:
            return True
        decided: bool | None = None
        for depth in range(len(parts)):
            spec = self._folder_spec("/".join(parts[:depth]))
            if spec is not None:
                verdict = spec.check_file("/".join(parts[depth:]) + suffix).include
                if verdict is not None:
                    decided = verdict
        return bool(decided)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one per workspace, lives as long
    def _folder_spec(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        gitignore = self.root / folder / ".gitignore"
        return _spec(gitignore) if gitignore.is_file() else None


def _spec(file: Path) -> pathspec.GitIgnoreSpec:
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    return pathspec.GitIgnoreSpec.from_lines(lines)
