"""A real bubblewrap sandbox for tests, and folders outside ``/tmp`` to test it with.

Every test folder (``tmp_path``) is under ``/tmp``, which the sandbox replaces by an
empty tmpfs: a file there is out of reach whatever else the sandbox does. Folders that
prove the read-only file system and the hidden state folder therefore live under
``/var/tmp``, where the host can write and the sandbox sees the real file system.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from qwen_tui.tools.sandbox import Sandbox, choose_sandbox
from tests.conftest import skip_or_fail

OUTSIDE_TMP = Path("/var/tmp")

PYTHON = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
"""This interpreter's own program (not the virtual environment's link to it), for
commands that may run in the sandbox: a checkout, and so its ``.venv``, under ``/tmp``
is out of the sandbox's sight. It has the standard library only."""


@contextlib.contextmanager
def outside_tmp() -> Iterator[Path]:
    """A fresh folder under ``/var/tmp`` (not under ``/tmp``), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="qwen-tui-sandbox-", dir=OUTSIDE_TMP))
    try:
        yield folder.resolve()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bubblewrap(workspace: Path, home: Path, *, network: bool = False) -> Sandbox:
    """The real bubblewrap sandbox for ``workspace``; skipped (failed in CI) without it."""
    choice = choose_sandbox(workspace, home=home, network=network, platform="linux")
    if choice.sandbox is None:
        skip_or_fail(f"no bubblewrap sandbox: {choice.reason} (Debian package bubblewrap)")
    assert choice.sandbox is not None
    return choice.sandbox


def path_without_bubblewrap(folder: Path) -> str:
    """A ``PATH`` of one folder with the programs the app needs (git, bash, sh) and no
    ``bwrap``: the machine as one without bubblewrap installed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("git", "bash", "sh", "env"):
        found = shutil.which(name)
        if found is not None and not (folder / name).exists():
            (folder / name).symlink_to(found)
    return str(folder)
