"""The chat's HTTP client for the openai SDK (built on httpx2), recording in the ledger.

Imported by the chat service only after the SDK itself, so that nothing here pays for
httpx2 at start-up. See :mod:`qwen_tui.net.clients` for the httpx clients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
from openai import DefaultAsyncHttpxClient

from qwen_tui.net.counting import CountingStream, end_send, hooks, start_send
from qwen_tui.net.ledger import Content, Purpose

__all__ = ["openai_client"]


class _Stream(CountingStream, httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A counted body that httpx2 accepts as its own."""


def _stream(inner: Any, count: Callable[[int], None], closed: Callable[[], None] | None) -> Any:
    return _Stream(inner, count, closed)


class _LedgerAsyncClient(DefaultAsyncHttpxClient):
    """The SDK's own client (its timeout, connection limits, redirects followed), whose
    requests that fail before an answer are recorded too."""

    async def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        opened, token = start_send()
        failure: BaseException | None = None
        try:
            return await super().send(request, **kwargs)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            end_send(opened, token, failure)


def openai_client(*, purpose: Purpose, content: Content, **options: Any) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` for ``AsyncOpenAI(http_client=…)`` that records requests.

    Args:
        purpose: Why its requests are sent.
        content: What kind of the user's data they carry (a request sent inside
            :func:`qwen_tui.net.ledger.content_kind` says otherwise).
        options: ``httpx2.AsyncClient`` arguments.
    """
    options["event_hooks"] = hooks(purpose, content, _stream, asynchronous=True)
    return _LedgerAsyncClient(**options)
