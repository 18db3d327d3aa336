"""The screens' pictures are drawn as on CI, where shell commands are sandboxed.

A connected chat says "unsandboxed" in its status line, with a note, where no sandbox
works; every picture of it would differ on such a machine. There the snapshot tests
skip with the reason (and fail in CI, which installs bubblewrap), as the tests that
need tmux or a Secret Service do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_tui.tools.sandbox import choose_sandbox
from tests.conftest import skip_or_fail


@pytest.fixture(autouse=True)
def drawn_with_a_sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Skip (fail in CI) a snapshot test where no shell sandbox works."""
    if "snap_compare" not in request.fixturenames:
        return
    choice = choose_sandbox(tmp_path, home=tmp_path / "qwen-home")
    if not choice.sandboxed:
        skip_or_fail(f"snapshots are drawn with a working shell sandbox: {choice.reason}")
