"""Start-up as a user sees it: a saved sign-in, the chat screen, in a real terminal.

The home is set up the way signing in once leaves it: settings.json names the provider,
its base URL and the model, and the key is in the credential store (the 0600 file,
with the user's consent: the benchmark's terminal has no keyring). Nothing comes from
the environment, so the launch reads, validates and resolves exactly what a returning
user's does.

Two moments are timed from the process's start: the chat screen's first frame (its
footer is on screen) and the model's name in the status line, which the screen shows
once the provider and key are resolved and an answer can be asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from bench.tmux import TmuxSession

MODEL = "test-model"
FIRST_FRAME_MARK = "New chat"
"""In the chat screen's footer: on screen with its first frame."""

Milestone = tuple[str, Callable[[str], bool]]


def status_line(screen: str) -> str:
    """The chat screen's status line: the row above the footer."""
    rows = screen.rstrip("\n").splitlines()
    return rows[-2] if len(rows) >= 2 else ""


CHAT_MILESTONES: list[Milestone] = [
    ("first frame", lambda screen: FIRST_FRAME_MARK in screen),
    ("model in the status line", lambda screen: MODEL in status_line(screen)),
]


def save_sign_in(home: Path, base_url: str, key: str) -> None:
    """Leave ``home`` as an API-key sign-in leaves it, through qwen-tui's own account:
    with no keyring, the key goes to the file store, as ``auth login
    --allow-file-store`` sends it, and the consent is saved for the launches."""
    from keyring.backends.fail import Keyring

    from qwen_tui.account import Account, sign_in_with_key
    from qwen_tui.config import load_settings

    account = Account(
        load_settings({}, home=home, cwd=home, user_home=home),
        keyring_backend=Keyring(),
        file_store_for_run=True,
    )
    provider = account.registry.get("openai")
    asyncio.run(sign_in_with_key(account, provider, base_url, key, MODEL, _no_file_store))


async def _no_file_store(reason: str) -> bool:
    """Never asked: the file store is allowed for the run."""
    return False


def time_milestones(
    command: list[str], env: dict[str, str], milestones: list[Milestone], timeout: float = 30
) -> tuple[list[float], TmuxSession]:
    """Seconds from the launch to each milestone in turn; the session is left running."""
    started = time.perf_counter()
    session = TmuxSession(command, env)
    seconds: list[float] = []
    try:
        for _name, reached in milestones:
            session.wait_for(reached, timeout=timeout, poll=0.005)
            seconds.append(time.perf_counter() - started)
    except BaseException:
        session.kill()
        raise
    return seconds, session
