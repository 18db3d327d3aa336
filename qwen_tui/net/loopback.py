"""The names of this machine's own interface, which no proxy can reach."""

from __future__ import annotations

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts that every request goes to directly, never through ``HTTPS_PROXY``: a proxy
elsewhere would reach its own loopback interface, not ours."""
