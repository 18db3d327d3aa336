"""The system message: how to work in the workspace, and QWEN.md / AGENTS.md."""

from __future__ import annotations

from pathlib import Path

from qwen_tui.agent.instructions import (
    MAX_INSTRUCTION_CHARS,
    instruction_files,
    system_prompt,
)
from qwen_tui.tools import Workspace


def test_the_project_and_user_files_are_sent_user_first(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "project"
    (home / ".qwen").mkdir(parents=True)
    root.mkdir()
    (home / ".qwen" / "QWEN.md").write_text("Answer in British English.\n")
    (root / "QWEN.md").write_text("Run tests with `make check`.\n")
    (root / "AGENTS.md").write_text("Never touch vendor/.\n")
    prompt = system_prompt(Workspace.at(root), "default", user_home=home)
    assert str(root.resolve()) in prompt and "The approval mode is default." in prompt
    user = prompt.index("Answer in British English.")
    project = prompt.index("Run tests with `make check`.")
    agents = prompt.index("Never touch vendor/.")
    assert user < project < agents
    assert "your own QWEN.md" in prompt and "the project's AGENTS.md" in prompt


def test_plan_mode_says_to_describe_instead_of_change(tmp_path: Path) -> None:
    prompt = system_prompt(Workspace.at(tmp_path), "plan", user_home=tmp_path / "nobody")
    assert "In plan mode nothing can be changed" in prompt
    assert "In plan mode" not in system_prompt(
        Workspace.at(tmp_path), "yolo", user_home=tmp_path / "nobody"
    )


def test_missing_empty_and_huge_files(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    workspace = Workspace.at(root)
    assert instruction_files(workspace, tmp_path / "nobody") == []
    (root / "QWEN.md").write_text("   \n")
    (root / "AGENTS.md").mkdir()
    assert instruction_files(workspace, tmp_path / "nobody") == []
    (root / "QWEN.md").write_text("x" * (MAX_INSTRUCTION_CHARS + 10))
    [big] = instruction_files(workspace, tmp_path / "nobody")
    assert big.cut and len(big.text) == MAX_INSTRUCTION_CHARS
    assert "[… cut at" in system_prompt(workspace, "default", user_home=tmp_path / "nobody")
