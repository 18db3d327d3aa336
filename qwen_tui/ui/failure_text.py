"""How the chat screen words a failed answer: what happened, then what to do here.

The remedy is named by the chat layer (:data:`qwen_tui.chat.events.Remedy`); the
words are the TUI's own, naming its keys and slash commands.
"""

from __future__ import annotations

from qwen_tui.chat.events import ChatFailure, Remedy

__all__ = ["TUI_REMEDIES", "failure_text"]

TUI_REMEDIES: dict[Remedy, str] = {
    "retry": "Press Ctrl+R to retry.",
    "wait_and_retry": "Wait a moment, then press Ctrl+R to retry.",
    "ask_again": "What arrived is kept; press Ctrl+R to ask again.",
    "raise_timeout": "Press Ctrl+R to retry, or raise model.requestTimeout.",
    "check_server": (
        "Check that it is running and the base URL is right (/auth), then press Ctrl+R to retry."
    ),
    "check_base_url": "Check the base URL with /auth; it usually ends in /v1.",
    "new_key": "Use /auth to enter another.",
    "check_permissions": "Check the key's permissions or use /auth.",
    "switch_provider": "Use /auth to switch to another key or provider.",
    "switch_to_api_key": (
        "Use /auth to switch to an API key (e.g. DashScope / Model Studio or OpenRouter), "
        "or try again later."
    ),
    "sign_in_qwen": "Sign in again with /auth.",
    "pick_model": "Pick one with /model.",
    "retry_or_pick_model": "Press Ctrl+R to retry, or try another model with /model.",
    "shorten_conversation": (
        "Use /compress to replace the older turns by a summary, or /clear to start a new "
        "conversation (or pick a model with a larger context: /model)."
    ),
}


def failure_text(failure: ChatFailure) -> str:
    """The failure as the chat screen shows it (and the session file keeps it)."""
    if failure.remedy is None:
        return failure.message
    return f"{failure.message} {TUI_REMEDIES[failure.remedy]}"
