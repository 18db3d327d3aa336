"""CredentialStore against a real Secret Service (gnome-keyring on the session bus).

Run under ``.ci/with-secret-service`` to have one. Without a reachable, unlocked
Secret Service these tests skip, or fail when QWEN_TUI_REQUIRE_SYSTEM_TESTS=1
(as in CI, where a skip would hide a broken set-up).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring

from qwen_tui.credentials import CredentialStore
from tests.support.credentials_fixtures import StoreContract, skip_or_fail

pytestmark = pytest.mark.system

_CHECK_TIMEOUT = 10.0


def _secret_service_problem() -> str | None:
    """Why the Secret Service cannot be used here, or None when it can."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return (
            "no Secret Service: DBUS_SESSION_BUS_ADDRESS is not set (no D-Bus session); "
            "run under .ci/with-secret-service"
        )
    try:
        import secretstorage
    except ImportError:
        return "no Secret Service: the secretstorage package is not installed"
    try:
        connection = secretstorage.dbus_init()
    except Exception as exc:
        return f"no Secret Service: cannot connect to the D-Bus session bus ({exc})"
    try:
        if not secretstorage.check_service_availability(connection):
            return "no Secret Service: org.freedesktop.secrets is not on the session bus"
        # Collection() only looks; get_default_collection() would create one and prompt.
        if secretstorage.Collection(connection).is_locked():
            return "the Secret Service's default collection is locked"
    except Exception as exc:
        return f"no usable Secret Service: {type(exc).__name__}: {exc}"
    finally:
        connection.close()
    return None


def _check_with_time_limit() -> str | None:
    """Run the check in a thread so a stuck bus cannot hang the test run."""
    result: list[str | None] = []
    thread = threading.Thread(target=lambda: result.append(_secret_service_problem()), daemon=True)
    thread.start()
    thread.join(_CHECK_TIMEOUT)
    if not result:
        return f"no Secret Service: the session bus did not answer within {_CHECK_TIMEOUT:g} s"
    return result[0]


@pytest.fixture(scope="module", autouse=True)
def secret_service() -> None:
    problem = _check_with_time_limit()
    if problem is not None:
        skip_or_fail(problem)


@pytest.fixture(scope="module")
def secret_tool() -> str:
    path = shutil.which("secret-tool")
    if path is None:
        skip_or_fail("secret-tool is not installed (Debian package libsecret-tools)")
    assert path is not None
    return path


def _lookup(secret_tool: str, name: str) -> subprocess.CompletedProcess[str]:
    # keyring's SecretService backend stores the attributes "service" and "username".
    return subprocess.run(
        [secret_tool, "lookup", "service", CredentialStore.SERVICE, "username", name],
        capture_output=True,
        text=True,
        timeout=_CHECK_TIMEOUT,
        check=False,
    )


class TestSecretServiceContract(StoreContract):
    """The shared contract, on the real Secret Service."""

    @pytest.fixture
    def backend(self) -> SecretServiceKeyring:
        return SecretServiceKeyring()

    def test_location_names_secret_service(self, store: CredentialStore) -> None:
        found = store.probe()
        assert found is not None
        assert found.description == "keyring (SecretService Keyring)"

    def test_secret_tool_sees_the_entry_and_its_removal(
        self, store: CredentialStore, secret_tool: str, names: Callable[[], str]
    ) -> None:
        name = names()
        store.set(name, "sk-seen-by-secret-tool")
        found = _lookup(secret_tool, name)
        assert found.returncode == 0, found.stderr
        assert found.stdout.rstrip("\n") == "sk-seen-by-secret-tool"
        assert store.delete(name) is True
        gone = _lookup(secret_tool, name)
        assert gone.stdout == ""
        assert gone.returncode != 0

    def test_entry_made_by_secret_tool_is_read(
        self, store: CredentialStore, secret_tool: str, names: Callable[[], str]
    ) -> None:
        name = names()
        subprocess.run(
            [
                secret_tool,
                "store",
                "--label=qwen-tui test",
                "service",
                "qwen-tui",
                "username",
                name,
            ],
            input="sk-from-secret-tool",
            text=True,
            timeout=_CHECK_TIMEOUT,
            check=True,
        )
        assert store.get(name) == "sk-from-secret-tool"
        assert store.delete(name) is True
        assert store.get(name) is None


def test_default_backend_selection_finds_secret_service(tmp_path: Path, secret_tool: str) -> None:
    """Without an explicit backend, keyring's own choice must be vetted and accepted."""
    store = CredentialStore(tmp_path)
    found = store.probe()
    assert found is not None, store.keyring_problem
    assert found.kind == "keyring"
    assert "SecretService Keyring" in found.description
    name = "provider:test-default-" + os.urandom(6).hex()
    try:
        store.set(name, "sk-default-backend")
        assert _lookup(secret_tool, name).stdout.rstrip("\n") == "sk-default-backend"
    finally:
        store.delete(name)
    assert not (tmp_path / "credentials.json").exists()
