"""edit and write_file: prepared without touching the disk, applied exactly, never half."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qwen_tui.tools import ToolError, Workspace
from qwen_tui.tools.changes import prepare_edit, prepare_write

SOURCE = "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text(SOURCE)
    return Workspace.at(root)


def fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_an_edit_that_matches_once_is_shown_as_a_diff_then_applied(
    workspace: Workspace,
) -> None:
    target = workspace.root / "calc.py"
    before = fingerprint(target)
    change = prepare_edit(
        workspace, "calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b"
    )
    assert fingerprint(target) == before  # preparing writes nothing
    diff = change.diff()
    assert diff.startswith("--- a/calc.py\n+++ b/calc.py\n")
    assert "-    return a - b\n+    return a + b\n" in diff
    assert change.counts() == (1, 1)
    assert change.apply() == "Changed calc.py (+1 -1 lines)."
    assert target.read_text() == SOURCE.replace("a - b", "a + b", 1)


def test_an_ambiguous_edit_is_refused_with_the_count_and_nothing_written(
    workspace: Workspace,
) -> None:
    target = workspace.root / "calc.py"
    before = fingerprint(target)
    with pytest.raises(ToolError, match=r"occurs 2 times.*replace_all"):
        prepare_edit(workspace, "calc.py", "return a - b", "return 0")
    assert fingerprint(target) == before
    prepare_edit(workspace, "calc.py", "return a - b", "return 0", replace_all=True).apply()
    assert target.read_text().count("return 0") == 2


def test_a_miss_tells_the_model_what_to_do_and_writes_nothing(workspace: Workspace) -> None:
    target = workspace.root / "calc.py"
    before = fingerprint(target)
    with pytest.raises(ToolError, match=r"not found.*Nothing was changed"):
        prepare_edit(workspace, "calc.py", "def mul(a, b):", "def mul(x, y):")
    with pytest.raises(ToolError, match="same"):
        prepare_edit(workspace, "calc.py", "add", "add")
    with pytest.raises(ToolError, match="does not exist; use write_file"):
        prepare_edit(workspace, "new.py", "x", "y")
    assert fingerprint(target) == before


def test_indentation_differences_get_a_second_try_that_says_so(workspace: Workspace) -> None:
    target = workspace.root / "calc.py"
    change = prepare_edit(
        workspace,
        "calc.py",
        "def sub(a, b):\n  return a - b  ",  # two spaces and a trailing blank
        "def sub(a, b):\n  return a - b - 0",
    )
    assert "indentation" in change.note
    assert change.apply().endswith(change.note)
    assert target.read_text().endswith("def sub(a, b):\n    return a - b - 0\n")


def test_line_endings_and_permissions_are_kept(workspace: Workspace) -> None:
    script = workspace.root / "run.sh"
    script.write_bytes(b"#!/bin/sh\r\necho one\r\necho two\r\n")
    script.chmod(0o750)
    prepare_edit(workspace, "run.sh", "echo one", "echo uno").apply()
    assert script.read_bytes() == b"#!/bin/sh\r\necho uno\r\necho two\r\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o750


def test_write_file_creates_folders_and_a_normal_file_mode(workspace: Workspace) -> None:
    change = prepare_write(workspace, "pkg/new/module.py", "x = 1\n")
    assert change.before is None and change.diff().startswith("--- /dev/null\n")
    assert not (workspace.root / "pkg").exists()
    assert change.apply() == "Created pkg/new/module.py (+1 -0 lines)."
    created = workspace.root / "pkg" / "new" / "module.py"
    assert created.read_text() == "x = 1\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(created.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in created.parent.iterdir()] == ["module.py"]  # no temporary left


def test_a_file_changed_after_preparing_is_not_overwritten(workspace: Workspace) -> None:
    target = workspace.root / "calc.py"
    change = prepare_write(workspace, "calc.py", "replaced\n")
    target.write_text("the user typed this meanwhile\n")
    with pytest.raises(ToolError, match="changed on disk"):
        change.apply()
    assert target.read_text() == "the user typed this meanwhile\n"


def test_changes_outside_the_workspace_or_to_binaries_are_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "victim.txt").write_text("keep\n")
    with pytest.raises(ToolError, match="outside"):
        prepare_write(workspace, "../victim.txt", "gone\n")
    with pytest.raises(ToolError, match="outside"):
        prepare_write(workspace, str(tmp_path / "victim.txt"), "gone\n")
    (workspace.root / "escape").symlink_to(tmp_path / "victim.txt")
    with pytest.raises(ToolError, match="outside"):
        prepare_edit(workspace, "escape", "keep", "gone")
    assert (tmp_path / "victim.txt").read_text() == "keep\n"
    (workspace.root / "blob.bin").write_bytes(b"\x00\x01keep")
    with pytest.raises(ToolError, match="binary"):
        prepare_edit(workspace, "blob.bin", "keep", "gone")
    with pytest.raises(ToolError, match="folder"):
        prepare_write(workspace, ".", "x")


def test_a_diff_marks_a_missing_final_newline(workspace: Workspace) -> None:
    change = prepare_write(workspace, "calc.py", "no newline")
    assert "+no newline\n\\ No newline at end of file\n" in change.diff()
