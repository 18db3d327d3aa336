"""read_file and list_directory against real files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from qwen_tui.tools import ToolError, Workspace
from qwen_tui.tools.reading import (
    DEFAULT_LINES,
    MAX_LINE_CHARS,
    MAX_LISTED,
    list_directory,
    read_file,
)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "project"  # beside the test's QWEN_TUI_HOME, not around it
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return Workspace.at(root)


def test_a_small_file_is_returned_exactly(workspace: Workspace) -> None:
    text = "first\r\nsecond\n\tthird"
    (workspace.root / "a.txt").write_bytes(text.encode())
    assert read_file(workspace, "a.txt") == text


def test_a_range_is_marked_with_where_it_is_and_how_to_read_on(workspace: Workspace) -> None:
    (workspace.root / "n.txt").write_text("".join(f"line {i}\n" for i in range(10)))
    result = read_file(workspace, "n.txt", offset=2, limit=3)
    notice, *lines = result.splitlines()
    assert lines == ["line 2", "line 3", "line 4"]
    assert "lines 3-5 of 10" in notice and "offset=5" in notice


def test_a_long_file_stops_at_the_default_with_a_truncated_marker(workspace: Workspace) -> None:
    (workspace.root / "big.txt").write_text("".join(f"{i}\n" for i in range(DEFAULT_LINES + 5)))
    result = read_file(workspace, "big.txt")
    first = result.splitlines()[0]
    assert first.startswith("[Truncated:") and f"of {DEFAULT_LINES + 5}" in first
    assert len(result.splitlines()) == DEFAULT_LINES + 1


def test_very_long_lines_are_cut_and_said_so(workspace: Workspace) -> None:
    (workspace.root / "wide.txt").write_text("x" * (MAX_LINE_CHARS + 50) + "\nshort\n")
    result = read_file(workspace, "wide.txt")
    assert "were cut" in result.splitlines()[0]
    assert "[50 more characters]" in result
    assert result.endswith("short\n")


def test_binary_non_utf8_missing_and_folders_are_refused_clearly(workspace: Workspace) -> None:
    (workspace.root / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (workspace.root / "latin1.txt").write_bytes("café".encode("latin-1"))
    (workspace.root / "dir").mkdir()
    with pytest.raises(ToolError, match="binary"):
        read_file(workspace, "img.png")
    with pytest.raises(ToolError, match="not UTF-8"):
        read_file(workspace, "latin1.txt")
    with pytest.raises(ToolError, match="does not exist"):
        read_file(workspace, "nope.txt")
    with pytest.raises(ToolError, match="list_directory"):
        read_file(workspace, "dir")
    with pytest.raises(ToolError, match="past its end"):
        (workspace.root / "one.txt").write_text("one\n")
        read_file(workspace, "one.txt", offset=5)


def test_listing_puts_folders_first_and_leaves_out_ignored_entries(workspace: Workspace) -> None:
    root = workspace.root
    (root / ".gitignore").write_text("*.log\nbuild/\n")
    (root / ".qwenignore").write_text("private.md\n")
    for name in ("b.py", "a.py", "debug.log", "private.md"):
        (root / name).write_text("x")
    for name in ("src", "build"):
        (root / name).mkdir()
    result = list_directory(workspace).splitlines()
    assert result[0].startswith("Folder .: 5 entries") and "ignored" in result[0]
    assert result[1:] == ["src/", ".gitignore", ".qwenignore", "a.py", "b.py"]
    everything = list_directory(workspace, respect_ignore_files=False).splitlines()
    assert "debug.log" in everything and "build/" in everything
    assert ".git/" not in everything
    assert "a.py" not in list_directory(workspace, ignore=["*.py"])


def test_a_huge_folder_listing_is_capped(workspace: Workspace) -> None:
    many = workspace.root / "many"
    many.mkdir()
    for i in range(MAX_LISTED + 3):
        (many / f"f{i:05}").touch()
    result = list_directory(workspace, "many").splitlines()
    assert result[-1] == "[Truncated: 3 more entries not listed.]"
    assert len(result) == MAX_LISTED + 2


def test_listing_a_file_or_outside_is_refused(workspace: Workspace) -> None:
    (workspace.root / "f.txt").touch()
    with pytest.raises(ToolError, match="not a folder"):
        list_directory(workspace, "f.txt")
    with pytest.raises(ToolError, match="outside"):
        list_directory(workspace, "..")
