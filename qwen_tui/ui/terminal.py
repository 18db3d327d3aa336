"""Whether the terminal can show the full-screen app, told before it starts.

Textual draws by moving the cursor and tells things apart by colour. On a terminal that
cannot do one of them (``TERM=dumb``, ``xterm-mono``) it would draw a blank screen or
send colours that are never shown, so the app says what is missing instead and points
to ``-p``, which needs neither. ``NO_COLOR`` is different: the terminal has colours and
the user asks for none; Textual then draws in greys, which stays legible.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

MIN_COLOURS = 8


def terminal_lack(env: Mapping[str, str]) -> str | None:
    """What the terminal named by ``TERM`` in ``env`` lacks, or ``None`` when it has
    what the app needs (or is not known here: then the app is tried)."""
    term = env.get("TERM", "")
    if term == "dumb":
        return "it cannot move the cursor"
    try:
        import curses
    except ImportError:  # no terminfo here (Windows)
        return None
    # Any descriptor does: setupterm reads the terminal's size from it, nothing more.
    fd = os.open(os.devnull, os.O_WRONLY)
    try:
        curses.setupterm(term or None, fd)
        moves = curses.tigetstr("cup") is not None
        colours = curses.tigetnum("colors")
    except curses.error:  # a terminal terminfo does not know
        return None
    finally:
        os.close(fd)
    if not moves:
        return "it cannot move the cursor"
    if colours < MIN_COLOURS:
        return "it shows no colours"
    return None


def refusal(term: str, lack: str) -> str:
    """The message for a terminal that lacks ``lack``: what, and what to do instead."""
    return (
        f"error: this terminal (TERM={term or 'unset'}) cannot show qwen-tui's full screen: "
        f'{lack}. Ask a question with `qwen-tui -p "..."`, or run it in a terminal '
        "such as xterm-256color."
    )
