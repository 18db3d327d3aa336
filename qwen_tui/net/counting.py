"""What httpx and the openai SDK's httpx2 share in the ledger's clients: counting bodies.

The two libraries have the same API under two names, so the clients of
:mod:`qwen_tui.net.clients` (httpx) and :mod:`qwen_tui.net.openai_http` (httpx2) differ
only in their base classes. Everything else is here, written against that shared API
without importing either library.

Why event hooks and a wrapped ``send`` rather than a transport of our own: httpx builds
its proxy transports from the environment (``HTTPS_PROXY``, ``NO_PROXY``) only when it
makes its own, and a transport passed in would have to reimplement that. Event hooks
run for every hop of a redirect, whichever transport is used; ``send`` sees a failure
that leaves no answer for a hook to see.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from qwen_tui.net.ledger import Connection, Content, Purpose, current, effective_content

ENTRY_KEY = "qwen_tui_ledger"
"""The request extension that carries a request's ledger entry to its answer's hook."""

_opened: contextvars.ContextVar[list[Connection] | None] = contextvars.ContextVar(
    "ledger_opened", default=None
)


class CountingStream:
    """A body stream that counts its bytes as the library reads them; put first in the
    bases of a class that also derives from the library's ``SyncByteStream`` and
    ``AsyncByteStream`` (whose ``isinstance`` checks the library makes)."""

    def __init__(
        self, inner: Any, count: Callable[[int], None], closed: Callable[[], None] | None = None
    ) -> None:
        self.inner = inner
        self._count = count
        self._closed = closed

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self._count(len(chunk))
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self._count(len(chunk))
            yield chunk

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            if self._closed is not None:
                self._closed()

    async def aclose(self) -> None:
        try:
            await self.inner.aclose()
        finally:
            if self._closed is not None:
                self._closed()


StreamFactory = Callable[[Any, Callable[[int], None], Callable[[], None] | None], Any]


def _url_parts(url: Any) -> tuple[str, str, int, str]:
    scheme = str(url.scheme)
    port = url.port or (443 if scheme == "https" else 80)
    return scheme, str(url.host), int(port), str(url.path)


def open_entry(request: Any, purpose: Purpose, content: Content, stream: StreamFactory) -> None:
    """The request hook: start the request's entry and count its body as it is sent."""
    entry = current().open(
        purpose=purpose,
        content=effective_content(content),
        method=str(request.method),
        url=_url_parts(request.url),
    )
    request.extensions = {**request.extensions, ENTRY_KEY: entry}
    body = request.stream
    if isinstance(body, CountingStream):  # a 307/308 redirect sends the same body again
        body = body.inner
    request.stream = stream(body, entry.add_sent, None)
    opened = _opened.get()
    if opened is not None:
        opened.append(entry)


def watch_answer(response: Any, stream: StreamFactory) -> None:
    """The response hook: count the answer's body and end the entry when it is closed."""
    entry = response.request.extensions.get(ENTRY_KEY)
    if not isinstance(entry, Connection):
        return
    entry.status = int(response.status_code)
    response.stream = stream(
        response.stream, entry.add_received, lambda: entry.finish(status=entry.status)
    )


@contextlib.contextmanager
def recording_send() -> Iterator[None]:
    """Around a client's ``send``: the entries its requests open (a redirect opens
    several) are collected, and a failure before an answer ends those still open with
    its kind, so a request that got no answer is in the ledger too."""
    opened: list[Connection] = []
    token = _opened.set(opened)
    try:
        yield
    except BaseException as failure:
        for entry in opened:
            entry.finish(error=type(failure).__name__)
        raise
    finally:
        _opened.reset(token)


def hooks(
    purpose: Purpose, content: Content, stream: StreamFactory, *, asynchronous: bool
) -> dict[str, list[Callable[[Any], Any]]]:
    """The ``event_hooks`` of a ledger client."""
    if asynchronous:

        async def on_request(request: Any) -> None:
            open_entry(request, purpose, content, stream)

        async def on_response(response: Any) -> None:
            watch_answer(response, stream)

        return {"request": [on_request], "response": [on_response]}

    def on_request_sync(request: Any) -> None:
        open_entry(request, purpose, content, stream)

    def on_response_sync(response: Any) -> None:
        watch_answer(response, stream)

    return {"request": [on_request_sync], "response": [on_response_sync]}
