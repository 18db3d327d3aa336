"""What went wrong with an MCP server, told apart and put in plain words.

The SDK reports a server's failures as its own ``MCPError`` (with JSON-RPC codes),
as exceptions of the transport below it (httpx2, anyio streams, ``OSError`` from the
spawn), and wraps them in exception groups from its task groups. These functions look
through all that without importing the SDK, so that a failure can be classified from
wherever it surfaced.
"""

from __future__ import annotations

from qwen_tui.config.model import McpServerSettings


def leaf_of(error: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


REQUEST_TIMEOUT = -32001
CONNECTION_CLOSED = -32000
"""The SDK's JSON-RPC codes for a request that timed out and a connection that ended
(``mcp_types.REQUEST_TIMEOUT``, ``CONNECTION_CLOSED``), copied so that this module
need not import the SDK to read them."""


def error_code(error: BaseException) -> int | None:
    """The JSON-RPC error code of an SDK ``MCPError``, if it is one."""
    code = getattr(getattr(leaf_of(error), "error", None), "code", None)
    return code if isinstance(code, int) else None


def is_closed(error: BaseException) -> bool:
    """Whether the SDK says the connection is gone (the server died or hung up)."""
    leaf = leaf_of(error)
    return error_code(leaf) == CONNECTION_CLOSED or type(leaf).__name__ in (
        "ClosedResourceError",
        "BrokenResourceError",
        "EndOfStream",
    )


def _is_http_error(error: BaseException) -> bool:
    return type(error).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore")


def timed_out(error: BaseException) -> bool:
    """Whether the SDK gave up waiting for the server's answer."""
    return error_code(error) == REQUEST_TIMEOUT


def failure_words(error: BaseException, settings: McpServerSettings, timeout: float) -> str:
    """The first real cause of ``error``, in plain words (secrets are masked by the
    caller, which knows them)."""
    leaf = leaf_of(error)
    if isinstance(leaf, FileNotFoundError):
        return f"cannot start {settings.command!r}: no such program or folder"
    if isinstance(leaf, OSError) and not _is_http_error(leaf):
        return f"cannot start it: {leaf.strerror or leaf}"
    if _is_http_error(leaf) and isinstance(leaf, Exception):
        from qwen_tui.providers.http_policy import transport_error

        return transport_error(leaf, str(settings.url), timeout).message
    if is_closed(leaf):
        return "the server closed the connection (it may have crashed)"
    if isinstance(leaf, TimeoutError):
        return f"it did not answer within {timeout:g} s"
    return str(leaf) or type(leaf).__name__
