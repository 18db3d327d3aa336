"""The command line's answer to "no keyring works: may secrets go to a file?"."""

from __future__ import annotations

import asyncio
import sys

from qwen_tui.account import AskFileStore


def file_store_asker(allowed: bool) -> AskFileStore:
    """``--allow-file-store`` answers Yes; otherwise a person at a terminal is asked, and
    a script (no terminal) is refused, so nothing is ever kept in a file unasked. The
    first answer is kept: one command asks at most once."""
    answers: list[bool] = [True] if allowed else []

    async def ask(reason: str) -> bool:
        if not answers:
            answers.append(await _ask_on_terminal(reason))
        return answers[0]

    return ask


async def _ask_on_terminal(reason: str) -> bool:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    print(reason, file=sys.stderr, flush=True)
    try:
        answer = await asyncio.to_thread(
            input, "Keep secrets in a file readable only by you instead? [y/N] "
        )
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
