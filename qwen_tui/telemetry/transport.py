"""The HTTP POST of an export batch, on the standard library.

Why not httpx, which the rest of the app uses: the openai SDK looks for a loaded
``httpx`` module on every response (``sys.modules.get("httpx")``) to accept legacy
clients, and a background thread that is in the middle of importing httpx makes that
look-up find a half-initialised module, so the user's answer failed with
``AttributeError: partially initialized module 'httpx'``. The export thread therefore
never imports httpx. It still behaves as httpx does by default: ``HTTPS_PROXY`` /
``HTTP_PROXY`` / ``NO_PROXY`` honoured (loopback always direct), ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` honoured, else certifi's CA bundle (httpx's default), no redirects.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import ssl
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from qwen_tui import __version__
from qwen_tui.net import LOOPBACK_HOSTS, parse_retry_after
from qwen_tui.net.ledger import record_exchange

REQUEST_TIMEOUT = 3.0
"""Seconds for the connection and each read; the exit flush is bounded separately."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A collector that redirects is a wrong URL; do not follow it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def ssl_context() -> ssl.SSLContext:
    """The CA bundle as httpx picks it with ``trust_env``: the variables, then certifi."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile and os.path.isfile(cafile):
        return ssl.create_default_context(cafile=cafile)
    if capath and os.path.isdir(capath):
        return ssl.create_default_context(capath=capath)
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _proxies(url: str) -> dict[str, str]:
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_HOSTS or urllib.request.proxy_bypass(host):
        return {}
    return urllib.request.getproxies()


class Sender:
    """POSTs JSON bodies to one URL; never raises for network trouble."""

    def __init__(self, url: str) -> None:
        self.url = url
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.ProxyHandler(_proxies(url)),
            _NoRedirect(),
        ]
        if urlsplit(url).scheme == "https":
            handlers.append(urllib.request.HTTPSHandler(context=ssl_context()))
        self._opener = urllib.request.build_opener(*handlers)
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        self._parts = (
            scheme,
            parts.hostname or "",
            parts.port or (443 if scheme == "https" else 80),
            parts.path or "/",
        )

    def __call__(self, data: bytes) -> tuple[int | None, float | None]:
        """POST ``data``; the status (None when there was no answer) and ``Retry-After``."""
        request = urllib.request.Request(
            self.url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": f"qwen-tui/{__version__}"},
        )
        status: int | None = None
        received = 0
        failure: str | None = None
        try:
            with self._opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                received = len(response.read())
                status = int(response.status)
                return status, None
        except urllib.error.HTTPError as error:
            with error:
                status = error.code
                with contextlib.suppress(OSError, http.client.HTTPException):
                    received = len(error.read())
                return error.code, parse_retry_after(dict(error.headers.items()))
        except (OSError, ValueError, http.client.HTTPException) as error:  # refused, TLS…
            failure = type(error).__name__
            return None, None
        finally:
            # The standard library has no hooks for the ledger: the exchange is
            # recorded here, as the ledger's own clients record theirs.
            record_exchange(
                purpose="usage_statistics",
                content="usage_statistics",
                method="POST",
                url=self._parts,
                sent=len(data) if status is not None else 0,
                received=received,
                status=status,
                error=failure,
            )
