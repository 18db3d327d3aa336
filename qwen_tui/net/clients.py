"""Every httpx client of the app, each recording its requests in the network ledger.

The one place that builds an httpx client (``tests/architecture`` checks that no other
module does): key checks and model lists, the Qwen OAuth sign-in and refresh, the probe
for local servers.
The caller names the purpose and the kind of content from the closed lists of
:mod:`qwen_tui.net.ledger`; the options are httpx's own.

The clients of the openai SDK (the chat) and the MCP SDK (servers over streamable
HTTP), which are built on httpx2, are made by :mod:`qwen_tui.net.httpx2_clients`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from qwen_tui.net.counting import CountingStream, hooks, recording_send
from qwen_tui.net.ledger import Content, Purpose

__all__ = ["LedgerAsyncClient", "LedgerClient", "async_client", "client"]


class _Stream(CountingStream, httpx.SyncByteStream, httpx.AsyncByteStream):
    """A counted body that httpx accepts as its own."""


def _stream(inner: Any, count: Callable[[int], None], closed: Callable[[], None] | None) -> Any:
    return _Stream(inner, count, closed)


class LedgerAsyncClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose requests that fail before an answer are recorded too."""

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        with recording_send():
            return await super().send(request, **kwargs)


class LedgerClient(httpx.Client):
    """An ``httpx.Client`` whose requests that fail before an answer are recorded too."""

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        with recording_send():
            return super().send(request, **kwargs)


def async_client(*, purpose: Purpose, content: Content, **options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` (options as httpx takes them) that records each request.

    Args:
        purpose: Why its requests are sent.
        content: What kind of the user's data they carry (a request sent inside
            :func:`qwen_tui.net.ledger.content_kind` says otherwise).
        options: ``httpx.AsyncClient`` arguments; ``event_hooks`` of the caller run after
            the ledger's.
    """
    options["event_hooks"] = _merged(hooks(purpose, content, _stream, asynchronous=True), options)
    return LedgerAsyncClient(**options)


def client(*, purpose: Purpose, content: Content, **options: Any) -> httpx.Client:
    """A blocking ``httpx.Client`` that records each request; see :func:`async_client`."""
    options["event_hooks"] = _merged(hooks(purpose, content, _stream, asynchronous=False), options)
    return LedgerClient(**options)


def _merged(
    ours: dict[str, list[Callable[[Any], Any]]], options: dict[str, Any]
) -> dict[str, list[Callable[[Any], Any]]]:
    theirs = options.get("event_hooks") or {}
    return {name: [*ours[name], *theirs.get(name, [])] for name in ("request", "response")}
