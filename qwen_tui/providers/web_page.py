"""Tell a web page from an API answer: one rule for the key check and the chat.

A base URL that points at a web site (the provider's home page, a URL missing ``/v1``,
a captive portal) answers ``200`` with HTML. Saying so is far more useful than "the
answer was not JSON" or "no reply", so the key check and the chat stream both ask
this one function. Kept free of httpx: it looks only at a header value and bytes.
"""

from __future__ import annotations

__all__ = ["looks_like_web_page"]

_HTML_STARTS = (b"<!doctype", b"<html")


def looks_like_web_page(content_type: str | None, head: bytes | str) -> bool:
    """Whether a response is an HTML page, from its ``Content-Type`` or first bytes.

    Args:
        content_type: the ``Content-Type`` header value, if any.
        head: the first bytes (or characters) of the body; 64 are plenty.
    """
    if "html" in (content_type or "").lower():
        return True
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    return head[:64].lstrip().lower().startswith(_HTML_STARTS)
