"""The names of this machine's own interface, which no proxy can reach."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts that every request goes to directly, never through ``HTTPS_PROXY``: a proxy
elsewhere would reach its own loopback interface, not ours."""

LOOPBACK_DIRECT: Mapping[str, None] = MappingProxyType(
    {f"all://[{host}]" if ":" in host else f"all://{host}": None for host in LOOPBACK_HOSTS}
)
"""``mounts`` for an httpx or httpx2 client: no proxy for this machine's own servers."""
