"""Read the chat-completions event stream as plain dicts.

The openai SDK turns every chunk into a pydantic model, which costs more CPU than
drawing the text on screen; for a 20,000-token answer it is about a second here. The
request still goes through the SDK (auth, base URL, error statuses), but the lines of
the stream are decoded here with ``json.loads`` following the SSE format: ``data:``
lines carry JSON, ``[DONE]`` ends the stream, comments and other fields are skipped.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any


class StreamError(Exception):
    """The server reported an error inside the stream (an ``error`` object)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


async def iter_chunks(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """Yield each JSON chunk of an SSE stream until ``[DONE]`` or the end.

    Raises:
        ValueError: a ``data:`` line is not JSON (a malformed stream).
        StreamError: the server sent an ``error`` object mid-stream.
    """
    async for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if not payload:
            continue
        if payload == "[DONE]":
            return
        chunk = json.loads(payload)
        if not isinstance(chunk, dict):
            raise ValueError(f"expected a JSON object, got {type(chunk).__name__}")
        error = chunk.get("error")
        if error:
            if isinstance(error, dict):
                raise StreamError(str(error.get("message") or error), error.get("code"))
            raise StreamError(str(error))
        yield chunk
