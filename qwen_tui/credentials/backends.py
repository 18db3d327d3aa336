"""Choosing a keyring backend we can trust, and explaining keyring failures.

``keyring.get_keyring()`` picks whatever backend has the highest priority, and
some of those are unsafe for this app: ``keyrings.alt`` writes secrets in plain
text, and ``keyrings.cryptfile`` asks for a password with ``getpass`` (which
hangs a full-screen app on an open stdin). The ``fail`` and ``null`` backends
store nothing at all. This module filters those out, also inside the
``chainer`` backend, and turns every way a keyring can fail into one sentence a
user can act on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.fail import Keyring as FailKeyring
from keyring.backends.null import Keyring as NullKeyring
from keyring.errors import InitError, KeyringLocked, NoKeyringError, PasswordDeleteError

from qwen_tui.text.redact import one_line_excerpt

__all__ = [
    "KEYRING_LOCKED",
    "SecretBackend",
    "VettedBackend",
    "backend_label",
    "describe_failure",
    "no_service_problem",
    "timeout_problem",
    "vet_backend",
]

_PLAIN_TEXT_MODULES = ("keyrings.alt",)
_TERMINAL_PROMPT_MODULES = ("keyrings.cryptfile",)
_DBUS_MODULES = ("secretstorage", "jeepney", "dbus")

KEYRING_LOCKED = (
    "The keyring is locked and could not be unlocked "
    "(the unlock prompt was dismissed or could not be shown)."
)


class SecretBackend(Protocol):
    """The three keyring calls the store needs.

    ``KeyringBackend`` fits it; so does the filtered chain built here, which is
    deliberately not a ``KeyringBackend`` subclass (those register themselves
    with keyring's automatic selection).
    """

    def get_password(self, service: str, username: str) -> str | None:
        """Return the secret, or None when there is none."""

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store the secret, replacing an old one."""

    def delete_password(self, service: str, username: str) -> None:
        """Remove the secret; raise ``PasswordDeleteError`` when there is none."""


@dataclass(frozen=True)
class VettedBackend:
    """The outcome of vetting: a backend to use, or the reason there is none.

    Attributes:
        backend: What to call, or None when every candidate was rejected.
        label: Human name of the backend(s) used, e.g. "SecretService Keyring".
        problem: Plain-words reason for the rejection, or None when accepted.
    """

    backend: SecretBackend | None
    label: str
    problem: str | None


class _FilteredChain:
    """Like keyring's chainer, but over the members that passed vetting only.

    Reads try each member in turn; writes go to the first member that accepts
    them, as ``ChainerBackend`` does.
    """

    def __init__(self, members: Sequence[KeyringBackend]) -> None:
        self._members = tuple(members)

    def get_password(self, service: str, username: str) -> str | None:
        for member in self._members:
            secret = member.get_password(service, username)
            if secret is not None:
                return secret
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        for member in self._members:
            try:
                member.set_password(service, username, password)
            except NotImplementedError:
                continue
            return
        raise NotImplementedError("no keyring in the chain can store secrets")

    def delete_password(self, service: str, username: str) -> None:
        deleted = False
        for member in self._members:
            try:
                member.delete_password(service, username)
            except (PasswordDeleteError, NotImplementedError):
                continue
            deleted = True
        if not deleted:
            raise PasswordDeleteError("No such password!")


def backend_label(backend: object) -> str:
    """Name a backend for people, the way keyring itself does.

    Args:
        backend: A keyring backend instance.

    Returns:
        E.g. "SecretService Keyring" for ``keyring.backends.SecretService.Keyring``.
    """
    cls = type(backend)
    module = cls.__module__.rpartition(".")[2].replace("_", " ")
    return f"{module} {cls.__name__}"


def _in_package(cls: type, packages: Sequence[str]) -> bool:
    module = cls.__module__
    return any(module == pkg or module.startswith(pkg + ".") for pkg in packages)


def no_service_problem() -> str:
    """Explain the absence of any keyring service.

    Returns:
        The sentence, naming the missing D-Bus session where that is the cause.
    """
    if sys.platform.startswith("linux") and os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return (
            "No keyring service is running "
            "(the D-Bus session has no Secret Service such as gnome-keyring)."
        )
    return "No keyring service is running (no D-Bus session / Secret Service)."


def timeout_problem(seconds: float) -> str:
    """Explain a keyring call that never returned.

    Args:
        seconds: How long we waited.

    Returns:
        The sentence.
    """
    return (
        f"The keyring did not answer within {seconds:g} s "
        "(it may be waiting for an unlock prompt that cannot be shown)."
    )


def _rejection(backend: KeyringBackend) -> str | None:
    """Say why a single (non-chain) backend must not be used, or None if it is fine."""
    cls = type(backend)
    if isinstance(backend, FailKeyring):
        return no_service_problem()
    if isinstance(backend, NullKeyring):
        return (
            "The keyring is turned off (keyring's 'null' backend is selected, "
            "e.g. by PYTHON_KEYRING_BACKEND or keyringrc.cfg)."
        )
    if _in_package(cls, _PLAIN_TEXT_MODULES):
        return (
            f"The available keyring backend ({backend_label(backend)}) keeps secrets "
            "in a plain-text file, so qwen-tui does not use it."
        )
    if _in_package(cls, _TERMINAL_PROMPT_MODULES):
        return (
            f"The available keyring backend ({backend_label(backend)}) is an encrypted "
            "file that asks for its password on the terminal, which would freeze "
            "qwen-tui, so qwen-tui does not use it."
        )
    return None


def vet_backend(backend: KeyringBackend) -> VettedBackend:
    """Accept a backend, filter a chain, or reject with a reason.

    Args:
        backend: The candidate, usually ``keyring.get_keyring()``.

    Returns:
        What to use, or why nothing can be used.
    """
    if not isinstance(backend, ChainerBackend):
        problem = _rejection(backend)
        usable = None if problem else backend
        return VettedBackend(usable, backend_label(backend), problem)

    members: list[KeyringBackend] = list(backend.backends)
    kept: list[KeyringBackend] = []
    reasons: list[str] = []
    for member in members:
        reason = _rejection(member)
        if reason is None:
            kept.append(member)
        elif reason not in reasons:
            reasons.append(reason)
    if not kept:
        return VettedBackend(
            None, backend_label(backend), " ".join(reasons) or no_service_problem()
        )
    label = ", ".join(backend_label(member) for member in kept)
    if len(kept) == 1:
        return VettedBackend(kept[0], label, None)
    return VettedBackend(_FilteredChain(kept), label, None)


def _detail(exc: BaseException, secret: str | None) -> str:
    """Short ``Type: message`` text for an exception, with the secret blanked out."""
    text = one_line_excerpt(str(exc), [secret])
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def describe_failure(exc: BaseException, secret: str | None = None) -> str:
    """Turn an exception raised by a keyring call into one plain sentence.

    Args:
        exc: What the backend raised.
        secret: The secret being stored, if any, so it can be kept out of the text
            (some backends put their arguments into error messages).

    Returns:
        The sentence, ending with a full stop.
    """
    module = type(exc).__module__
    name = type(exc).__name__
    if isinstance(exc, NoKeyringError):
        return no_service_problem()
    if isinstance(exc, KeyringLocked) or name in ("LockedException", "PromptDismissedException"):
        return KEYRING_LOCKED
    if isinstance(exc, InitError):
        if "dismissed" in str(exc).lower():
            return KEYRING_LOCKED
        return f"The keyring could not be opened ({_detail(exc, secret)})."
    if name == "SecretServiceNotAvailableException":
        return f"{no_service_problem()[:-1]} ({_detail(exc, secret)})."
    if any(module == pkg or module.startswith(pkg + ".") for pkg in _DBUS_MODULES) or (
        isinstance(exc, OSError)
    ):
        return f"The keyring service did not answer properly ({_detail(exc, secret)})."
    if isinstance(exc, EOFError):
        return "The keyring asked for a password on the terminal, which qwen-tui cannot answer."
    return f"The keyring failed ({_detail(exc, secret)})."
