"""A socket-level guard: nothing a test runs may connect anywhere but this machine.

Installed for the whole test suite by ``tests/conftest.py`` and, through the
``sitecustomize`` beside this module (put on ``PYTHONPATH`` for the processes the tests
start), in every Python subprocess too. A connection to, or a name look-up of, anything
but loopback raises :class:`NetworkRefused` (an ``OSError``, so the code under test sees
an offline machine) and is reported, so that the test fails even when the code swallows
the error: a stray update check, DNS look-up or pre-connect can never slip in.

Standard library only: the ``sitecustomize`` imports it before anything else.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable
from typing import Any

REPORT_ENV = "QWEN_TUI_TEST_NETWORK_REPORT"
"""A file each refused attempt of a subprocess is appended to, one line each."""

REFUSED: list[str] = []
"""What was refused in this process since the list was last cleared (the conftest
clears it for each test and fails the test when it is not empty)."""

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkRefused(OSError):
    """A test tried to reach another machine."""


def is_loopback(host: object) -> bool:
    """Whether ``host`` (a name, an address, ``None``) is this machine's loopback."""
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard, for a server
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def is_reserved_invalid(host: object) -> bool:
    """Whether ``host`` is under ``.invalid``, which RFC 6761 reserves as never resolving:
    the guard answers "not known" itself, as a resolver must, without asking a server."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and (host.lower().rstrip(".") + ".").endswith(".invalid.")


def _target(address: Any) -> object:
    """The host of a ``connect`` address; a Unix socket's path counts as loopback."""
    if isinstance(address, tuple) and address:
        return address[0]
    return None


def install(report: Callable[[str], None]) -> None:
    """Patch ``socket`` so that non-loopback connections and look-ups are refused.

    Args:
        report: Called with a description of each refused attempt.
    """
    if getattr(socket, "_qwen_tui_guarded", False):
        return
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what: str) -> NetworkRefused:
        message = f"the test suite allows loopback only: {what}"
        report(message)
        return NetworkRefused(message)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_target(address)):
            raise refuse(f"connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(_target(address)):
            raise refuse(f"connect_ex to {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if is_reserved_invalid(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if not is_loopback(host):
            raise refuse(f"name look-up of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    socket._qwen_tui_guarded = True  # type: ignore[attr-defined]


def report_to_file(message: str) -> None:
    """Append ``message`` to the file named by :data:`REPORT_ENV` (subprocesses)."""
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as file:
            file.write(f"pid {os.getpid()}: {message}\n")
    except OSError:
        pass
