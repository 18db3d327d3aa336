"""The environment a tool's subprocess gets: the user's, without the app's secrets.

A shell command the model runs must not be able to print ``$OPENAI_API_KEY`` into the
conversation (and so to the provider). Removed are variables whose names say they hold
a secret (``*_KEY``, ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``*CREDENTIAL*``, the
provider variables), the app's own ``QWEN_TUI_*`` settings,
``DBUS_SESSION_BUS_ADDRESS`` (the way to the keyring that holds the app's keys), and
any variable whose value contains a secret the
app knows, whatever its name. ``SSH_AUTH_SOCK`` stays: it is a socket path, the keys
stay in the agent, and ``git fetch`` over ssh needs it. Pagers are switched off and git is
told never to prompt, since no one can answer.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

_SECRET_NAME = re.compile(
    r"(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|AUTH|COOKIE)"
    r"($|_)|TOKEN|SECRET|PASSWORD|CREDENTIAL",
    re.IGNORECASE,
)
_PROVIDER_PREFIXES = ("OPENAI_", "DASHSCOPE_", "QWEN_", "ANTHROPIC_", "GEMINI_", "OPENROUTER_")
_REMOVED = frozenset({"DBUS_SESSION_BUS_ADDRESS"})
_KEPT = frozenset({"SSH_AUTH_SOCK"})
_SET = {"PAGER": "cat", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"}


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says it holds a secret."""
    upper = name.upper()
    if upper in _KEPT:
        return False
    return (
        upper in _REMOVED
        or bool(_SECRET_NAME.search(upper))
        or upper.startswith(_PROVIDER_PREFIXES)
    )


def tool_environment(
    secrets: Iterable[str] = (), base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) fit for a tool subprocess."""
    known = [secret for secret in secrets if len(secret) >= 4]
    environment = {
        name: value
        for name, value in (os.environ if base is None else base).items()
        if not is_secret_name(name) and not any(secret in value for secret in known)
    }
    environment.update(_SET)
    return environment
