"""Copy text: a clipboard tool where one works, else the terminal's OSC 52 sequence.

OSC 52 works over SSH and in most modern terminals but not all (and tmux needs
``set-clipboard on``); a local tool is more reliable where there is a display.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from textual.app import App


def _tool() -> list[str] | None:
    if sys.platform == "darwin" and shutil.which("pbcopy"):
        return ["pbcopy"]
    if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy"):
        return ["wl-copy"]
    if os.environ.get("DISPLAY"):
        if shutil.which("xclip"):
            return ["xclip", "-selection", "clipboard"]
        if shutil.which("xsel"):
            return ["xsel", "--clipboard", "--input"]
    return None


def copy_text(app: App[object], text: str) -> str:
    """Copy ``text``; returns how (for the confirmation message)."""
    tool = _tool()
    if tool is not None:
        try:
            subprocess.run(tool, input=text.encode(), check=True, timeout=5)
            return tool[0]
        except (OSError, subprocess.SubprocessError):
            pass
    app.copy_to_clipboard(text)
    return "the terminal (OSC 52)"
