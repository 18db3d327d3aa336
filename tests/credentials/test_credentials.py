"""CredentialStore with fake keyrings: selection, fallback, refusal, file safety, async."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from keyring.backends.fail import Keyring as FailKeyring
from keyring.backends.null import Keyring as NullKeyring
from keyring.errors import InitError, KeyringLocked, NoKeyringError, PasswordSetError

from qwen_tui.credentials import (
    CredentialError,
    CredentialStore,
    KeyringUnavailable,
    StoreLocation,
)
from qwen_tui.credentials.filestore import CredentialFile
from tests.support.credentials_fixtures import (
    NEVER_CHOSEN,
    BlockingKeyring,
    MemoryKeyring,
    RaisingKeyring,
    StoreContract,
    file_mode,
)
from tests.support.waiting import LOAD_SLACK

FIX_WORDS = ("--allow-file-store", "credentials.allowFileStore=true", "unlock your keyring")


class TestMemoryKeyringContract(StoreContract):
    """The shared contract, on an in-memory keyring."""

    @pytest.fixture
    def backend(self) -> MemoryKeyring:
        return MemoryKeyring()


# --------------------------------------------------------------- fake backends


class CryptFileLike(MemoryKeyring):
    """Looks like keyrings.cryptfile: would ask for a password with getpass."""


CryptFileLike.__module__ = "keyrings.cryptfile.cryptfile"


class PlainTextLike(MemoryKeyring):
    """Looks like keyrings.alt: writes secrets in plain text."""


PlainTextLike.__module__ = "keyrings.alt.file"


class FakeChainer(ChainerBackend):
    """A chainer over chosen members (the real one asks keyring for all backends)."""

    priority = NEVER_CHOSEN

    def __init__(self, members: list[KeyringBackend]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._members = members

    @property
    def backends(self) -> list[KeyringBackend]:
        return self._members


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


class SecretServiceNotAvailableException(Exception):
    """Stands in for secretstorage's exception (matched by name and module)."""


SecretServiceNotAvailableException.__module__ = "secretstorage.exceptions"


def assert_mentions_fix(message: str) -> None:
    for words in FIX_WORDS:
        assert words in message, f"{words!r} missing from: {message}"


# ------------------------------------------------------------------- vetting


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        (FailKeyring(), "No keyring service is running"),
        (NullKeyring(), "turned off"),
        (CryptFileLike(), "asks for its password on the terminal"),
        (PlainTextLike(), "plain-text file"),
    ],
    ids=["fail", "null", "cryptfile", "alt"],
)
def test_unsafe_or_dead_backends_are_rejected(
    home: Path, backend: KeyringBackend, words: str
) -> None:
    store = CredentialStore(home, backend=backend)
    assert store.probe() is None
    assert store.keyring_problem is not None
    assert words in store.keyring_problem
    with pytest.raises(KeyringUnavailable) as caught:
        store.set("provider:openai", "sk-never-stored")
    assert words in str(caught.value)
    assert_mentions_fix(str(caught.value))
    assert not home.exists()
    if isinstance(backend, MemoryKeyring):
        assert backend.calls == 0, "a rejected backend must never be called"


def test_rejected_backend_falls_back_to_file_with_consent(home: Path) -> None:
    backend = CryptFileLike()
    store = CredentialStore(home, allow_file_store=True, backend=backend)
    where = store.set("provider:openai", "sk-file")
    assert where.kind == "file"
    assert backend.calls == 0
    assert json.loads((home / "credentials.json").read_text()) == {"provider:openai": "sk-file"}


def test_chainer_members_are_filtered(home: Path) -> None:
    good = MemoryKeyring()
    bad = CryptFileLike()
    store = CredentialStore(home, backend=FakeChainer([bad, good]))
    where = store.set("qwen-oauth", '{"access_token": "t"}')
    assert where == StoreLocation("keyring", "keyring (credentials fixtures MemoryKeyring)")
    assert good.items == {("qwen-tui", "qwen-oauth"): '{"access_token": "t"}'}
    assert bad.calls == 0
    assert store.get("qwen-oauth") == '{"access_token": "t"}'


def test_chainer_of_several_good_members_reads_all(home: Path) -> None:
    first, second = MemoryKeyring(), MemoryKeyring()
    second.items[("qwen-tui", "provider:x")] = "in-second"
    store = CredentialStore(home, backend=FakeChainer([first, CryptFileLike(), second]))
    assert store.get("provider:x") == "in-second"
    store.set("provider:y", "goes-first")
    assert first.items[("qwen-tui", "provider:y")] == "goes-first"
    assert store.delete("provider:x") is True
    assert second.items == {}


def test_chainer_with_only_rejected_members_is_rejected(home: Path) -> None:
    store = CredentialStore(home, backend=FakeChainer([CryptFileLike(), PlainTextLike()]))
    assert store.probe() is None
    problem = store.keyring_problem or ""
    assert "asks for its password" in problem
    assert "plain-text" in problem


def test_empty_chainer_means_no_keyring(home: Path) -> None:
    store = CredentialStore(home, backend=FakeChainer([]))
    assert "No keyring service is running" in (store.keyring_problem or "")


def test_default_backend_comes_from_keyring(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: memory)
    store = CredentialStore(home)
    store.set("provider:openai", "sk-default")
    assert memory.items == {("qwen-tui", "provider:openai"): "sk-default"}


def test_default_fail_backend_explains_missing_dbus(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", FailKeyring)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    store = CredentialStore(home)
    assert store.keyring_problem == (
        "No keyring service is running (no D-Bus session / Secret Service)."
    )


def test_keyring_selection_that_raises_is_a_problem_not_a_crash(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> KeyringBackend:
        raise ModuleNotFoundError("No module named 'nowhere'")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    store = CredentialStore(home)
    assert store.probe() is None
    assert "nowhere" in (store.keyring_problem or "")


# ------------------------------------------------------- failures at first use


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (NoKeyringError("No recommended backend was available."), "No keyring service"),
        (InitError("Failed to create the collection: Prompt dismissed.."), "locked"),
        (KeyringLocked("Failed to unlock the collection!"), "locked"),
        (SecretServiceNotAvailableException("no socket"), "Secret Service"),
        (ConnectionRefusedError(111, "Connection refused"), "did not answer properly"),
    ],
    ids=["no-keyring", "prompt-dismissed", "locked", "secretstorage", "socket"],
)
def test_first_use_failure_refuses_without_consent(
    home: Path, error: Exception, words: str
) -> None:
    store = CredentialStore(home, backend=RaisingKeyring(lambda: error))
    with pytest.raises(KeyringUnavailable) as caught:
        store.set("provider:openai", "sk-refused")
    message = str(caught.value)
    assert words in message
    assert_mentions_fix(message)
    assert "sk-refused" not in message
    assert words in (store.keyring_problem or "")
    assert not home.exists(), "nothing may be written without consent"
    with pytest.raises(KeyringUnavailable):
        store.get("provider:openai")
    with pytest.raises(KeyringUnavailable):
        store.location()


@pytest.mark.parametrize(
    "error",
    [NoKeyringError("none"), InitError("Prompt dismissed"), KeyringLocked("locked")],
    ids=["no-keyring", "prompt-dismissed", "locked"],
)
def test_first_use_failure_falls_back_to_file_with_consent(home: Path, error: Exception) -> None:
    backend = RaisingKeyring(lambda: error)
    store = CredentialStore(home, allow_file_store=True, backend=backend)
    where = store.set("provider:openai", "sk-in-file")
    assert where == StoreLocation("file", f"file {home / 'credentials.json'} (0600)")
    assert store.get("provider:openai") == "sk-in-file"
    assert store.probe() == where
    assert store.keyring_problem is not None
    assert backend.calls == 1, "after the first failure the keyring is left alone"


def test_probe_finds_locked_keyring_and_never_raises(home: Path) -> None:
    store = CredentialStore(home, backend=RaisingKeyring(lambda: KeyringLocked("locked")))
    assert store.keyring_problem is None, "not known before the keyring is used"
    assert store.probe() is None
    assert "locked" in (store.keyring_problem or "")


def test_probe_survives_unexpected_exceptions(home: Path) -> None:
    store = CredentialStore(
        home, allow_file_store=True, backend=RaisingKeyring(lambda: ValueError("odd"))
    )
    found = store.probe()
    assert found is not None
    assert found.kind == "file"
    assert "ValueError: odd" in (store.keyring_problem or "")


def test_secret_echoed_by_backend_never_reaches_our_messages(home: Path) -> None:
    secret = "sk-echoed-by-a-bad-backend"

    class Echoing(RaisingKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise PasswordSetError(f"could not store {password}")

    store = CredentialStore(home, backend=Echoing())
    with pytest.raises(KeyringUnavailable) as caught:
        store.set("provider:openai", secret)
    error = caught.value
    for text in (str(error), repr(error), store.keyring_problem or ""):
        assert secret not in text
    assert "[redacted]" in (store.keyring_problem or "")
    assert error.__cause__ is None


def test_delete_without_keyring_or_consent(home: Path) -> None:
    store = CredentialStore(home, backend=RaisingKeyring(lambda: NoKeyringError("none")))
    with pytest.raises(KeyringUnavailable):
        store.delete("provider:openai")
    # A file from an earlier session (made with consent) can still be cleaned up.
    CredentialFile(home / "credentials.json").put("provider:openai", "old")
    assert store.get("provider:openai") == "old"
    assert store.delete("provider:openai") is True
    assert not (home / "credentials.json").exists()


def test_delete_with_consent_and_no_keyring(home: Path) -> None:
    store = CredentialStore(
        home, allow_file_store=True, backend=RaisingKeyring(lambda: NoKeyringError("none"))
    )
    assert store.delete("provider:openai") is False
    store.set("provider:openai", "sk")
    assert store.delete("provider:openai") is True


def test_names_and_secrets_must_not_be_empty(home: Path) -> None:
    store = CredentialStore(home, backend=MemoryKeyring())
    with pytest.raises(ValueError):
        store.get("")
    with pytest.raises(ValueError):
        store.set("provider:openai", "")


# ---------------------------------------------------------------- the file


@pytest.fixture
def file_store(home: Path) -> CredentialStore:
    return CredentialStore(home, allow_file_store=True, backend=NullKeyring())


def test_file_is_0600_in_a_0700_folder(file_store: CredentialStore, home: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        file_store.set("provider:openai", "sk-mode")
    finally:
        os.umask(old_umask)
    assert file_mode(home) == 0o700
    assert file_mode(home / "credentials.json") == 0o600


def test_file_stays_0600_after_rewrites_even_if_loosened(
    file_store: CredentialStore, home: Path
) -> None:
    file_store.set("provider:a", "1")
    os.chmod(home / "credentials.json", 0o644)
    file_store.set("provider:b", "2")
    assert file_mode(home / "credentials.json") == 0o600


def test_existing_home_folder_is_made_private(file_store: CredentialStore, home: Path) -> None:
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    file_store.set("provider:a", "1")
    assert file_mode(home) == 0o700
    assert file_mode(home / "credentials.json") == 0o600


def test_file_holds_a_json_object_and_no_temp_files_remain(
    file_store: CredentialStore, home: Path
) -> None:
    for i in range(5):
        file_store.set(f"provider:p{i}", f"secret-{i}")
    file_store.delete("provider:p0")
    assert sorted(os.listdir(home)) == ["credentials.json"]
    assert json.loads((home / "credentials.json").read_text()) == {
        f"provider:p{i}": f"secret-{i}" for i in range(1, 5)
    }


def test_failed_write_keeps_old_file_and_leaves_no_temp_file(
    file_store: CredentialStore, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_store.set("provider:a", "old")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(CredentialError) as caught:
        file_store.set("provider:a", "new-secret")
    assert "No space left on device" in str(caught.value)
    assert "new-secret" not in str(caught.value)
    monkeypatch.undo()
    assert sorted(os.listdir(home)) == ["credentials.json"]
    assert file_store.get("provider:a") == "old"


def test_damaged_file_is_reported_without_its_content(
    file_store: CredentialStore, home: Path
) -> None:
    home.mkdir()
    (home / "credentials.json").write_text('["sk-inside-broken-file"')
    with pytest.raises(CredentialError) as caught:
        file_store.get("provider:a")
    assert "damaged" in str(caught.value)
    assert "sk-inside-broken-file" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_working_keyring_never_writes_the_file(home: Path) -> None:
    store = CredentialStore(home, allow_file_store=True, backend=MemoryKeyring())
    store.set("provider:a", "1")
    store.delete("provider:a")
    store.set("qwen-oauth", "{}")
    assert not home.exists()


# ---------------------------------------------------------- time limits


@pytest.fixture
def blocking() -> Iterator[BlockingKeyring]:
    backend = BlockingKeyring()
    yield backend
    backend.release.set()


async def test_a_stuck_keyring_neither_freezes_the_loop_nor_outlasts_the_timeout(
    home: Path, blocking: BlockingKeyring
) -> None:
    """As the screens call the store: from ``asyncio.to_thread``."""
    store = CredentialStore(home, backend=blocking, timeout=0.3)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    with pytest.raises(CredentialError) as caught:
        await asyncio.to_thread(store.get, "provider:openai")
    elapsed = time.monotonic() - started
    task.cancel()
    assert 0.25 <= elapsed < 0.3 + LOAD_SLACK  # the keyring itself never answers
    # A frozen loop would not tick at all while the keyring is stuck.
    assert ticks >= 2, "the event loop must keep running while the keyring is stuck"
    assert "did not answer within 0.3 s" in str(caught.value)
    assert not isinstance(caught.value, KeyringUnavailable)
    for call in (
        lambda: store.set("provider:openai", "sk-stuck"),
        lambda: store.delete("provider:openai"),
    ):
        with pytest.raises(CredentialError):
            await asyncio.to_thread(call)


def test_sync_probe_never_hangs_and_then_uses_the_file(
    home: Path, blocking: BlockingKeyring
) -> None:
    store = CredentialStore(home, allow_file_store=True, backend=blocking, timeout=0.2)
    started = time.monotonic()
    assert store.probe() == StoreLocation("file", f"file {home / 'credentials.json'} (0600)")
    assert time.monotonic() - started < 0.2 + LOAD_SLACK  # the keyring itself never answers
    assert blocking.entered.is_set()
    assert "did not answer within 0.2 s" in (store.keyring_problem or "")
    assert store.set("provider:a", "sk-after-timeout").kind == "file"


def test_sync_call_that_times_out_raises_credential_error(
    home: Path, blocking: BlockingKeyring
) -> None:
    store = CredentialStore(home, allow_file_store=True, backend=blocking, timeout=0.2)
    with pytest.raises(CredentialError) as caught:
        store.set("provider:a", "sk-timeout")
    assert "sk-timeout" not in str(caught.value)
    assert not home.exists(), "a timed-out write may still land in the keyring: no file copy"


def test_no_keyring_and_no_consent_refuses_and_probes_nothing(home: Path) -> None:
    store = CredentialStore(home, backend=RaisingKeyring(lambda: NoKeyringError("none")))
    with pytest.raises(KeyringUnavailable):
        store.set("provider:a", "x")
    assert store.probe() is None


def test_import_does_not_pull_in_textual() -> None:
    import subprocess
    import sys

    code = "import sys, qwen_tui.credentials; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
