"""The test suite's socket guard fires, in this process and in the processes it starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.network_guard import guard


def test_a_connection_beyond_loopback_is_refused_and_reported() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(guard.NetworkRefused, match="loopback only"):
            sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed anywhere
        with pytest.raises(guard.NetworkRefused):
            sock.connect_ex(("192.0.2.1", 80))
    with pytest.raises(guard.NetworkRefused, match="name look-up"):
        socket.getaddrinfo("pypi.org", 443)
    assert len(_take_reports()) == 3


def test_loopback_and_reserved_names_pass() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        with socket.create_connection(("localhost", port), timeout=2):
            pass
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("nowhere.invalid", 80)
    assert _take_reports() == []


def test_a_python_subprocess_is_guarded_too(tmp_path: Path) -> None:
    code = (
        "import socket\n"
        "try:\n"
        "    socket.getaddrinfo('pypi.org', 443)\n"
        "except OSError as e:\n"
        "    print(type(e).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "NetworkRefused"
    report = Path(os.environ[guard.REPORT_ENV])
    assert "name look-up of 'pypi.org'" in report.read_text()
    report.unlink()  # reported on purpose: the test itself must not fail for it


def _take_reports() -> list[str]:
    """What the guard reported in this test, cleared so the test does not fail for it."""
    taken = list(guard.REFUSED)
    guard.REFUSED.clear()
    return taken
