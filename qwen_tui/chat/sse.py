"""Read the chat-completions event stream as plain dicts.

The openai SDK turns every chunk into a pydantic model, which costs more CPU than
drawing the text on screen; for a 20,000-token answer it is about a second here. The
request still goes through the SDK (auth, base URL, error statuses), but the lines of
the stream are decoded here with ``json.loads`` following the SSE format: ``data:``
lines carry JSON, ``[DONE]`` ends the stream, comments and other fields are skipped.

The body is read as it arrives from the network and cut into lines here, a whole
read at a time: splitting and decoding it line by line through httpx's text and line
decoders cost more than the JSON itself, once per event.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

_LINE_END = re.compile(rb"\r\n|\r|\n")
"""SSE lines end with CRLF, LF or CR. A CRLF cut between two reads counts as two line
ends; the empty line between them is skipped like any other."""


class StreamError(Exception):
    """The server reported an error inside the stream (an ``error`` object)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _Done(Exception):
    """``data: [DONE]``: the stream is over."""


def _chunks(lines: list[bytes]) -> Iterator[dict[str, Any]]:
    """The JSON chunks of complete SSE lines.

    Raises:
        _Done: a ``[DONE]`` line (the chunks before it were yielded).
    """
    for line in lines:
        if not line.startswith(b"data:"):
            continue
        payload = line[5:].strip()
        if not payload:
            continue
        if payload == b"[DONE]":
            raise _Done
        # Bytes that are not UTF-8 are replaced, as a text decoder would, not fatal.
        chunk = json.loads(payload.decode("utf-8", "replace"))
        if not isinstance(chunk, dict):
            raise ValueError(f"expected a JSON object, got {type(chunk).__name__}")
        error = chunk.get("error")
        if error:
            if isinstance(error, dict):
                raise StreamError(str(error.get("message") or error), error.get("code"))
            raise StreamError(str(error))
        yield chunk


async def iter_chunks(body: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """Yield each JSON chunk of an SSE stream (its body as read) until ``[DONE]`` or
    the end.

    Raises:
        ValueError: a ``data:`` line is not JSON (a malformed stream).
        StreamError: the server sent an ``error`` object mid-stream.
    """
    rest = b""
    try:
        async for block in body:
            lines = _LINE_END.split(rest + block)
            rest = lines.pop()
            for chunk in _chunks(lines):
                yield chunk
        for chunk in _chunks([rest]):
            yield chunk
    except _Done:
        return
