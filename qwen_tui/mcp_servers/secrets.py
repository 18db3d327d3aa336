"""Secrets in an MCP server's ``env`` and ``headers``: ``$keyring:NAME`` references.

settings.json is no place for a token, so a value may name a secret kept in the
credential store instead (``"Authorization": "Bearer $keyring:github"``); it is read
only when the server starts, handed to the server's process or HTTP client, and never
written back or shown: :func:`shown_value` masks what the user sees in ``/mcp`` and
``qwen-tui mcp list``. The secrets are kept under ``mcp:NAME`` in the store
(``qwen-tui mcp secret NAME`` puts one there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from qwen_tui.text import UserFacingError, mask

REFERENCE = re.compile(r"\$keyring:([A-Za-z0-9_.-]+)")
"""``$keyring:NAME`` anywhere in a value."""

STORE_PREFIX = "mcp:"


def store_name(name: str) -> str:
    """The credential-store entry a ``$keyring:NAME`` reference reads."""
    return STORE_PREFIX + name


class MissingSecret(UserFacingError):
    """A ``$keyring:NAME`` reference names no stored secret."""


def references(values: Mapping[str, str]) -> list[str]:
    """The secret names the values refer to, in order, each once."""
    found: list[str] = []
    for value in values.values():
        for name in REFERENCE.findall(value):
            if name not in found:
                found.append(name)
    return found


def resolve(
    values: Mapping[str, str], read: Callable[[str], str | None]
) -> tuple[dict[str, str], list[str]]:
    """The values with each reference replaced by its secret, and the secrets read
    (to mask them in whatever the server's failures say).

    Args:
        values: ``env`` or ``headers`` as written in settings.
        read: reads a credential-store entry by its full name.

    Raises:
        MissingSecret: a reference to a secret that is not stored.
    """
    secrets: dict[str, str] = {}
    for name in references(values):
        secret = read(store_name(name))
        if not secret:
            raise MissingSecret(
                f"No secret named {name!r} is stored; store it with `qwen-tui mcp secret {name}`."
            )
        secrets[name] = secret
    resolved = {
        key: REFERENCE.sub(lambda match: secrets[match.group(1)], value)
        for key, value in values.items()
    }
    return resolved, list(secrets.values())


def shown_value(value: str) -> str:
    """A value as shown to the user: references as written, a literal value masked
    (it may well be a token written straight into the settings)."""
    if REFERENCE.search(value):
        return value
    return mask(value)
