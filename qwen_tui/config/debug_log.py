"""``--debug``: a log file for finding out what went wrong, with every secret masked.

Off unless asked for: nothing is logged anywhere by default. With ``--debug`` the app's
own records and those of the HTTP libraries (``httpx``, ``httpcore``, ``openai``) go
to ``$QWEN_TUI_HOME/logs/debug.log`` (0600, appended to, one run after another).

Every record passes through :class:`RedactingFilter` on its way to the file: the keys
and tokens in use (noted with :func:`remember_secret` where they are resolved) are
replaced in every form :func:`qwen_tui.text.redact` knows, and so is anything shaped
like a credential (``Authorization: Bearer …``, ``sk-…``) whether or not it was noted.
Control characters are made visible, so ``cat debug.log`` is safe on a terminal.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from qwen_tui.config.paths import ensure_private_dir, logs_dir
from qwen_tui.text import neutralise
from qwen_tui.text.redact import REDACTED, redact

LOGGER_NAME = "qwen_tui"
"""The app's own logger; modules log through ``logging.getLogger(LOGGER_NAME)``."""

LOG_FILE_NAME = "debug.log"

_LIBRARY_LOGGERS = ("httpx", "httpcore", "openai", "authlib", "keyring")

_CREDENTIAL_SHAPES = re.compile(
    r"(?i)(?P<lead>(?:authorization|proxy-authorization)['\"]?\s*[:=,]\s*['\"]?"
    r"(?:bearer|basic)?\s*|bearer\s+|api[_-]?key['\"]?\s*[:=]\s*['\"]?|"
    r"(?:access|refresh)_token['\"]?\s*[:=]\s*['\"]?)"
    r"[^\s'\",;}]+"
    r"|\bsk-[A-Za-z0-9_\-]{8,}"
)

_secrets: list[str] = []

# Without --debug the app's records go nowhere: not even warnings may reach the
# terminal through logging's last-resort handler.
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


def remember_secret(secret: str | None) -> None:
    """Note a key or token in use, so that no log line can show it."""
    if secret and secret not in _secrets:
        _secrets.append(secret)


def mask(text: str) -> str:
    """``text`` with every noted secret and every credential-shaped word masked."""
    text = redact(text, _secrets)
    return _CREDENTIAL_SHAPES.sub(lambda match: (match.group("lead") or "") + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked and controls made visible."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string must not break the app
            message = f"{record.msg!r} {record.args!r}"
        record.msg = neutralise(mask(message))
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = neutralise(mask(formatter.formatException(record.exc_info)))
            record.exc_info = None
        return True


def start_debug_log(home: Path) -> Path:
    """Send the app's and the HTTP libraries' records to the debug log; returns its path."""
    folder = ensure_private_dir(logs_dir(home))
    path = folder / LOG_FILE_NAME
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(descriptor)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    for name in (LOGGER_NAME, *_LIBRARY_LOGGERS):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        logger.propagate = False  # nothing reaches the terminal through the root logger
    return path
