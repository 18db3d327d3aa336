"""Base-URL handling shared by the registry, key checks and local probes.

Kept free of httpx so that checking a URL typed in a form costs nothing. Every
function here works on strings with :mod:`urllib.parse` so results are stable
and easy to compare.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit, urlunsplit

from qwen_tui.providers.errors import ProviderError

__all__ = [
    "display_url",
    "host_port",
    "is_loopback_host",
    "join_url",
    "normalise_base_url",
    "with_port",
]

_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - property raises ValueError on a bad port
    except ValueError as exc:
        raise ProviderError("bad_url", f"{display_url(url)!r} is not a valid URL: {exc}.") from exc
    return parts


def normalise_base_url(url: str) -> str:
    """Check a base URL and bring it to one canonical spelling.

    Users paste URLs from provider docs, with or without a trailing slash and
    sometimes without a scheme; a clear error here beats a confusing failure
    deep inside an HTTP client. ``/v1`` is *not* added: some providers use
    other roots (``/compatible-mode/v1``, ``/api/v1``) and guessing would hide
    a wrong URL instead of reporting it.

    Args:
        url: The URL as typed.

    Returns:
        The URL with a lower-case scheme and host, no fragment and no trailing
        ``/``.

    Raises:
        ProviderError: ``kind="bad_url"`` when the scheme is missing or not
            http(s), or there is no host.
    """
    text = url.strip()
    if not text:
        raise ProviderError(
            "bad_url", "The base URL is empty. Enter e.g. https://api.example.com/v1."
        )
    # These messages name only the host: text typed into the URL field may end with a
    # key typed ahead or pasted into the wrong field, and messages are shown and logged.
    if any(ch.isspace() for ch in text):
        raise ProviderError(
            "bad_url", f"The base URL for {_host_of(text)} contains spaces or line breaks."
        )
    if "://" not in text or text.startswith("://"):
        raise ProviderError(
            "bad_url",
            f"The base URL for {_host_of(text)} has no scheme — add http:// or https:// "
            f"(for example https://{_host_of(text)}/v1).",
        )
    parts = _split(text)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ProviderError(
            "bad_url",
            f"The base URL uses {parts.scheme or 'no'}://, which is not supported — "
            "use http:// or https://.",
        )
    if not parts.hostname:
        raise ProviderError(
            "bad_url", f"The base URL {display_url(text)!r} has no host name after {scheme}://."
        )
    netloc = parts.netloc
    host_start = netloc.rfind("@") + 1
    netloc = netloc[:host_start] + netloc[host_start:].lower()
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def _host_of(url: str) -> str:
    """Only the host (and port) of a URL-ish string, for a message about it."""
    text = url.strip().split("://", 1)[-1].lstrip("/")
    host = text.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    return host.split()[0][:80] if host.split() else "this address"


def display_url(url: str) -> str:
    """Return a URL safe to show: no user:password part, no query string.

    Error messages quote the URL to help the user, but a URL can carry secrets
    (``https://user:token@host`` or ``?key=…``), and messages are shown and
    logged.

    Args:
        url: Any URL-ish string.

    Returns:
        The URL without credentials and query.
    """
    text = url.strip()
    # Without "://", urlsplit would read "user:pw@host" as scheme "user".
    no_scheme = "://" not in text
    try:
        parts = urlsplit("//" + text.lstrip("/") if no_scheme else text)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc.rpartition("@")[2]
    shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return shown.removeprefix("//") if no_scheme else shown


def join_url(base_url: str, path: str) -> str:
    """Append an API path to a base URL, keeping the base's own path and query.

    ``urljoin`` would drop the base's last segment (``/v1`` + ``models`` →
    ``/models``), which is exactly the mistake this avoids.

    Args:
        base_url: A normalised base URL.
        path: The API path, e.g. ``"/models"``.

    Returns:
        The full URL.
    """
    parts = urlsplit(base_url)
    joined = parts.path.rstrip("/") + "/" + path.lstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, joined, parts.query, ""))


def host_port(url: str) -> tuple[str, int]:
    """Return the lower-case host and the effective port of a URL.

    Args:
        url: A normalised http(s) URL.

    Returns:
        ``(host, port)``, the port defaulting from the scheme.
    """
    parts = _split(url)
    host = (parts.hostname or "").lower()
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    return host, port


def with_port(url: str, port: int) -> str:
    """Return ``url`` with another port, for probing a local server elsewhere.

    Args:
        url: A normalised http(s) URL.
        port: The new port.

    Returns:
        The URL with the port replaced.
    """
    parts = _split(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def is_loopback_host(host: str) -> bool:
    """Tell whether a host name or address refers to this machine.

    Loopback traffic never leaves the computer, which is why local presets
    need no key, may skip proxies and have no provider terms. Names are not
    resolved (no network access for a yes/no question): only ``localhost``,
    ``*.localhost`` (RFC 6761) and loopback addresses count.

    Args:
        host: A host name or IP address, IPv6 with or without brackets.

    Returns:
        True for loopback.
    """
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
