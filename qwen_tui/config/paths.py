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


def ledgers_dir(home: Path) -> Path:
    """The folder of the sessions' network ledgers inside ``home`` (one file each)."""
    return home / "ledgers"


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


def tighten_home(home: Path) -> list[str]:
    """Make an existing ``QWEN_TUI_HOME`` readable by its owner only; say when it cannot be.

    The folder was perhaps made by hand or by an older version with the umask's 0755,
    which lets every local user read settings and conversations. It is set to 0700 at
    start-up. The user's own home folder (``QWEN_TUI_HOME=~``) is not changed, since
    other programs rely on its mode; a warning says so instead.

    Returns:
        One plain sentence per problem, for ``LoadedSettings.problems``.
    """
    try:
        mode = home.stat().st_mode
    except OSError:
        return []  # not created yet: it is made 0700 when first written
    if not mode & 0o077:
        return []
    shown = f"{mode & 0o777:04o}"
    if home.resolve() == Path.home().resolve():
        return [
            f"{HOME_ENV} is your home folder {home}, which other users can read (mode "
            f"{shown}); settings and conversations kept there are not private. Point "
            f"{HOME_ENV} to a folder of its own."
        ]
    try:
        home.chmod(0o700)
    except OSError as error:
        return [
            f"{home} can be read by other users (mode {shown}) and could not be made "
            f"private ({error.strerror or error}): run `chmod 700 {home}`."
        ]
    return []
