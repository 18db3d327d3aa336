"""The chat's HTTP client for the openai SDK (built on httpx2), recording in the ledger.

Imported by the chat service only after the SDK itself, so that nothing here pays for
httpx2 at start-up. See :mod:`qwen_tui.net.clients` for the httpx clients.
"""

from __future__ import annotations

from typing import Any

import httpx2
from openai import DEFAULT_CONNECTION_LIMITS, DEFAULT_TIMEOUT

from qwen_tui.net.httpx2_clients import async_client
from qwen_tui.net.ledger import Content, Purpose

__all__ = ["openai_client"]


def openai_client(*, purpose: Purpose, content: Content, **options: Any) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` for ``AsyncOpenAI(http_client=…)`` that records requests,
    with the SDK's own defaults (its timeout and connection limits, redirects followed),
    as ``openai.DefaultAsyncHttpxClient`` sets them.

    Args:
        purpose: Why its requests are sent.
        content: What kind of the user's data they carry (a request sent inside
            :func:`qwen_tui.net.ledger.content_kind` says otherwise).
        options: ``httpx2.AsyncClient`` arguments.
    """
    options.setdefault("timeout", DEFAULT_TIMEOUT)
    options.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
    options.setdefault("follow_redirects", True)
    return async_client(purpose=purpose, content=content, **options)
