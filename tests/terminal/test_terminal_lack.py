"""A terminal that cannot show the full screen is told so, with what to do instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qwen_tui import cli


@pytest.mark.parametrize(
    ("term", "lack"),
    [
        ("dumb", "it cannot move the cursor"),
        ("xterm-mono", "it shows no colours"),
        ("xterm-256color", None),
        ("linux", None),
        ("not-a-terminal-terminfo-knows", None),
    ],
)
def test_what_each_terminal_lacks(term: str, lack: str | None) -> None:
    # Python reads terminfo once per process: each terminal is looked at in one of its own.
    code = f"from qwen_tui.ui.terminal import terminal_lack; print(terminal_lack({{'TERM': {term!r}}}))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == str(lack)


@pytest.mark.parametrize("term", ["dumb"])
def test_the_app_refuses_such_a_terminal_with_exit_2_and_points_to_p(
    term: str,
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert f"TERM={term}" in err and "qwen-tui -p" in err
