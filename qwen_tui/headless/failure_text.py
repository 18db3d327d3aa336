"""How ``qwen-tui -p`` words a failed answer: what happened, then what works on the
command line (flags, ``qwen-tui auth login``, running the command again).

The remedy is named by the chat layer (:data:`qwen_tui.chat.events.Remedy`); the TUI
words the same remedies with its keys and slash commands, which mean nothing here.
"""

from __future__ import annotations

from qwen_tui.chat.events import ChatFailure, Remedy

__all__ = ["CLI_REMEDIES", "failure_text"]

_BASE_URL = "--base-url or OPENAI_BASE_URL"

CLI_REMEDIES: dict[Remedy, str] = {
    "retry": "Run the command again.",
    "wait_and_retry": "Wait a moment, then run the command again.",
    "ask_again": "What arrived is printed; run the command again for a whole answer.",
    "raise_timeout": (
        "Run the command again, or raise the timeout (model.requestTimeout in "
        "settings.json, or QWEN_TUI_MODEL__REQUEST_TIMEOUT)."
    ),
    "check_server": (
        f"Check that it is running and the base URL is right ({_BASE_URL}), then run "
        "the command again."
    ),
    "check_base_url": f"Check the base URL ({_BASE_URL}); it usually ends in /v1.",
    "new_key": (
        "Sign in with another key: `qwen-tui auth login --provider ID`, or set OPENAI_API_KEY."
    ),
    "check_permissions": (
        "Check the key's permissions, or sign in with another: `qwen-tui auth login --provider ID`."
    ),
    "switch_provider": (
        "Switch to another key or provider with `qwen-tui auth login --provider ID`, or "
        "for one run with --provider and --base-url."
    ),
    "switch_to_api_key": (
        "Sign in with an API key instead (e.g. `qwen-tui auth login --provider "
        "dashscope-intl` or `--provider openrouter`), or try again later."
    ),
    "sign_in_qwen": "Sign in again with `qwen-tui auth login --method qwen-oauth`.",
    "pick_model": "Choose one with --model (or OPENAI_MODEL).",
    "retry_or_pick_model": "Run the command again, or try another model with --model.",
    "shorten_conversation": (
        "Send a shorter prompt (less piped input), or choose a model with a larger "
        "context with --model."
    ),
}


def failure_text(failure: ChatFailure) -> str:
    """The failure as ``-p`` prints it on stderr and in ``--output json``."""
    if failure.remedy is None:
        return failure.message
    return f"{failure.message} {CLI_REMEDIES[failure.remedy]}"
