"""Every httpx2 client of the app, each recording its requests in the network ledger.

httpx2 is the fork of httpx that the openai SDK (the chat) and the MCP SDK (servers
over streamable HTTP) are built on. This module is imported only by their users, so
nothing pays for httpx2 at start-up. :mod:`qwen_tui.net.clients` builds the httpx
clients; :func:`qwen_tui.net.openai_http.openai_client` gives this one the openai
SDK's defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

from qwen_tui.net.counting import CountingStream, hooks, recording_send
from qwen_tui.net.ledger import Content, Purpose

__all__ = ["LedgerAsyncClient", "async_client"]


class _Stream(CountingStream, httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A counted body that httpx2 accepts as its own."""


def _stream(inner: Any, count: Callable[[int], None], closed: Callable[[], None] | None) -> Any:
    return _Stream(inner, count, closed)


class LedgerAsyncClient(httpx2.AsyncClient):
    """An ``httpx2.AsyncClient`` whose requests that fail before an answer are recorded
    too."""

    async def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        with recording_send():
            return await super().send(request, **kwargs)


def async_client(*, purpose: Purpose, content: Content, **options: Any) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` (options as httpx2 takes them) that records each request.

    Args:
        purpose: Why its requests are sent.
        content: What kind of the user's data they carry (a request sent inside
            :func:`qwen_tui.net.ledger.content_kind` says otherwise).
        options: ``httpx2.AsyncClient`` arguments.
    """
    options["event_hooks"] = hooks(purpose, content, _stream, asynchronous=True)
    return LedgerAsyncClient(**options)
