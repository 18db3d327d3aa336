"""Find the ``.env`` file the way Qwen Code does, so existing set-ups keep working.

Walking up from the working folder, each folder is checked for ``.qwen/.env`` and then
``.env``; when the file-system root is reached, ``~/.qwen/.env`` and then ``~/.env``.
The first file found wins; the others are never read.
"""

from __future__ import annotations

from pathlib import Path


def find_dotenv(start: Path | None = None, home: Path | None = None) -> Path | None:
    """Return the ``.env`` file that applies to ``start`` (default: the working folder).

    Args:
        start: the folder to start from.
        home: the user's home folder (default: ``Path.home()``); a parameter for tests.

    Returns:
        The path of the first existing file, or ``None``.
    """
    folder = (start or Path.cwd()).resolve()
    while True:
        for candidate in (folder / ".qwen" / ".env", folder / ".env"):
            if candidate.is_file():
                return candidate
        if folder.parent == folder:
            break
        folder = folder.parent
    user_home = home if home is not None else Path.home()
    for candidate in (user_home / ".qwen" / ".env", user_home / ".env"):
        if candidate.is_file():
            return candidate
    return None


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a ``.env`` file with python-dotenv; entries without a value are dropped."""
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path).items() if value is not None}
