"""Undo checkpoints against real git and real files: what is recorded, what comes back,
and that neither the workspace nor the user's own repository notices."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from qwen_tui.agent.approval import ApprovalPolicy
from qwen_tui.agent.checkpoints import BEFORE_UNDO, SIZE_CAP, Checkpoints
from qwen_tui.agent.events import ToolFinished
from qwen_tui.agent.loop import Agent
from qwen_tui.agent.shadow_repo import CheckpointError
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.tools import Toolbox, Workspace
from tests.chat.test_chat_service import KEY, service_for
from tests.support.sandbox import PYTHON
from tests.support.servers.openai_server import Call, Turn, openai_server

CRLF = b"first\r\nsecond\r\n"
BINARY = bytes(range(256)) * 4


def git(root: Path, *arguments: str) -> str:
    """The user's git, as the user runs it; ``status`` told not to refresh the index, so
    that only what the checkpoints do could change it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        ["git", "-C", str(root), *arguments],
        check=True,
        capture_output=True,
        text=True,
        env={**environment, "GIT_OPTIONAL_LOCKS": "0"},
    ).stdout


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository with a commit, CRLF files under ``text=auto``, an executable,
    an ignored folder, a .qwenignore and an untracked file."""
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('app')\n")
    (root / "notes.txt").write_bytes(CRLF)
    (root / "blob.bin").write_bytes(BINARY)
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o755)
    (root / ".gitattributes").write_text("* text=auto\n")
    (root / ".gitignore").write_text("node_modules/\n*.log\n")
    (root / ".qwenignore").write_text("private/\n")
    (root / "node_modules" / "dep").mkdir(parents=True)
    (root / "node_modules" / "dep" / "index.js").write_text("module.exports = 1\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    (root / "untracked.txt").write_text("mine, not committed\n")
    return root


def tree(root: Path, *, with_git: bool = False) -> dict[str, tuple[int, bytes | None]]:
    """Every path under ``root``: its mode and, for files, its bytes."""
    listing: dict[str, tuple[int, bytes | None]] = {}
    for folder, folders, files in os.walk(root):
        if not with_git and ".git" in folders:
            folders.remove(".git")
        for name in [*folders, *files]:
            path = Path(folder, name)
            info = path.lstat()
            content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
            listing[path.relative_to(root).as_posix()] = (info.st_mode, content)
    return listing


def user_git_state(root: Path) -> tuple[str, str, str, bytes]:
    return (
        git(root, "status", "--porcelain", "--ignored"),
        git(root, "rev-parse", "HEAD"),
        git(root, "for-each-ref"),
        (root / ".git" / "index").read_bytes(),
    )


def change_everything(root: Path) -> None:
    (root / "src" / "app.py").write_text("print('changed')\n")
    (root / "notes.txt").write_bytes(b"flattened\n")
    (root / "blob.bin").unlink()
    (root / "run.sh").chmod(0o644)
    (root / "untracked.txt").write_text("overwritten\n")
    (root / "new" / "deep").mkdir(parents=True)
    (root / "new" / "deep" / "made.py").write_text("new\n")


def test_undo_puts_back_edits_creations_deletions_and_modes(project: Path, home: Path) -> None:
    before = tree(project)
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("edit src/app.py")
    change_everything(project)
    report = checkpoints.undo()
    assert tree(project) == before
    assert (project / "notes.txt").read_bytes() == CRLF  # text=auto did not touch it
    assert os.access(project / "run.sh", os.X_OK)
    assert report.checkpoint.label == "edit src/app.py"
    assert sorted(report.restored) == ["notes.txt", "run.sh", "src/app.py", "untracked.txt"]
    assert report.deleted == ("new/deep/made.py",)
    assert report.recreated == ("blob.bin",)
    assert report.kept == ()
    assert not (project / "new").exists()  # the folders it left empty are gone


def test_a_file_written_by_a_command_is_undone(project: Path, home: Path) -> None:
    before = tree(project)
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("run_shell_command make")
    subprocess.run(
        ["sh", "-c", "echo built > out.txt && printf more >> src/app.py"], cwd=project, check=True
    )
    report = checkpoints.undo()
    assert tree(project) == before
    assert report.deleted == ("out.txt",) and report.restored == ("src/app.py",)


def test_ignored_and_oversized_files_are_neither_recorded_nor_deleted(
    project: Path, home: Path
) -> None:
    big = project / "data.bin"
    big.write_bytes(b"\0" * (SIZE_CAP + 1))
    checkpoints = Checkpoints(home, Workspace.at(project))
    first = checkpoints.snapshot("write_file x")
    assert first.left_out == ("data.bin",)
    assert "data.bin" not in first.files
    assert not [f for f in first.files if f.startswith("node_modules")]
    (project / "node_modules" / "dep" / "later.js").write_text("added after\n")
    (project / "debug.log").write_text("ignored\n")
    (project / "private").mkdir()
    (project / "private" / "key.txt").write_text("not for the model\n")
    (project / "huge.bin").write_bytes(b"\1" * (SIZE_CAP + 10))
    (project / "src" / "app.py").write_text("changed\n")
    report = checkpoints.undo()
    assert report.restored == ("src/app.py",) and report.deleted == ()
    for kept in ("node_modules/dep/later.js", "debug.log", "private/key.txt", "huge.bin"):
        assert (project / kept).exists(), kept
    assert report.before.left_out == ("data.bin", "huge.bin")
    recorded = git_shadow(checkpoints, "ls-tree", "-r", "--name-only", report.before.id)
    assert "debug.log" not in recorded and "huge.bin" not in recorded
    assert "private/" not in recorded and (project / "data.bin").exists()
    assert "node_modules" not in recorded and ".git/" not in recorded


def git_shadow(checkpoints: Checkpoints, *arguments: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={checkpoints.folder}", *arguments],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_a_folder_that_is_not_a_repository(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "a.txt").write_text("a\n")
    checkpoints = Checkpoints(home, Workspace.at(root))
    checkpoints.snapshot("edit a.txt")
    (root / "a.txt").write_text("b\n")
    (root / "b.txt").write_text("new\n")
    checkpoints.undo()
    assert tree(root) == {"a.txt": ((root / "a.txt").lstat().st_mode, b"a\n")}
    assert not (root / ".git").exists()


def test_the_users_git_state_never_changes(
    project: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git(project, "add", "src/app.py")  # something staged, so the index is not HEAD's
    state = user_git_state(project)
    git_folder = tree(project / ".git")
    # A user's own git variables must not lead the shadow repository to theirs.
    monkeypatch.setenv("GIT_DIR", str(project / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(project / ".git" / "index"))
    monkeypatch.setenv("GIT_WORK_TREE", str(project))
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("edit src/app.py")
    (project / "src" / "app.py").write_text("changed\n")
    (project / "new.txt").write_text("new\n")
    checkpoints.snapshot("edit new.txt")
    checkpoints.undo()
    assert user_git_state(project) == state
    assert tree(project / ".git") == git_folder


def test_a_snapshot_writes_nothing_inside_the_workspace(project: Path, home: Path) -> None:
    before = tree(project, with_git=True)
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("first")
    (project / "src" / "app.py").write_text("changed\n")
    after_change = tree(project, with_git=True)
    checkpoints.snapshot("second")
    assert tree(project, with_git=True) == after_change
    assert set(after_change) == set(before)


def test_an_undo_can_be_undone(project: Path, home: Path) -> None:
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("edit src/app.py")
    change_everything(project)
    changed = tree(project)
    report = checkpoints.undo()
    assert report.before.label == BEFORE_UNDO
    assert report.before.restores == report.checkpoint.id
    again = checkpoints.rewind(report.before.id[:10])
    assert tree(project) == changed
    assert again.recreated == ("new/deep/made.py",) and again.deleted == ("blob.bin",)


def test_each_undo_goes_one_change_further_back(project: Path, home: Path) -> None:
    app = project / "src" / "app.py"
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("edit 1")
    app.write_text("one\n")
    checkpoints.snapshot("edit 2")
    app.write_text("two\n")
    checkpoints.snapshot("edit 3 (refused: changed nothing)")
    assert checkpoints.undo().checkpoint.label == "edit 2"
    assert app.read_text() == "one\n"
    assert checkpoints.undo().checkpoint.label == "edit 1"
    assert app.read_text() == "print('app')\n"
    with pytest.raises(CheckpointError, match="nothing to undo"):
        checkpoints.undo()
    labels = [c.label for c in checkpoints.list()]
    refused = "edit 3 (refused: changed nothing)"
    assert labels == [BEFORE_UNDO, BEFORE_UNDO, refused, "edit 2", "edit 1"]
    assert checkpoints.list()[3].files == ("src/app.py",)


def test_two_workspaces_have_two_private_histories(tmp_path: Path, home: Path) -> None:
    folders = []
    for name in ("one", "two"):
        root = tmp_path / name
        root.mkdir()
        (root / "f.txt").write_text(name)
        checkpoints = Checkpoints(home, Workspace.at(root))
        assert checkpoints.list() == [] and not checkpoints.folder.exists()
        checkpoints.snapshot("edit f.txt")
        folders.append(checkpoints.folder)
        assert (checkpoints.folder / "workspace").read_text().strip() == str(root.resolve())
        assert stat.S_IMODE(checkpoints.folder.stat().st_mode) == 0o700
        assert checkpoints.folder.parent == home / "history"
    assert folders[0] != folders[1]
    assert Checkpoints(home, Workspace.at(tmp_path / "one")).folder == folders[0]


def test_without_git_no_checkpoint_is_taken(
    project: Path, home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "no-git"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(CheckpointError, match="git was not found"):
        Checkpoints(home, Workspace.at(project)).snapshot("edit")


async def test_a_change_is_not_made_when_no_checkpoint_can_be_taken(
    project: Path,
) -> None:
    async def fail(title: str) -> None:
        raise CheckpointError("The disk is full, so no undo checkpoint could be written.")

    edit = Call("edit", {"file_path": "src/app.py", "old_string": "app", "new_string": "x"})
    script = [Turn([], [Call("write_file", {"file_path": "w.txt", "content": "w"}), edit])]
    with openai_server(api_key=KEY, script=[*script, Turn(["I could not."])]) as server:
        agent = Agent(
            service_for(server.base_url),
            Toolbox(Workspace.at(project)),
            ApprovalPolicy("yolo"),
            before_change=fail,
        )
        events = [event async for event in agent.run([ChatMessage("user", "change")])]
        await agent.chat.aclose()
        results = list(server.tool_results(-1).values())
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [f.ok for f in finished] == [False, False]
    assert all("disk is full" in r and "not made" in r for r in results)
    assert not (project / "w.txt").exists()
    assert (project / "src" / "app.py").read_text() == "print('app')\n"


def test_p_yolo_leaves_checkpoints_that_undo_the_run(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.headless.test_cli_agent import BUGGY, qwen

    (project / "calc.py").write_text(BUGGY)
    before = tree(project)
    check = f"{PYTHON} -c 'import calc; assert calc.add(2, 3) == 5'"
    edit = {"file_path": "calc.py", "old_string": "a - b", "new_string": "a + b"}
    script = [
        Turn([], [Call("edit", edit)]),
        Turn([], [Call("run_shell_command", {"command": check})]),
        Turn(["Fixed."]),
    ]
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # the check leaves no __pycache__
    with openai_server(script=script) as server:
        result = qwen(project, server, "--approval-mode", "yolo")
    assert result.returncode == 0, result.stderr
    assert (project / "calc.py").read_text().endswith("a + b\n")
    checkpoints = Checkpoints(Path(os.environ["QWEN_TUI_HOME"]), Workspace.at(project))
    labels = [c.label for c in checkpoints.list()]
    assert labels == [f"run_shell_command {check}", "edit calc.py"]
    report = checkpoints.undo()
    assert report.restored == ("calc.py",)
    assert tree(project) == before


def test_a_restore_never_writes_through_a_symlink_out_of_the_workspace(
    project: Path, home: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "src" / "pkg").mkdir()
    (project / "src" / "pkg" / "mod.py").write_text("deeper\n")
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("run_shell_command mv src elsewhere")
    shutil.rmtree(project / "src")
    (project / "src").symlink_to(outside)
    report = checkpoints.undo()
    assert list(outside.iterdir()) == []  # not even an empty pkg folder
    assert report.kept == ("src/app.py", "src/pkg/mod.py")


def test_odd_file_names_come_back(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    names = ["new\nline.txt", os.fsdecode(b"latin-\xe9.txt"), "sp ace/ü.txt"]
    for name in names:
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(os.fsencode(name))
    before = tree(root)
    checkpoints = Checkpoints(home, Workspace.at(root))
    checkpoints.snapshot("edit")
    for name in names:
        (root / name).unlink()
    assert sorted(checkpoints.undo().recreated) == sorted(names)
    assert tree(root) == before


def test_the_apps_own_folder_inside_the_workspace_is_not_recorded(tmp_path: Path) -> None:
    (tmp_path / "work.txt").write_text("work\n")
    home = tmp_path / ".config" / "qwen-tui"
    checkpoints = Checkpoints(home, Workspace(tmp_path))
    checkpoints.snapshot("one")
    second = checkpoints.snapshot("two")
    recorded = git_shadow(checkpoints, "ls-tree", "-r", "--name-only", second.id)
    assert recorded.split() == [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.txt")]


def test_the_users_git_config_does_not_apply(
    project: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "gitconfig"
    config.write_text(
        "[core]\n\tautocrlf = true\n[commit]\n\tgpgSign = true\n[gpg]\n\tprogram = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".gitconfig").write_text(config.read_text())
    checkpoints = Checkpoints(home, Workspace.at(project))
    checkpoints.snapshot("edit notes.txt")
    (project / "notes.txt").write_bytes(b"changed\n")
    checkpoints.undo()
    assert (project / "notes.txt").read_bytes() == CRLF
