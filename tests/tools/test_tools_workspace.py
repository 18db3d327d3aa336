"""The workspace: its root, and every way out of it refused (real folders, real git)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from qwen_tui.tools import OutsideWorkspace, ToolError, Workspace
from qwen_tui.tools.workspace import find_root


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_the_root_is_the_git_root_above_the_start_folder(tmp_path: Path) -> None:
    git_init(tmp_path / "repo")
    inner = tmp_path / "repo" / "src" / "pkg"
    inner.mkdir(parents=True)
    assert Workspace.at(inner).root == (tmp_path / "repo").resolve()
    assert find_root(tmp_path / "repo") == (tmp_path / "repo").resolve()


def test_outside_a_repository_the_root_is_the_start_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    assert Workspace.at(folder).root == folder.resolve()


def test_a_start_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="not a folder"):
        Workspace.at(tmp_path / "missing")


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.py").write_text("print('hi')\n")
    (tmp_path / "secret.txt").write_text("outside\n")
    return Workspace.at(root)


def test_relative_and_absolute_paths_inside_resolve(workspace: Workspace) -> None:
    inside = workspace.root / "src" / "main.py"
    assert workspace.resolve("src/main.py") == inside
    assert workspace.resolve(str(inside)) == inside
    assert workspace.resolve("src/../src/main.py") == inside
    assert workspace.resolve(None) == workspace.root
    assert workspace.relative(inside) == "src/main.py"
    assert workspace.relative(workspace.root) == "."


@pytest.mark.parametrize(
    "path", ["../secret.txt", "src/../../secret.txt", "/etc/passwd", "~/x", "/"]
)
def test_paths_that_lead_out_are_refused(workspace: Workspace, path: str) -> None:
    with pytest.raises(OutsideWorkspace, match="outside the workspace"):
        workspace.resolve(path)


def test_a_symlink_that_leads_out_is_refused_and_one_inside_is_followed(
    workspace: Workspace,
) -> None:
    (workspace.root / "escape").symlink_to(workspace.root.parent)
    (workspace.root / "link.txt").symlink_to(workspace.root.parent / "secret.txt")
    (workspace.root / "alias").symlink_to(workspace.root / "src")
    with pytest.raises(OutsideWorkspace):
        workspace.resolve("escape/secret.txt")
    with pytest.raises(OutsideWorkspace):
        workspace.resolve("link.txt")
    assert workspace.resolve("alias/main.py") == workspace.root / "src" / "main.py"


def test_git_internals_are_off_limits(tmp_path: Path) -> None:
    git_init(tmp_path)
    workspace = Workspace.at(tmp_path)
    with pytest.raises(OutsideWorkspace, match=r"inside \.git"):
        workspace.resolve(".git/config")


def test_the_home_of_a_user_who_does_not_exist_is_refused_plainly(
    workspace: Workspace,
) -> None:
    with pytest.raises(ToolError, match="no home folder '~no-such-user-0x41'"):
        workspace.resolve("~no-such-user-0x41/notes.txt")


def test_a_nul_in_a_path_is_refused(workspace: Workspace) -> None:
    with pytest.raises(ToolError, match="NUL"):
        workspace.resolve("src/main.py\x00.txt")


def test_a_workspace_given_through_a_symlink_is_the_real_folder(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "via")
    workspace = Workspace.at(tmp_path / "via")
    assert workspace.root == real.resolve()
    assert workspace.resolve(str(tmp_path / "via" / "a.txt")) == real.resolve() / "a.txt"
