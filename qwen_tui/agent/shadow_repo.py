"""A git repository of the app's own that records a workspace, beside it, never in it.

git does the storing (content-addressed, compressed, with a stat cache that makes a
second snapshot of a big project cheap), but the user's repository must never notice:
git always runs with ``--git-dir`` pointing at the shadow folder under
``$QWEN_TUI_HOME/history/`` and ``--work-tree`` at the workspace, so the user's
``.git`` (index, HEAD, refs, hooks, config) is neither read nor written.

git also runs in an environment of its own. Whatever the user set for their own git
(``GIT_DIR``, ``GIT_INDEX_FILE``, a global config with hooks, gpg signing, autocrlf or
filters) would otherwise change where git writes or what it stores, so every ``GIT_*``
variable is dropped, system and global config are switched off, and the author is
fixed. The workspace's ``.gitattributes`` are overridden for the same reason: a
snapshot stores bytes as they are, and a restore writes them back as they were.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from qwen_tui.config.paths import ensure_private_dir
from qwen_tui.tools.environment import tool_environment
from qwen_tui.tools.errors import ToolError

BRANCH = "refs/heads/checkpoints"
"""The ref whose history is the workspace's checkpoints, newest at its tip."""

_CONFIG = (
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.fileMode=true",
    "core.symlinks=true",
    "core.ignoreCase=false",
    "core.precomposeUnicode=false",
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.quotePath=false",
    "commit.gpgSign=false",
    "gc.autoDetach=false",
    "init.defaultBranch=checkpoints",
)
_ATTRIBUTES = "* -text -eol -filter -ident -diff -merge -working-tree-encoding\n"
"""``info/attributes`` wins over every ``.gitattributes`` of the workspace: no line
ending conversion, no clean or smudge filter (LFS), no re-encoding."""

_IDENTITY = {
    "GIT_AUTHOR_NAME": "qwen-tui",
    "GIT_AUTHOR_EMAIL": "qwen-tui@localhost",
    "GIT_COMMITTER_NAME": "qwen-tui",
    "GIT_COMMITTER_EMAIL": "qwen-tui@localhost",
}


class CheckpointError(ToolError):
    """No checkpoint could be taken or restored (git missing, disk full, …)."""


def shadow_folder(home: Path, root: Path) -> Path:
    """The shadow repository of the workspace ``root``: readable name, stable hash."""
    digest = hashlib.sha256(os.fsencode(root)).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", root.name).strip("-.")[:40] or "root"
    return home / "history" / f"{name}-{digest}"


def git_environment() -> dict[str, str]:
    """The environment git runs in: the user's without secrets, without ``GIT_*``."""
    environment = {
        name: value
        for name, value in tool_environment().items()
        if not name.upper().startswith("GIT_")
    }
    environment.update(
        _IDENTITY,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        LC_ALL="C",
    )
    return environment


class ShadowRepo:
    """git, bound to one shadow folder and one workspace."""

    def __init__(self, folder: Path, root: Path) -> None:
        self.folder = folder
        self.root = root
        # Older git ignores GIT_CONFIG_GLOBAL; a home of its own keeps ~/.gitconfig out.
        self._environment = {
            **git_environment(),
            "HOME": str(folder.parent),
            "XDG_CONFIG_HOME": str(folder.parent),
        }
        self._git = shutil.which("git", path=self._environment.get("PATH"))

    def ensure(self) -> None:
        """Create the shadow repository (0700) on first use.

        Raises:
            CheckpointError: git is missing, the folder cannot be made, or it belongs
                to another workspace.
        """
        marker = self.folder / "workspace"
        if marker.is_file():
            recorded = marker.read_text(encoding="utf-8", errors="replace").strip()
            if recorded != str(self.root):
                raise CheckpointError(
                    f"The history folder {self.folder} belongs to {recorded}, not {self.root}."
                )
            return
        try:
            ensure_private_dir(self.folder.parent)
            ensure_private_dir(self.folder)
        except OSError as error:
            raise CheckpointError(
                f"The history folder {self.folder} cannot be made: {error.strerror or error}."
            ) from error
        self.run("init", "--bare", "--quiet", "--template=", str(self.folder), bare=True)
        try:
            (self.folder / "info").mkdir(mode=0o700, exist_ok=True)
            (self.folder / "info" / "attributes").write_text(_ATTRIBUTES, encoding="utf-8")
            marker.write_text(f"{self.root}\n", encoding="utf-8")
        except OSError as error:
            raise CheckpointError(
                f"The history folder {self.folder} cannot be written: {error.strerror or error}."
            ) from error

    def run(
        self,
        *arguments: str,
        stdin: bytes | None = None,
        index: Path | None = None,
        bare: bool = False,
        check: bool = True,
    ) -> bytes:
        """Run git on the shadow repository; its standard output.

        Args:
            arguments: the git command and its arguments.
            stdin: bytes for git's standard input.
            index: another index file than the shadow's own.
            bare: run without ``--git-dir``/``--work-tree`` (for ``init``).
            check: raise when git fails.

        Raises:
            CheckpointError: git is missing or failed; the message says why.
        """
        if self._git is None:
            raise CheckpointError("git was not found on PATH; undo checkpoints need it.")
        command: list[str] = [self._git]
        for setting in _CONFIG:
            command += ["-c", setting]
        if not bare:
            command += [f"--git-dir={self.folder}", f"--work-tree={self.root}"]
        environment = self._environment
        if index is not None:
            environment = {**environment, "GIT_INDEX_FILE": str(index)}
        try:
            result = subprocess.run(
                [*command, *arguments],
                input=stdin if stdin is not None else b"",
                capture_output=True,
                cwd=self.root,
                env=environment,
                check=False,
            )
        except OSError as error:
            raise CheckpointError(f"git could not be run: {error.strerror or error}.") from error
        if check and result.returncode != 0:
            raise CheckpointError(_failure(arguments, result.stderr))
        return result.stdout

    def lines(self, *arguments: str, stdin: bytes | None = None) -> list[str]:
        """git's NUL-separated output (``-z``) as paths or fields."""
        output = self.run(*arguments, stdin=stdin)
        return [os.fsdecode(part) for part in output.split(b"\0") if part]

    def blobs(self, ids: Sequence[str]) -> list[bytes]:
        """The contents of the blobs ``ids``, read by one ``git cat-file --batch``."""
        if not ids:
            return []
        output = self.run("cat-file", "--batch", stdin="".join(f"{i}\n" for i in ids).encode())
        contents: list[bytes] = []
        position = 0
        for _ in ids:
            end = output.index(b"\n", position)
            header = output[position:end].split()
            if len(header) != 3:
                raise CheckpointError(f"The history lacks {header[0].decode()}.")
            size = int(header[2])
            contents.append(output[end + 1 : end + 1 + size])
            position = end + 1 + size + 1
        return contents


def _failure(arguments: Sequence[str], stderr: bytes) -> str:
    text = stderr.decode("utf-8", errors="replace").strip().splitlines()
    reason = text[-1] if text else "no reason given"
    if "No space left" in reason:
        return "The disk is full, so no undo checkpoint could be written."
    return f"git {arguments[0]} failed: {reason}"
