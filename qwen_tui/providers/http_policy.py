"""One HTTP policy for every request to a provider or a sign-in server.

Three clients talk to those servers: httpx for key checks and model lists
(:mod:`qwen_tui.providers.verify`), httpx for the Qwen OAuth sign-in and refresh, and
the openai SDK's httpx2 for answers. They share what this module says, so that a
local server is reached, and a failure is worded, the same way by all three:

- proxies and custom CAs come from the environment (``HTTPS_PROXY``, ``NO_PROXY``,
  ``SSL_CERT_FILE``: ``trust_env``), but loopback addresses always go direct
  (:data:`LOOPBACK_DIRECT`): a proxy cannot reach this machine's loopback interface;
- a failure below HTTP (no answer at all) becomes one :class:`ProviderError` with a
  fix (:func:`transport_error`), whichever of httpx and httpx2 raised it;
- a web page where an API answer was expected is told apart by one rule
  (:func:`qwen_tui.providers.web_page.looks_like_web_page`).

Redirects differ on purpose: an API request follows them (as the openai SDK does), a
sign-in request does not (an OAuth endpoint that redirects is a wrong URL).

Neither httpx nor httpx2 is imported at the top here: exceptions are recognised by the
names of their classes, which the two libraries share. The one client this module
builds itself, for an MCP server over streamable HTTP (:func:`mcp_http_client`),
imports httpx2 when it is asked for.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from qwen_tui.net.loopback import LOOPBACK_DIRECT
from qwen_tui.providers.errors import ProviderError
from qwen_tui.providers.urls import display_url, host_port

if TYPE_CHECKING:
    import httpx2

__all__ = ["LOOPBACK_DIRECT", "USER_AGENT", "mcp_http_client", "transport_error"]

USER_AGENT = "qwen-tui"


MCP_CONNECT_TIMEOUT = 30.0
"""Seconds to connect to (or write to) an MCP server before the request fails."""


def mcp_http_client(headers: Mapping[str, str], read_timeout: float) -> httpx2.AsyncClient:
    """The httpx2 client the MCP SDK talks to a streamable HTTP server with.

    One function for it, so that every MCP request follows the same policy as the
    provider's (environment proxies and CA, loopback direct) and is recorded in the
    network ledger (purpose ``mcp``: the tool calls' arguments and results, which may
    hold file contents, count as tool output). Redirects stay off: the SDK follows
    the ones that keep to the endpoint's origin itself.

    Args:
        headers: the server's headers, secrets already resolved.
        read_timeout: seconds to wait for an answer (the server's call timeout).
    """
    import httpx2

    from qwen_tui.net.httpx2_clients import async_client

    return async_client(
        purpose="mcp",
        content="tool_output",
        headers={"User-Agent": USER_AGENT, **headers},
        timeout=httpx2.Timeout(MCP_CONNECT_TIMEOUT, read=read_timeout),
        trust_env=True,
        mounts=dict(LOOPBACK_DIRECT),
        follow_redirects=False,
    )


_HTTP_LIBRARIES = frozenset({"httpx", "httpx2"})


def _is_a(exc: BaseException, *names: str) -> bool:
    """Whether ``exc`` is an instance of an httpx or httpx2 class with one of ``names``."""
    return any(
        kind.__name__ in names and kind.__module__.split(".")[0] in _HTTP_LIBRARIES
        for kind in type(exc).__mro__
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Walk the exception chain: httpx wraps httpcore, which wraps the OSError."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def transport_error(exc: Exception, url: str, timeout: float) -> ProviderError:
    """Turn a failure below HTTP (no answer at all) into a ``ProviderError``.

    Args:
        exc: What httpx or httpx2 (or a total-time guard) raised.
        url: The URL that was requested.
        timeout: The timeout in force, quoted in the message.

    Returns:
        The error to raise, with a kind and a hint.
    """
    host, port = host_port(url)
    where = f"{host}:{port}"
    if isinstance(exc, TimeoutError) or _is_a(exc, "TimeoutException"):
        return ProviderError(
            "timeout",
            f"No answer from {where} within {timeout:g} s. Check the base URL and your network "
            "(or proxy: HTTPS_PROXY / NO_PROXY), then try again.",
        )
    if _is_a(exc, "ProxyError"):
        return ProviderError(
            "connect",
            f"The proxy refused or failed the connection to {where} ({exc}). "
            "Check HTTPS_PROXY / HTTP_PROXY, or add the host to NO_PROXY.",
        )
    if _is_a(exc, "UnsupportedProtocol"):
        return ProviderError("bad_url", f"{display_url(url)!r} is not an http(s) URL.")
    chain = list(_causes(exc))
    text = " ".join(str(c) for c in chain)
    if any(isinstance(c, socket.gaierror) for c in chain) or any(
        marker in text
        for marker in ("Name or service not known", "nodename nor servname", "getaddrinfo failed")
    ):
        return ProviderError(
            "dns",
            f"Cannot resolve host {host} — check the spelling of the base URL and that this "
            "computer is online (DNS).",
        )
    ssl_error = next((c for c in chain if isinstance(c, ssl.SSLError)), None)
    if ssl_error is not None or "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text:
        return _tls_error(ssl_error, text, where)
    if any(isinstance(c, ConnectionRefusedError) for c in chain) or "refused" in text.lower():
        return ProviderError(
            "connect",
            f"Cannot connect to {where}: connection refused. Is the server running and "
            "listening on that port?",
        )
    if _is_a(exc, "RemoteProtocolError", "ReadError"):
        return ProviderError(
            "connect",
            f"{where} closed the connection without a valid HTTP answer. If the server "
            "expects https://, change the scheme of the base URL.",
        )
    reason = str(exc) or type(exc).__name__
    return ProviderError("connect", f"Cannot connect to {where}: {reason}.")


def _tls_error(ssl_error: ssl.SSLError | None, text: str, where: str) -> ProviderError:
    reason = getattr(ssl_error, "reason", None) or "TLS handshake failed"
    if isinstance(ssl_error, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY" in text:
        detail = getattr(ssl_error, "verify_message", None) or "certificate verify failed"
        hint = (
            "If a company proxy or a private CA signs this certificate, set SSL_CERT_FILE to "
            "a CA bundle that contains it."
        )
        return ProviderError("tls", f"The certificate of {where} is not trusted ({detail}). {hint}")
    hint = (
        "If the server speaks plain HTTP, use http:// in the base URL."
        if reason == "WRONG_VERSION_NUMBER" or "wrong version number" in text
        else "Check the base URL, and SSL_CERT_FILE if you use a private CA."
    )
    return ProviderError("tls", f"Secure connection to {where} failed ({reason}). {hint}")
