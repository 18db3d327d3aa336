"""The paths offered for ``@path``: what the tools may see, ranked, fast on a big tree."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from qwen_tui.tools.path_index import PathIndex
from qwen_tui.tools.workspace import Workspace


@pytest.fixture
def project(tmp_path: Path) -> Workspace:
    root = tmp_path / "project"
    for name in [
        "README.md",
        "src/main.py",
        "src/maths/add.py",
        "src/my app/notes.txt",
        "tests/test_main.py",
        "node_modules/left/pad.js",
        "build/out.bin",
        "secret/keys.txt",
    ]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    (root / ".gitignore").write_text("node_modules/\nbuild/\n")
    (root / ".qwenignore").write_text("secret/\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return Workspace.at(root)


def test_ignored_files_and_git_are_not_offered(project: Workspace) -> None:
    paths = PathIndex.build(project).paths
    assert "src/main.py" in paths and "src/maths/" in paths and "src/my app/" in paths
    assert not [p for p in paths if p.startswith(("node_modules", "build", "secret", ".git/"))]
    assert paths.index("README.md") < paths.index("src/main.py")  # shallow ones first


def test_names_that_start_with_it_come_first_then_paths_then_letters(
    project: Workspace,
) -> None:
    index = PathIndex.build(project)
    assert index.match("ma")[:4] == [
        "src/maths/",  # names first, shorter ones first
        "src/main.py",
        "tests/test_main.py",  # then paths that hold it, shallow ones first
        "src/maths/add.py",
    ]
    assert index.match("src/")[:3] == ["src/maths/", "src/main.py", "src/my app/"]
    assert "src/" not in index.match("src/")
    assert index.match("MAIN") == ["src/main.py", "tests/test_main.py"]
    assert index.match("smadd") == ["src/maths/add.py"]  # letters in order
    assert index.match("zzz") == []
    assert index.match("", limit=5) == [".gitignore", ".qwenignore", "README.md", "src/", "tests/"]


def test_ten_thousand_files_are_indexed_and_matched_quickly(tmp_path: Path) -> None:
    root = tmp_path / "big"
    for i in range(10_000):
        folder = root / f"pkg{i % 100:02}" / f"sub{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{i}.py").write_text("")
    workspace = Workspace.at(root)
    started = time.perf_counter()
    index = PathIndex.build(workspace)
    built = time.perf_counter() - started
    assert len(index.paths) == 10_000 + 100 + 700 and not index.truncated
    started = time.perf_counter()
    for typed in ["mod9999", "pkg42/sub3/", "p4s3m", "zzzz"]:
        index.match(typed)
    matched = (time.perf_counter() - started) / 4
    assert index.match("mod9999") == ["pkg99/sub3/mod9999.py"]
    # Generous bounds for a shared machine; measured here: about 0.1 s and 2 to 8 ms.
    assert built < 3.0
    assert matched < 0.1


def test_a_tree_bigger_than_the_cap_is_cut_and_says_so(project: Workspace) -> None:
    index = PathIndex.build(project, limit=2)
    assert index.truncated
    assert len([p for p in index.paths if not p.endswith("/")]) == 2
