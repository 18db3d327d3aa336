"""Undo for the agent: the workspace recorded before every change, and put back on demand.

Each checkpoint is a commit in the workspace's shadow repository (see
:mod:`qwen_tui.agent.shadow_repo`) on one linear history, newest at the tip. A
checkpoint records what listing sees: every file, tracked by the user's git or not,
except what ``.gitignore`` files and ``.qwenignore`` exclude (an ignored
``node_modules`` is never read), ``.git`` itself, symlinks, and files over
:data:`SIZE_CAP`, which are named in the checkpoint as left out.

A restore first records the present as a "before undo" checkpoint, so an undo can be
undone too. It then writes back what changed, recreates what was deleted, and deletes
only files the "before undo" checkpoint recorded that the target lacks: an ignored or
oversized file is never deleted or overwritten, since nothing could bring it back.

Everything here blocks (git, file writes); callers in the event loop use the ``async``
wrappers, which run it in a thread.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from qwen_tui.agent.file_restore import remove_empty_folders, remove_file, write_file
from qwen_tui.agent.shadow_repo import BRANCH, CheckpointError, ShadowRepo, shadow_folder
from qwen_tui.tools.walk import walk_files
from qwen_tui.tools.workspace import Workspace

SIZE_CAP = 5 * 1024 * 1024
"""Files larger than this (5 MB) are not recorded: build outputs and data sets would
fill the history, and the agent's tools do not write them."""

BEFORE_UNDO = "before undo"
_LOCK_SECONDS = 60.0
_BATCH = 200
_FORMAT = "--format=%H%n%T%n%ct%n%B"
_SKIPPED_MODES = frozenset({"120000", "160000"})
"""Symlinks and submodules: never recorded, so never written back."""


@dataclass(frozen=True)
class Checkpoint:
    """One recorded state of the workspace.

    Attributes:
        id: the commit in the shadow repository.
        label: what came next (the tool call's title), or "before undo".
        time: when it was taken.
        files: the files that differ from the previous checkpoint.
        left_out: files over the size cap, not recorded.
        restores: for a "before undo" checkpoint, the checkpoint it went back to.
    """

    id: str
    label: str
    time: datetime
    files: tuple[str, ...]
    left_out: tuple[str, ...] = ()
    restores: str | None = None
    tree: str = field(default="", repr=False, compare=False)


History = list[Checkpoint]
"""Checkpoints, newest first (a name of its own: ``Checkpoints.list`` hides ``list``)."""


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did, for the user to see.

    Attributes:
        checkpoint: the state the workspace is back in.
        before: the state it was in, recorded first (rewind to it to undo the undo).
        restored: files changed since, put back.
        deleted: files created since, deleted.
        recreated: files deleted since, back again.
        kept: files left as they are: their present version could not be recorded
            (ignored, over the size cap) or something is in the way.
    """

    checkpoint: Checkpoint
    before: Checkpoint
    restored: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    recreated: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether any file was written or deleted."""
        return bool(self.restored or self.deleted or self.recreated)


class Checkpoints:
    """The undo history of one workspace."""

    def __init__(self, home: Path, workspace: Workspace) -> None:
        self.workspace = workspace
        self._home = home.resolve()
        self.folder = shadow_folder(self._home, workspace.root)
        self._repo = ShadowRepo(self.folder, workspace.root)

    def snapshot(self, label: str) -> Checkpoint:
        """Record the workspace as it is now.

        Raises:
            CheckpointError: git is missing or failed, or the disk is full.
        """
        with self._locked():
            tree, left_out = self._record()
            checkpoint = self._commit(tree, label, left_out)
            self._repo.run("gc", "--auto", "--quiet", check=False)
            return checkpoint

    def list(self, limit: int | None = None) -> History:
        """The checkpoints, newest first; none (and no history folder made) before the
        first."""
        if not (self.folder / "workspace").is_file():
            return []
        with self._locked():
            return self._list(limit)

    def restore(self, checkpoint: Checkpoint) -> RestoreReport:
        """Put the workspace back as it was at ``checkpoint``."""
        with self._locked():
            tree, left_out = self._record()
            return self._restore(checkpoint, tree, left_out)

    def undo(self) -> RestoreReport:
        """Go back to before the last changing tool call not undone yet.

        Raises:
            CheckpointError: nothing to undo, or git failed.
        """
        with self._locked():
            tree, left_out = self._record()
            target = _undo_target(self._list(None), tree)
            if target is None:
                raise CheckpointError("There is nothing to undo.")
            return self._restore(target, tree, left_out)

    def rewind(self, checkpoint_id: str) -> RestoreReport:
        """Go back to the checkpoint whose id is (or starts with) ``checkpoint_id``."""
        with self._locked():
            matches = [
                c for c in self._list(None) if checkpoint_id and c.id.startswith(checkpoint_id)
            ]
            if len(matches) != 1:
                raise CheckpointError(f"No single checkpoint has the id {checkpoint_id!r}.")
            tree, left_out = self._record()
            return self._restore(matches[0], tree, left_out)

    async def before_change(self, label: str) -> None:
        """:meth:`snapshot` in a thread: the agent's ``before_change``."""
        await asyncio.to_thread(self.snapshot, label)

    async def undo_async(self) -> RestoreReport:
        """:meth:`undo` in a thread."""
        return await asyncio.to_thread(self.undo)

    async def rewind_async(self, checkpoint_id: str) -> RestoreReport:
        """:meth:`rewind` in a thread."""
        return await asyncio.to_thread(self.rewind, checkpoint_id)

    async def list_async(self, limit: int | None = None) -> History:
        """:meth:`list` in a thread."""
        return await asyncio.to_thread(self.list, limit)

    def _locked(self) -> _Lock:
        self._repo.ensure()
        return _Lock(FileLock(str(self.folder / "qwen-tui.lock")))

    def _record(self) -> tuple[str, tuple[str, ...]]:
        """Bring the shadow index to the workspace's files; the tree and what was left
        out. git's stat cache rehashes only files that changed."""
        files, left_out = _workspace_files(self.workspace, self._home)
        gone = set(self._repo.lines("ls-files", "-z")) - set(files)
        if gone:
            self._repo.run("update-index", "-z", "--force-remove", "--stdin", stdin=_nul(gone))
        if files:
            self._repo.run("update-index", "-z", "--add", "--remove", "--stdin", stdin=_nul(files))
        tree = self._repo.run("write-tree").decode().strip()
        return tree, left_out

    def _tip(self) -> str | None:
        output = self._repo.run("rev-parse", "--verify", "--quiet", BRANCH, check=False)
        return output.decode().strip() or None

    def _commit(
        self, tree: str, label: str, left_out: tuple[str, ...], restores: str | None = None
    ) -> Checkpoint:
        parent = self._tip()
        if parent is None:
            files = self._repo.lines("ls-tree", "-r", "-z", "--name-only", tree)
        else:
            files = self._repo.lines(
                "diff-tree", "-r", "-z", "--no-renames", "--name-only", parent, tree
            )
        meta: dict[str, Any] = {"label": label, "files": files, "left_out": list(left_out)}
        if restores is not None:
            meta["restores"] = restores
        subject = " ".join(label.split())[:200] or "checkpoint"
        message = f"{subject}\n\n{json.dumps(meta)}\n"
        arguments = ["commit-tree", tree, *(["-p", parent] if parent else []), "-F", "-"]
        commit = (
            self._repo.run(*arguments, stdin=message.encode("utf-8", "replace")).decode().strip()
        )
        self._repo.run("update-ref", BRANCH, commit, parent or "")
        [checkpoint] = _parse(self._repo.run("log", "-1", "-z", _FORMAT, commit))
        return checkpoint

    def _list(self, limit: int | None) -> History:
        if self._tip() is None:
            return []
        count = [] if limit is None else [f"--max-count={limit}"]
        return _parse(self._repo.run("log", "-z", *count, _FORMAT, BRANCH))

    def _restore(self, target: Checkpoint, tree: str, left_out: tuple[str, ...]) -> RestoreReport:
        before = self._commit(tree, BEFORE_UNDO, left_out, restores=target.id)
        fields = self._repo.lines("diff-tree", "-r", "-z", "--no-renames", tree, target.id)
        root = self.workspace.root
        deleted: list[str] = []
        kept: list[str] = []
        writes: list[tuple[str, str, str, str]] = []
        for meta, path in zip(fields[::2], fields[1::2], strict=True):
            _, mode, _, blob, status = meta.lstrip(":").split()
            if status == "D":
                (deleted if remove_file(root, path) else kept).append(path)
            elif mode in _SKIPPED_MODES or (status == "A" and os.path.lexists(root / path)):
                kept.append(path)
            else:
                writes.append((path, mode, blob, status))
        remove_empty_folders(root, deleted)
        restored: list[str] = []
        recreated: list[str] = []
        for start in range(0, len(writes), _BATCH):
            batch = writes[start : start + _BATCH]
            contents = self._repo.blobs([blob for _, _, blob, _ in batch])
            for (path, mode, _, status), content in zip(batch, contents, strict=True):
                if not write_file(root, path, content, mode):
                    kept.append(path)
                else:
                    (recreated if status == "A" else restored).append(path)
        return RestoreReport(
            target, before, tuple(restored), tuple(deleted), tuple(recreated), tuple(kept)
        )


class _Lock:
    """The shadow repository's file lock: one git at a time, across processes too."""

    def __init__(self, lock: FileLock) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        try:
            self._lock.acquire(timeout=_LOCK_SECONDS)
        except Timeout as error:
            raise CheckpointError(
                "Another qwen-tui is recording this workspace's history; try again."
            ) from error

    def __exit__(self, *_: object) -> None:
        self._lock.release()


def _workspace_files(workspace: Workspace, home: Path) -> tuple[list[str], tuple[str, ...]]:
    """The files to record and those over the size cap, relative with ``/``.

    The app's own folder is skipped when it lies in the workspace (a workspace that is
    the home folder): the history would otherwise record itself, and credentials."""
    files: list[str] = []
    left_out: list[str] = []
    own = (
        f"{home.relative_to(workspace.root).as_posix()}/"
        if home.is_relative_to(workspace.root)
        else None
    )
    for path, relative in walk_files(workspace, workspace.root):
        if own is not None and (relative + "/").startswith(own):
            continue
        try:
            size = os.lstat(path).st_size
        except OSError:
            continue
        (left_out if size > SIZE_CAP else files).append(relative)
    return files, tuple(left_out)


def _nul(paths: Iterable[str]) -> bytes:
    return b"".join(os.fsencode(path) + b"\0" for path in paths)


def _parse(output: bytes) -> History:
    checkpoints: History = []
    for record in output.split(b"\0"):
        if not record.strip():
            continue
        commit, tree, seconds, message = record.decode("utf-8", "replace").split("\n", 3)
        last = [line for line in message.splitlines() if line.strip()][-1]
        meta = json.loads(last)
        checkpoints.append(
            Checkpoint(
                commit.strip(),
                str(meta["label"]),
                datetime.fromtimestamp(int(seconds), tz=UTC),
                tuple(meta.get("files", ())),
                tuple(meta.get("left_out", ())),
                meta.get("restores"),
                tree,
            )
        )
    return checkpoints


def _undo_target(history: History, present: str) -> Checkpoint | None:
    """The newest checkpoint before a change that is not undone yet.

    A "before undo" checkpoint stands for the state it went back to, so what lies
    between it and its target was undone and is skipped; a checkpoint that equals the
    present (its call changed nothing) is skipped too.
    """
    position = {checkpoint.id: index for index, checkpoint in enumerate(history)}
    index = 0
    while index < len(history):
        checkpoint = history[index]
        if checkpoint.restores is not None:
            target = position.get(checkpoint.restores, index)
            index = max(target, index) + 1
            continue
        if checkpoint.tree != present:
            return checkpoint
        index += 1
    return None
