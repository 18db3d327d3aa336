"""Where qwen-tui keeps its state.

Everything lives under one folder, ``QWEN_TUI_HOME``, so that a user (or a test) can
move, inspect or wipe all local data in one place. The default is the platform's user
config folder for ``qwen-tui``.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "QWEN_TUI_HOME"
APP_NAME = "qwen-tui"


def app_home(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    """Return the state folder: ``$QWEN_TUI_HOME`` or the platform's user config folder.

    platformdirs is imported here rather than at module level because only this
    function needs it and start-up time matters.
    """
    env = os.environ if environ is None else environ
    explicit = env.get(HOME_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def settings_path(home: Path) -> Path:
    """The settings file inside ``home``."""
    return home / "settings.json"


def sessions_dir(home: Path) -> Path:
    """The folder of saved conversations inside ``home``."""
    return home / "sessions"


def logs_dir(home: Path) -> Path:
    """The folder of debug logs inside ``home``."""
    return home / "logs"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only.

    The folder holds conversations and possibly a credential file, so it is 0700 even
    when the umask is more generous. An existing folder is tightened too.
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path
