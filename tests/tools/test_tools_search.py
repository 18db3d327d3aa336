"""glob and grep_search over real trees, with git's ignore rules."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from qwen_tui.tools import ToolError, Workspace
from qwen_tui.tools.globbing import glob_regex
from qwen_tui.tools.search import glob, grep_search


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "project"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    files = {
        "setup.py": "import setuptools\n",
        "src/app/main.py": "def main():\n    return Helper().run()\n",
        "src/app/helper.py": "class Helper:\n    def run(self):\n        return 42\n",
        "src/web/page.ts": "export const helper = 1;\n",
        "src/web/page.tsx": "<Helper/>\n",
        "build/out.py": "class Helper: pass\n",
        "notes/debug.log": "Helper crashed\n",
        "notes/keep.log": "Helper kept\n",
        "vendor/lib.py": "class Helper: ...\n",
        "vendor/.gitignore": "*\n!.gitignore\n",
        "secret/key.py": "HELPER = 'x'\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / ".gitignore").write_text("build/\n*.log\n!keep.log\n")
    (root / ".qwenignore").write_text("secret/\n")
    (root / "image.bin").write_bytes(b"Helper\x00\x01")
    return Workspace.at(root)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("src/**/*.py", "src/app/main.py", True),
        ("**/*.py", "setup.py", True),
        ("*.py", "setup.py", True),
        ("*.py", "src/app/main.py", False),
        ("src/*/page.{ts,tsx}", "src/web/page.tsx", True),
        ("src/*/page.{ts,tsx}", "src/web/page.js", False),
        ("file?.txt", "file1.txt", True),
        ("file[!0-9].txt", "file1.txt", False),
        ("a+b(c).txt", "a+b(c).txt", True),
    ],
)
def test_glob_patterns_follow_shell_rules(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is matches


def test_glob_lists_matching_files_newest_first_without_ignored_ones(
    workspace: Workspace,
) -> None:
    root = workspace.root
    os.utime(root / "src/app/helper.py", (1, 1))
    lines = glob(workspace, "**/*.py").splitlines()
    assert lines[0].startswith("3 files match")
    assert set(lines[1:]) == {"setup.py", "src/app/main.py", "src/app/helper.py"}
    assert lines[-1] == "src/app/helper.py"  # the oldest
    in_web = glob(workspace, "*.ts*", path="src/web").splitlines()[1:]
    assert set(in_web) == {"src/web/page.ts", "src/web/page.tsx"}
    assert glob(workspace, "**/*.rs") == "No files match **/*.rs in .."


def test_grep_finds_lines_with_smart_case_and_respects_ignore_files(
    workspace: Workspace,
) -> None:
    result = grep_search(workspace, "helper")
    lines = result.splitlines()
    assert lines[0].startswith(f"{len(lines) - 1} matching lines")
    found = set(lines[1:])
    assert "src/app/helper.py:1: class Helper:" in found
    assert "src/web/page.ts:1: export const helper = 1;" in found
    assert "notes/keep.log:1: Helper kept" in found  # re-included by !keep.log
    everything = "\n".join(found)
    for ignored in ("build/", "debug.log", "vendor/", "secret/", "image.bin"):
        assert ignored not in everything
    capital = grep_search(workspace, "Helper").splitlines()[1:]
    assert "src/web/page.ts:1: export const helper = 1;" not in capital
    assert "src/app/main.py:2:     return Helper().run()" in capital


def test_grep_filters_by_glob_and_path_and_caps_results(workspace: Workspace) -> None:
    only_py = grep_search(workspace, "helper", glob="*.py").splitlines()[1:]
    assert all(line.split(":")[0].endswith(".py") for line in only_py)
    in_web = grep_search(workspace, "helper", path="src/web").splitlines()[1:]
    assert {line.split(":")[0] for line in in_web} == {"src/web/page.ts", "src/web/page.tsx"}
    one_file = grep_search(workspace, "return", path="src/app/helper.py")
    assert one_file.splitlines()[1:] == ["src/app/helper.py:3:         return 42"]
    capped = grep_search(workspace, "helper", limit=1)
    assert len(capped.splitlines()) == 3 and "Truncated at 1 lines" in capped
    assert "No lines match" in grep_search(workspace, "nowhere-to-be-found")


def test_grep_refuses_a_bad_regex_and_paths_outside(workspace: Workspace) -> None:
    with pytest.raises(ToolError, match="not a valid regular expression"):
        grep_search(workspace, "(unclosed")
    with pytest.raises(ToolError, match="outside"):
        grep_search(workspace, "x", path="../")
    with pytest.raises(ToolError, match="outside"):
        glob(workspace, "*", path="/etc")


def test_a_symlinked_folder_is_not_walked_out_of_the_workspace(
    workspace: Workspace, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("class Helper: leaked\n")
    (workspace.root / "src" / "link").symlink_to(outside)
    assert "leak" not in grep_search(workspace, "Helper")
    assert "leak" not in glob(workspace, "**/*.py")


def test_ten_thousand_files_are_searched_completely(tmp_path: Path) -> None:
    root = tmp_path / "big"
    for i in range(10_000):
        folder = root / f"pkg{i % 100:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{i}.py").write_text(f"value = {i}\n" + ("needle\n" if i % 997 == 0 else ""))
    workspace = Workspace.at(root)
    found = grep_search(workspace, "needle", limit=1000).splitlines()
    assert found[0] == "11 matching lines in 11 files under .:"
    assert glob(workspace, "**/mod9999.py").splitlines()[1:] == ["pkg99/mod9999.py"]
