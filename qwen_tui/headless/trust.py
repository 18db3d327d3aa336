"""``qwen-tui trust [DIR]``: let a project's ``.env`` change where qwen-tui connects.

The command shows the file and exactly what it changes before remembering the trust, so
that trusting is a decision about known lines, not about a folder name. ``--forget``
takes the trust back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qwen_tui.config import load_settings
from qwen_tui.config.trust import forget_trust, project_folder, remember_trust
from qwen_tui.text import neutralise

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def run_trust_command(args: argparse.Namespace) -> int:
    """Trust (or, with ``--forget``, stop trusting) the project ``.env`` of a folder."""
    start = Path(args.folder).expanduser() if args.folder else Path.cwd()
    if not start.is_dir():
        _say(f"error: {neutralise(str(start))} is not a folder.")
        return EXIT_USAGE
    loaded = load_settings(cwd=start)
    dotenv = loaded.dotenv_path
    if args.forget:
        folder = project_folder(dotenv, Path.home()) if dotenv else None
        try:
            removed = forget_trust(loaded.home, folder or start.resolve())
        except OSError as error:
            _say(f"error: could not update the trusted folders: {error.strerror or error}")
            return EXIT_FAILURE
        shown = neutralise(str(folder or start.resolve()))
        _say(f"{shown} is no longer trusted." if removed else f"{shown} was not trusted.")
        return EXIT_OK
    if dotenv is None:
        _say(f"No .env file applies to {neutralise(str(start))}; nothing needs trust.")
        return EXIT_OK
    if loaded.dotenv_scope == "home":
        _say(f"{neutralise(str(dotenv))} is your own file; it needs no trust.")
        return EXIT_OK
    project = loaded.project_dotenv
    if project is None:
        _say(
            f"{neutralise(str(dotenv))} changes no endpoint, provider, key or consent "
            "setting; nothing needs trust."
        )
        return EXIT_OK
    if project.trusted:
        _say(f"{neutralise(str(project.folder))} is already trusted with these settings.")
        return EXIT_OK
    _say(f"File: {neutralise(str(project.path))}")
    for change in project.changes:
        _say(f"  {change.setting} = {neutralise(change.value)}")
    try:
        where = remember_trust(loaded.home, project)
    except OSError as error:
        _say(f"error: could not remember the trust: {error.strerror or error}")
        return EXIT_FAILURE
    _say(
        f"Trusted {neutralise(str(project.folder))} (in {neutralise(str(where))}). "
        "You will be asked again if these lines change; `qwen-tui trust --forget` undoes it."
    )
    return EXIT_OK
