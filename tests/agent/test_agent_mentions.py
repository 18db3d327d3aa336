"""``@path`` attachments: read inside the workspace with the tools' limits, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_tui.agent.mentions import (
    estimate_prompt,
    expand_mentions,
    mention_text,
    mentioned_paths,
    typed_mention,
)
from qwen_tui.chat.tokens import estimate_tokens
from qwen_tui.tools import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "my notes.md").write_text("remember\n")
    (tmp_path / "secret.txt").write_text("s3cret\n")
    return Workspace.at(root)


def test_mentions_are_found_at_the_start_or_after_a_space() -> None:
    assert mentioned_paths("@a.py and @src/ then mail me@example.com, see @my\\ notes.md.") == [
        "a.py",
        "src/",
        "my notes.md",
    ]
    assert mentioned_paths("@a.py twice @a.py") == ["a.py"]


def test_files_and_folders_are_attached_after_the_prompt(workspace: Workspace) -> None:
    expanded = expand_mentions("Explain @src/main.py and @src, also @my\\ notes.md", workspace)
    assert [a.path for a in expanded.attachments] == ["src/main.py", "src", "my notes.md"]
    assert expanded.text.startswith("Explain @src/main.py and @src, also @my\\ notes.md\n\n")
    assert "Content of @src/main.py:\nprint('hi')" in expanded.text
    assert "Content of @src (a folder):\nFolder src: 1 entries\nmain.py" in expanded.text
    assert expanded.text.endswith("--- End of attachments ---")
    assert expanded.notes == []


def test_outside_missing_and_binary_mentions_attach_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    (workspace.root / "image.png").write_bytes(b"\x89PNG\x00\x00")
    prompt = f"@../secret.txt @{tmp_path / 'secret.txt'} @nobody @image.png"
    expanded = expand_mentions(prompt, workspace)
    assert expanded.text == prompt
    assert "s3cret" not in expanded.text
    assert expanded.notes == [
        "@../secret.txt is outside the workspace; it was not attached.",
        f"@{tmp_path / 'secret.txt'} is outside the workspace; it was not attached.",
        "@image.png: image.png is a binary file; only text files can be read.",
    ]


def test_the_mention_being_typed_is_found_before_the_cursor() -> None:
    assert typed_mention("see @src/ma") == ("src/ma", len("@src/ma"))
    assert typed_mention("@") == ("", 1)
    assert typed_mention("first line\n@my\\ no") == ("my no", len("@my\\ no"))
    assert typed_mention("mail me@example") is None  # inside a word
    assert typed_mention("@src/main.py ") is None  # the mention is finished
    assert typed_mention("") is None


def test_a_completed_mention_is_typed_back_with_escaped_spaces() -> None:
    assert mention_text("src/main.py") == "@src/main.py"
    assert mention_text("my notes.md") == "@my\\ notes.md"
    assert mentioned_paths(mention_text("my notes.md")) == ["my notes.md"]


def test_the_estimate_counts_what_the_attachments_add(workspace: Workspace) -> None:
    (workspace.root / "big.py").write_text("x = 1\n" * 2000)
    plain = estimate_prompt("explain big.py", workspace)
    attached = estimate_prompt("explain @big.py", workspace)
    assert plain == estimate_tokens("explain big.py")
    assert attached == estimate_tokens(expand_mentions("explain @big.py", workspace).text)
    assert attached > plain + 2000
