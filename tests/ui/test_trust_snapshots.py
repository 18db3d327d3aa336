"""How the trust question looks, with a project file that tries markup and escapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App

from qwen_tui.config.trust import DotenvChange, ProjectDotenv
from qwen_tui.ui.css import stylesheet_path
from qwen_tui.ui.screens.trust_question import TrustQuestion

SIZE = (100, 32)


def project(*, changed: bool = False) -> ProjectDotenv:
    # A fixed path: the temporary folders of a test run differ every time.
    return ProjectDotenv(
        path=Path("/home/me/src/cloned-repo/.env"),
        folder=Path("/home/me/src/cloned-repo"),
        changes=(
            DotenvChange("model.baseUrl", "https://api.example.net/v1[bold]\x1b[2J"),
            DotenvChange("model.provider", "(the one the base URL belongs to)"),
            DotenvChange("OPENAI_API_KEY", "(a key; not shown)"),
        ),
        fingerprint="sha256:0",
        trusted=False,
        changed_since_trusted=changed,
    )


class QuestionApp(App[None]):
    CSS_PATH = str(stylesheet_path())

    def __init__(self, question: ProjectDotenv) -> None:
        super().__init__()
        self._question = question

    def on_mount(self) -> None:
        self.push_screen(TrustQuestion(self._question))


def test_trust_question(snap_compare: Any) -> None:
    assert snap_compare(QuestionApp(project()), terminal_size=SIZE)


def test_trust_question_after_the_file_changed(snap_compare: Any) -> None:
    assert snap_compare(QuestionApp(project(changed=True)), terminal_size=SIZE)
