"""Fixtures of the settings tests that read ``.env`` files: the user's home and a
cloned project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def user_home() -> Path:
    """The user's home folder (``$HOME``, a test folder), created."""
    home = Path(os.environ["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A cloned repository with a sub-folder to work in."""
    folder = tmp_path / "cloned-repo"
    (folder / "src").mkdir(parents=True)
    return folder
