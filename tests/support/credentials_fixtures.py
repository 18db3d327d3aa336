"""Shared pieces of the credential tests: fake keyrings and the store contract.

``StoreContract`` holds the behaviour every working keyring must show through
``CredentialStore``; test modules subclass it and supply a ``backend`` fixture
(an in-memory keyring, or the real Secret Service).

The fake backends have a priority below keyring's ``null`` backend, so that
keyring's automatic selection (which sees every ``KeyringBackend`` subclass
ever defined) never picks one of them in another test.
"""

from __future__ import annotations

import asyncio
import os
import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from qwen_tui.credentials import CredentialStore

REQUIRE_ENV = "QWEN_TUI_REQUIRE_SYSTEM_TESTS"
NEVER_CHOSEN = -100.0


def skip_or_fail(reason: str) -> None:
    """Skip a test that needs a missing system part, or fail where CI demands it."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1, so this is a failure, not a skip)")
    pytest.skip(reason)


def unique_name(prefix: str = "provider:test") -> str:
    """A name no other test (or earlier run) uses, so real keyrings stay tidy."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict: what a working Secret Service does, minus D-Bus."""

    priority = NEVER_CHOSEN

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        try:
            del self.items[(service, username)]
        except KeyError:
            raise PasswordDeleteError("No such password!") from None


class RaisingKeyring(KeyringBackend):
    """Every call raises the exception made by ``make`` (a dead or locked keyring)."""

    priority = NEVER_CHOSEN

    def __init__(self, make: Callable[[], BaseException] | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.make = make or (lambda: RuntimeError("boom"))
        self.calls = 0

    def _raise(self) -> None:
        self.calls += 1
        raise self.make()

    def get_password(self, service: str, username: str) -> str | None:
        self._raise()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._raise()

    def delete_password(self, service: str, username: str) -> None:
        self._raise()


class BlockingKeyring(KeyringBackend):
    """Every call waits until ``release`` is set: a D-Bus call stuck on a prompt."""

    priority = NEVER_CHOSEN

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.release = threading.Event()
        self.entered = threading.Event()

    def _block(self) -> None:
        self.entered.set()
        self.release.wait(30)

    def get_password(self, service: str, username: str) -> str | None:
        self._block()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._block()

    def delete_password(self, service: str, username: str) -> None:
        self._block()


def file_mode(path: Path) -> int:
    """Permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


class StoreContract:
    """What ``CredentialStore`` must do on top of any working keyring.

    Subclasses provide a ``backend`` fixture returning a ``KeyringBackend``.
    """

    @pytest.fixture
    def names(self, backend: KeyringBackend) -> Iterator[Callable[[], str]]:
        """Hand out unique names and remove them from the keyring afterwards."""
        made: list[str] = []

        def make() -> str:
            made.append(unique_name())
            return made[-1]

        yield make
        for name in made:
            while backend.get_password(CredentialStore.SERVICE, name) is not None:
                backend.delete_password(CredentialStore.SERVICE, name)

    @pytest.fixture
    def home(self, tmp_path: Path) -> Path:
        return tmp_path / "qwen-home"

    @pytest.fixture
    def store(self, home: Path, backend: KeyringBackend) -> CredentialStore:
        # allow_file_store=True: the keyring must still win when it works.
        return CredentialStore(home, allow_file_store=True, backend=backend)

    def test_set_then_get_returns_secret_from_keyring(
        self, store: CredentialStore, backend: KeyringBackend, names: Callable[[], str]
    ) -> None:
        name = names()
        where = store.set(name, "sk-contract-1")
        assert where.kind == "keyring"
        assert where.description.startswith("keyring (")
        assert store.get(name) == "sk-contract-1"
        assert backend.get_password("qwen-tui", name) == "sk-contract-1"
        assert not store.file_path.exists(), "a working keyring must keep the file unwritten"

    def test_set_replaces_older_secret(
        self, store: CredentialStore, names: Callable[[], str]
    ) -> None:
        name = names()
        store.set(name, "old-secret")
        store.set(name, "new-secret")
        assert store.get(name) == "new-secret"

    def test_get_missing_returns_none(
        self, store: CredentialStore, names: Callable[[], str]
    ) -> None:
        assert store.get(names()) is None

    def test_delete_removes_and_reports(
        self, store: CredentialStore, backend: KeyringBackend, names: Callable[[], str]
    ) -> None:
        name = names()
        store.set(name, "to-be-deleted")
        assert store.delete(name) is True
        assert store.get(name) is None
        assert backend.get_password("qwen-tui", name) is None
        assert store.delete(name) is False

    def test_probe_and_location_name_the_keyring(self, store: CredentialStore) -> None:
        found = store.probe()
        assert found is not None
        assert found.kind == "keyring"
        assert store.location() == found
        assert store.keyring_problem is None

    def test_set_removes_stale_file_copy(
        self, store: CredentialStore, home: Path, names: Callable[[], str]
    ) -> None:
        name, other = names(), names()
        home.mkdir(mode=0o700)
        store.file_path.write_text(f'{{"{name}": "stale", "{other}": "kept"}}')
        assert store.set(name, "fresh").kind == "keyring"
        assert store.get(name) == "fresh"
        assert "stale" not in store.file_path.read_text()
        assert "kept" in store.file_path.read_text()

    def test_get_falls_back_to_entry_left_in_file(
        self, store: CredentialStore, home: Path, names: Callable[[], str]
    ) -> None:
        name = names()
        home.mkdir(mode=0o700)
        store.file_path.write_text(f'{{"{name}": "from-before"}}')
        assert store.get(name) == "from-before"

    def test_delete_checks_keyring_and_file(
        self, store: CredentialStore, backend: KeyringBackend, names: Callable[[], str]
    ) -> None:
        in_both, file_only = names(), names()
        store.set(in_both, "in-keyring")
        store.file_path.parent.mkdir(mode=0o700, exist_ok=True)
        store.file_path.write_text(f'{{"{in_both}": "stale", "{file_only}": "only-here"}}')
        assert store.delete(in_both) is True
        assert backend.get_password("qwen-tui", in_both) is None
        assert store.delete(file_only) is True
        assert not store.file_path.exists(), "the emptied file is removed"
        assert store.delete(file_only) is False

    async def test_round_trip_from_a_worker_thread(
        self, store: CredentialStore, names: Callable[[], str]
    ) -> None:
        """As the screens call the store: from ``asyncio.to_thread``."""
        name = names()
        where = await asyncio.to_thread(store.set, name, "async-secret")
        assert where.kind == "keyring"
        assert await asyncio.to_thread(store.get, name) == "async-secret"
        assert await asyncio.to_thread(store.delete, name) is True
        assert await asyncio.to_thread(store.get, name) is None
        assert await asyncio.to_thread(store.delete, name) is False
        assert await asyncio.to_thread(store.probe) == where

    def test_secret_not_in_repr_or_str(
        self, store: CredentialStore, names: Callable[[], str]
    ) -> None:
        secret = "sk-do-not-show-" + uuid.uuid4().hex
        where = store.set(names(), secret)
        for text in (repr(store), str(store), repr(where), str(where)):
            assert secret not in text
