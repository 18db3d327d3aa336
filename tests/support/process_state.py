"""Start a test "process" afresh: what the app remembers only while it runs."""

from __future__ import annotations

from qwen_tui.config import trust


def forget_run_decisions() -> None:
    """Forget the project .env changes declined in this process, as a new one would."""
    with trust._held_back_lock:
        trust._held_back.clear()
