"""What every client of an HTTP server agrees on, whatever library sends the request.

The lowest layer beside ``text``: the chat (openai's httpx2), the key checks and the
sign-in (httpx) and the telemetry export (the standard library) all read a
``Retry-After`` the same way, all treat the same hosts as this machine's own, and all
record their requests in the network ledger (:mod:`qwen_tui.net.ledger`). Every HTTP
client is built by :mod:`qwen_tui.net.clients` (httpx) or
:mod:`qwen_tui.net.openai_http` (httpx2, for the openai SDK), imported by their users
only: this package itself imports nothing else of qwen_tui and no HTTP library.
"""

from qwen_tui.net.loopback import LOOPBACK_DIRECT, LOOPBACK_HOSTS
from qwen_tui.net.retry_after import parse_retry_after

__all__ = ["LOOPBACK_DIRECT", "LOOPBACK_HOSTS", "parse_retry_after"]
