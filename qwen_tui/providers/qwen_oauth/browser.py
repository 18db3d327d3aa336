"""Open the sign-in link in a browser, only where there is a graphical one.

``webbrowser`` is not used on Linux: with no display (an SSH session) or a ``BROWSER``
variable naming lynx or w3m it starts a text browser in the very terminal the app is
drawing in. Here a browser is opened only on macOS, Windows, or a Linux/BSD session
with ``DISPLAY`` or ``WAYLAND_DISPLAY`` (or WSL with ``wslview``), through the desktop's
own opener, detached from the terminal (no stdin/stdout, a new session), so even an
opener that falls back to a text browser cannot take the terminal over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

__all__ = ["browser_available", "open_browser"]

_LINUX_OPENERS: tuple[tuple[str, ...], ...] = (("xdg-open",), ("gio", "open"))


def _has_display(env: Mapping[str, str]) -> bool:
    return bool(env.get("DISPLAY", "").strip() or env.get("WAYLAND_DISPLAY", "").strip())


def _is_wsl(env: Mapping[str, str]) -> bool:
    return bool(env.get("WSL_DISTRO_NAME", "").strip())


def _opener(env: Mapping[str, str], platform: str) -> Sequence[str] | None:
    """The command that opens a URL here, or None when there is no graphical browser."""
    if platform == "darwin":
        return ("open",)
    if platform.startswith("win"):
        return ()  # os.startfile
    path = env.get("PATH")
    if _is_wsl(env) and not _has_display(env):
        found = shutil.which("wslview", path=path)
        return (found,) if found else None
    if not _has_display(env):
        return None
    for command in _LINUX_OPENERS:
        found = shutil.which(command[0], path=path)
        if found:
            return (found, *command[1:])
    return None


def browser_available(
    environ: Mapping[str, str] | None = None, platform: str | None = None
) -> bool:
    """Whether :func:`open_browser` would try: macOS, Windows, or a graphical session."""
    env = os.environ if environ is None else environ
    return _opener(env, platform or sys.platform) is not None


def open_browser(
    url: str, *, environ: Mapping[str, str] | None = None, platform: str | None = None
) -> bool:
    """Open ``url`` (http or https only) in the graphical browser, if there is one.

    Never blocks and never raises; returns True when an opener was started. Where it
    returns False, show the link (and offer to copy it) instead.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    env = os.environ if environ is None else environ
    plat = platform or sys.platform
    command = _opener(env, plat)
    if command is None:
        return False
    try:
        if not command:
            startfile = getattr(os, "startfile", None)
            if startfile is None:
                return False
            startfile(url)
            return True
        process = subprocess.Popen(
            [*command, url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            env=dict(env),
        )
    except OSError:
        return False
    threading.Thread(target=process.wait, name="qwen-tui-browser", daemon=True).start()
    return True
