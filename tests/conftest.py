"""Shared fixtures: every test runs with its own QWEN_TUI_HOME and a clean environment.

The environment is cleaned in ``os.environ`` itself, so subprocesses that a test starts
with a copy of it (the CLI, tmux) inherit the clean environment too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from qwen_tui.net import ledger
from tests.support.network_guard import guard

_GUARD_FOLDER = Path(guard.__file__).parent
guard.install(guard.REFUSED.append)

# The app's own variables (QWEN_TUI_*, OPENAI_*) are removed by prefix.
_KEPT = ("QWEN_TUI_HOME", "QWEN_TUI_REQUIRE_SYSTEM_TESTS")
# The user's network set-up: a proxy (either spelling; the lower-case one wins in both
# urllib and httpx) or a custom CA must change no result. Tests of proxy or CA
# behaviour set the variables they mean themselves.
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
_NETWORK_VARIABLES = (
    *_PROXY_VARIABLES,
    *(name.upper() for name in _PROXY_VARIABLES),
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
)
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANGUAGE")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep the developer's own settings, keys and ``.env`` files out of every test."""
    home = tmp_path / "qwen-home"
    monkeypatch.setenv("QWEN_TUI_HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("QWEN_TUI_", "OPENAI_")) and name not in _KEPT:
            monkeypatch.delenv(name)
    for name in _NETWORK_VARIABLES + _LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")  # the privacy texts follow the locale
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    yield home


@pytest.fixture(autouse=True)
def loopback_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if its code, or a Python process it starts, tried to reach another
    machine (see ``tests/support/network_guard``), even when the code caught the error."""
    report = tmp_path / "network-refused.txt"
    monkeypatch.setenv(guard.REPORT_ENV, str(report))
    paths = [str(_GUARD_FOLDER), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    guard.REFUSED.clear()
    yield
    refused = [*guard.REFUSED, *(report.read_text().splitlines() if report.exists() else [])]
    guard.REFUSED.clear()
    if refused:
        pytest.fail("reached beyond loopback:\n" + "\n".join(refused), pytrace=False)


@pytest.fixture(autouse=True)
def fresh_ledger(monkeypatch: pytest.MonkeyPatch) -> ledger.Ledger:
    """A network ledger of the test's own, so no test sees another's connections."""
    mine = ledger.Ledger()
    monkeypatch.setattr(ledger, "_LEDGER", mine)
    return mine


def require_system_tests() -> bool:
    """True in CI, where a missing tmux or Secret Service is a failure, not a skip."""
    return os.environ.get("QWEN_TUI_REQUIRE_SYSTEM_TESTS") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip a system test with ``reason``, or fail it where system tests are required."""
    if require_system_tests():
        pytest.fail(f"required system part missing: {reason}")
    pytest.skip(reason)
