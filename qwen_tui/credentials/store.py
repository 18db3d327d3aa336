"""``CredentialStore``: secrets in the OS keyring, a 0600 file only with consent.

API keys (``provider:<provider-id>``) and the Qwen OAuth token JSON
(``qwen-oauth``) are stored under keyring service ``qwen-tui`` with the name as
the keyring username. The keyring is tried first; when it cannot be used (no
D-Bus session, a locked keyring, an unsafe backend) the store falls back to
``$QWEN_TUI_HOME/credentials.json`` only if the user allowed it, and otherwise
refuses with a message that says what is wrong and how to fix it.

An API key can be stored with the origin (``scheme://host:port``) it was given for:
the entry then holds a small JSON envelope, ``{"qwen-tui": 1, "origin": …, "secret": …}``,
so the binding lives with the key and nothing a project folder can write (a ``.env``,
a flag in a script) can move it. ``get`` always returns the bare secret; ``get_entry``
returns the secret with its origin. Entries stored without an origin (plain text, as
before) still read back, with ``origin`` ``None``.

Every keyring call runs in a daemon thread with a time limit, because a D-Bus
call can wait for ever on an unlock prompt that nobody sees. Screens call the store
from ``asyncio.to_thread``, so the event loop stays free while it waits.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, TypeVar

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from ._threads import CallTimedOut, call_with_timeout
from .backends import SecretBackend, VettedBackend, describe_failure, timeout_problem, vet_backend
from .errors import FIX_HINT, CredentialError, KeyringUnavailable
from .filestore import FILE_NAME, CredentialFile

T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0
"""Seconds a keyring call may take before we give up on it."""

_PROBE_NAME = "qwen-tui-probe"
_MAX_DUPLICATES = 8


@dataclass(frozen=True)
class StoreLocation:
    """Where secrets go, in words fit for ``auth status`` and the settings screen.

    Attributes:
        kind: ``"keyring"`` or ``"file"``.
        description: E.g. ``"keyring (SecretService Keyring)"`` or
            ``"file /home/me/.config/qwen-tui/credentials.json (0600)"``.
    """

    kind: Literal["keyring", "file"]
    description: str

    def __str__(self) -> str:
        return self.description


@dataclass(frozen=True)
class StoredSecret:
    """A secret as stored, with the origin it is bound to.

    Attributes:
        secret: the secret; kept out of ``repr``.
        origin: ``scheme://host:port`` it was stored for, or ``None`` for an entry
            stored without one (before origins were recorded).
    """

    secret: str = field(repr=False)
    origin: str | None = None


_ENVELOPE_MARK = "qwen-tui"


def _wrap(secret: str, origin: str | None) -> str:
    """What is written to the keyring or file for ``secret`` bound to ``origin``."""
    if origin is None:
        return secret
    return json.dumps({_ENVELOPE_MARK: 1, "origin": origin, "secret": secret})


def _unwrap(stored: str) -> StoredSecret:
    """Read an entry back: an envelope, or a plain secret stored without an origin."""
    if stored.startswith("{") and f'"{_ENVELOPE_MARK}"' in stored:
        try:
            data = json.loads(stored)
        except json.JSONDecodeError:
            return StoredSecret(stored)
        if (
            isinstance(data, dict)
            and data.get(_ENVELOPE_MARK) == 1
            and isinstance(data.get("secret"), str)
            and isinstance(data.get("origin"), str)
        ):
            return StoredSecret(data["secret"], data["origin"])
    return StoredSecret(stored)


class _KeyringFailed(Exception):
    """Internal: a keyring call failed; the reason is already recorded."""


class CredentialStore:
    """Read, store and remove secrets, keyring first.

    A store decides lazily: nothing touches D-Bus until the first call, so
    creating one costs nothing at start-up. Once a keyring call fails, the store
    remembers why (``keyring_problem``) and stops calling the keyring.

    Args:
        home: The ``QWEN_TUI_HOME`` folder; the fallback file is ``home/credentials.json``.
        allow_file_store: The user's consent to the file fallback.
        backend: The keyring backend to use; default ``keyring.get_keyring()``.
        timeout: Seconds any one keyring call may take.
    """

    SERVICE: ClassVar[str] = "qwen-tui"

    def __init__(
        self,
        home: Path,
        *,
        allow_file_store: bool = False,
        backend: KeyringBackend | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._home = Path(home)
        self._allow_file_store = allow_file_store
        self._given_backend = backend
        self._timeout = timeout
        self._file = CredentialFile(self._home / FILE_NAME)
        self._lock = threading.Lock()
        self._vetted: VettedBackend | None = None
        self._failure: str | None = None
        self._keyring_verified = False

    def __repr__(self) -> str:
        return (
            f"CredentialStore(home={str(self._home)!r}, "
            f"allow_file_store={self._allow_file_store!r})"
        )

    # ----------------------------------------------------------------- state

    @property
    def allow_file_store(self) -> bool:
        """Whether the user agreed to the file fallback."""
        return self._allow_file_store

    @property
    def file_path(self) -> Path:
        """The fallback file, whether or not it exists (for "delete all local data")."""
        return self._file.path

    @property
    def keyring_problem(self) -> str | None:
        """Plain-words reason the keyring cannot be used, or None.

        Reflects what is known so far: an unsafe or missing backend is known at
        once, a locked keyring only after a call (``probe()`` makes one).
        """
        vetted = self._vet(self._timeout)
        with self._lock:
            return self._failure or vetted.problem

    def _record_failure(self, problem: str) -> None:
        with self._lock:
            if self._failure is None:
                self._failure = problem

    def _vet(self, timeout: float) -> VettedBackend:
        """Pick and vet the backend once; never raises."""
        with self._lock:
            if self._vetted is not None:
                return self._vetted
        given = self._given_backend
        try:
            # get_keyring(), and a chainer listing its members, ask every backend for
            # its priority, which for some means a D-Bus call.
            vetted = call_with_timeout(
                lambda: vet_backend(given if given is not None else keyring.get_keyring()),
                timeout,
            )
        except CallTimedOut:
            vetted = VettedBackend(None, "unknown", timeout_problem(timeout))
        except Exception as exc:
            vetted = VettedBackend(None, "unknown", describe_failure(exc))
        with self._lock:
            if self._vetted is None:
                self._vetted = vetted
            return self._vetted

    def _backend(self, timeout: float) -> tuple[SecretBackend, str] | None:
        """The backend to call and its label, or None when the keyring is unusable."""
        vetted = self._vet(timeout)
        with self._lock:
            if vetted.backend is None or self._failure is not None:
                return None
            return vetted.backend, vetted.label

    def _keyring_call(self, fn: Callable[[], T], timeout: float, secret: str | None = None) -> T:
        """Run one keyring call with a time limit, recording why it failed.

        Raises:
            CredentialError: The call timed out.
            _KeyringFailed: The call raised; ``keyring_problem`` now says why.
        """
        try:
            return call_with_timeout(fn, timeout)
        except CallTimedOut:
            problem = timeout_problem(timeout)
            self._record_failure(problem)
            raise CredentialError(f"{problem} {FIX_HINT}") from None
        except Exception as exc:
            self._record_failure(describe_failure(exc, secret))
            if secret and secret in f"{exc!s}{exc!r}":
                raise _KeyringFailed from None
            raise _KeyringFailed from exc

    def _keyring_location(self, label: str) -> StoreLocation:
        return StoreLocation("keyring", f"keyring ({label})")

    def _file_location(self) -> StoreLocation:
        return StoreLocation("file", f"file {self._file.path} (0600)")

    def _unavailable(self) -> KeyringUnavailable:
        with self._lock:
            problem = self._failure or (self._vetted.problem if self._vetted else None)
        return KeyringUnavailable.because(problem)

    @staticmethod
    def _check_name(name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("a credential name must be a non-empty string")

    # ------------------------------------------------------------ public API

    def probe(self) -> StoreLocation | None:
        """Say where secrets would go, trying the keyring once if not yet tried.

        Never raises and never waits longer than the store's timeout (twice, at
        worst: once to pick the backend, once to read from it).

        Returns:
            The keyring's location, the file's when the keyring is unusable and the
            file is allowed, or None.
        """
        return self._probe(self._timeout)

    def _probe(self, timeout: float) -> StoreLocation | None:
        try:
            chosen = self._backend(timeout)
            if chosen is not None:
                backend, label = chosen
                if not self._keyring_verified:
                    self._keyring_call(
                        lambda: backend.get_password(self.SERVICE, _PROBE_NAME), timeout
                    )
                    self._keyring_verified = True
                return self._keyring_location(label)
        except (CredentialError, _KeyringFailed):
            pass  # the reason is recorded in keyring_problem
        except Exception as exc:  # never raise from a probe
            self._record_failure(describe_failure(exc))
        return self._file_location() if self._allow_file_store else None

    def location(self) -> StoreLocation:
        """Where secrets go.

        Raises:
            KeyringUnavailable: No usable keyring and the file is not allowed.
        """
        found = self.probe()
        if found is None:
            raise self._unavailable()
        return found

    def get(self, name: str) -> str | None:
        """Return the secret stored under ``name``, or None.

        The fallback file is also read when the keyring has no such entry: it may
        hold a secret stored before the keyring worked, with the user's consent.

        Raises:
            KeyringUnavailable: The keyring is unusable, the file is not allowed and
                holds no such entry.
            CredentialError: The keyring timed out, or the file is damaged.
        """
        entry = self.get_entry(name)
        return None if entry is None else entry.secret

    def get_entry(self, name: str) -> StoredSecret | None:
        """Like :meth:`get`, with the origin the secret was stored for.

        Raises:
            KeyringUnavailable: as :meth:`get`.
            CredentialError: as :meth:`get`.
        """
        stored = self._get(name, self._timeout)
        return None if stored is None else _unwrap(stored)

    def _get(self, name: str, timeout: float) -> str | None:
        self._check_name(name)
        chosen = self._backend(timeout)
        if chosen is not None:
            backend = chosen[0]
            try:
                secret = self._keyring_call(
                    lambda: backend.get_password(self.SERVICE, name), timeout
                )
            except _KeyringFailed:
                pass
            else:
                self._keyring_verified = True
                return secret if secret is not None else self._file.get(name)
        secret = self._file.get(name)
        if secret is None and not self._allow_file_store:
            raise self._unavailable()
        return secret

    def set(self, name: str, secret: str, *, origin: str | None = None) -> StoreLocation:
        """Store ``secret`` under ``name``, bound to ``origin`` when one is given.

        In the keyring when it works (and then any older copy in the file is
        removed); otherwise in the file if allowed.

        Returns:
            Where the secret went.

        Raises:
            KeyringUnavailable: The keyring is unusable and the file is not allowed.
            CredentialError: The keyring timed out, or the file cannot be written.
        """
        return self._set(name, secret, self._timeout, origin)

    def _set(
        self, name: str, secret: str, timeout: float, origin: str | None = None
    ) -> StoreLocation:
        self._check_name(name)
        if not isinstance(secret, str) or not secret:
            raise ValueError("a secret must be a non-empty string; use delete() to remove one")
        secret = _wrap(secret, origin)
        chosen = self._backend(timeout)
        if chosen is not None:
            backend, label = chosen
            try:
                self._keyring_call(
                    lambda: backend.set_password(self.SERVICE, name, secret), timeout, secret
                )
            except _KeyringFailed:
                pass
            else:
                self._keyring_verified = True
                self._file.remove(name)
                return self._keyring_location(label)
        if not self._allow_file_store:
            raise self._unavailable()
        self._file.put(name, secret)
        return self._file_location()

    def delete(self, name: str) -> bool:
        """Remove ``name`` from the keyring and from the file.

        Returns:
            True if something was removed from either.

        Raises:
            KeyringUnavailable: The keyring is unusable, the file is not allowed and
                holds no such entry (so we cannot tell whether the keyring has one).
            CredentialError: The keyring timed out, or the file cannot be written.
        """
        return self._delete(name, self._timeout)

    def _delete(self, name: str, timeout: float) -> bool:
        self._check_name(name)
        from_keyring = False
        keyring_checked = False
        chosen = self._backend(timeout)
        if chosen is not None:
            backend = chosen[0]
            try:
                from_keyring = self._keyring_call(
                    functools.partial(_delete_all, backend, self.SERVICE, name), timeout
                )
            except _KeyringFailed:
                pass
            else:
                keyring_checked = True
                self._keyring_verified = True
        from_file = self._file.remove(name)
        if not (keyring_checked or from_file or self._allow_file_store):
            raise self._unavailable()
        return from_keyring or from_file


def _delete_all(backend: SecretBackend, service: str, name: str) -> bool:
    """Delete every copy of ``name`` (other tools may have made duplicates).

    Checks with a read first, because some backends do not raise when deleting
    something that is not there.
    """
    found = False
    for _ in range(_MAX_DUPLICATES):
        if backend.get_password(service, name) is None:
            break
        try:
            backend.delete_password(service, name)
        except PasswordDeleteError:
            break
        found = True
    return found
