"""Keep secrets out of text: one redactor for every message, log line and saved file.

A secret rarely leaks as itself. An HTTP library that refuses a header quotes it as
``bytes`` (``b'Bearer sk-…\\n-…'``), a JSON log escapes it, a URL percent-encodes it, a
Basic ``Authorization`` header carries it in base64 behind a user name. Comparing text
with the raw key misses all of those, so :func:`redact` looks for each form and replaces
it with one marker, :data:`REDACTED`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from qwen_tui.text.terminal import neutralise

REDACTED = "[redacted]"
"""What a secret is replaced with, wherever it was found."""

MIN_SECRET_LENGTH = 4
"""Shorter "secrets" are ignored: blanking every ``abc`` would make text unreadable,
and no real key or token is that short."""

# Base64 fragments shorter than this could occur by chance in ordinary text.
_MIN_BASE64_CORE = 8
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")


@functools.lru_cache(maxsize=64)
def _escaped_forms(secret: str) -> tuple[str, ...]:
    """The secret as it appears after the escaping that code applies on the way out."""
    forms: set[str] = {secret, neutralise(secret)}
    forms.add(repr(secret)[1:-1])
    forms.add(secret.encode("unicode_escape").decode("ascii"))
    forms.add(repr(secret.encode("utf-8", "surrogatepass"))[2:-1])
    with contextlib.suppress(UnicodeEncodeError):
        forms.add(repr(secret.encode("latin-1"))[2:-1])
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    # Escaped twice: a repr or JSON string inside a JSON document (a log record).
    forms |= {json.dumps(form)[1:-1] for form in list(forms)}
    for safe in ("", "/"):
        for encoded in (quote(secret, safe=safe), quote_plus(secret, safe=safe)):
            forms.add(encoded)
            forms.add(_PERCENT_ESCAPE.sub(lambda match: match.group().lower(), encoded))
    return tuple(sorted((form for form in forms if form), key=len, reverse=True))


def _base64_alphabets(encoded: str) -> tuple[str, str]:
    return encoded, encoded.replace("+", "-").replace("/", "_")


@functools.lru_cache(maxsize=64)
def _base64_cores(secret: str) -> tuple[str, ...]:
    """Base64 text that any encoding containing the secret must contain.

    Base64 turns each group of 3 bytes into 4 characters, so the secret's encoding
    depends on where it starts within a group: after ``user:`` in a Basic header it can
    start at any of the 3 offsets. For each offset, the groups that hold only bytes of
    the secret encode the same whatever comes before or after; those are the cores.
    """
    data = secret.encode("utf-8", "surrogatepass")
    cores: set[str] = set()
    for offset in range(3):
        padded = b"\0" * offset + data
        encoded = base64.b64encode(padded).decode("ascii")
        start = 4 if offset else 0
        end = len(padded) // 3 * 4
        core = encoded[start:end]
        if len(core) >= _MIN_BASE64_CORE:
            cores.update(_base64_alphabets(core))
    return tuple(cores)


@functools.lru_cache(maxsize=64)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str]:
    forms = {form for secret in secrets for form in _escaped_forms(secret)}
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(re.escape(form) for form in ordered))


def _decodes_to_secret(token: str, secrets: tuple[bytes, ...]) -> bool:
    """Whether a base64 token decodes to bytes that contain one of the secrets."""
    body = token.rstrip("=")
    shortest = min(len(secret) for secret in secrets)
    if len(body) * 3 // 4 < shortest:
        return False
    padded = body + "=" * (-len(body) % 4)
    for altchars in (b"+/", b"-_"):
        try:
            decoded = base64.b64decode(padded, altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            continue
        if any(secret in decoded for secret in secrets):
            return True
    return False


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every form of every secret in ``text`` with :data:`REDACTED`.

    Found: the secret itself; as Python's ``repr`` writes it (of ``str`` and of its
    UTF-8 or Latin-1 ``bytes``, which is how HTTP libraries quote a refused header); as
    JSON escapes it (once or twice); percent-encoded (``quote`` and ``quote_plus``,
    either case of hex); with control characters neutralised for a terminal; and in
    base64 (standard or URL-safe, alone or inside a longer value such as
    ``user:secret`` in a Basic header), where the whole base64 word is replaced.

    Args:
        text: Text that may contain a secret.
        secrets: The secrets to remove; ``None``, empty and very short ones are
            skipped (see :data:`MIN_SECRET_LENGTH`).

    Returns:
        The text with every occurrence replaced.
    """
    kept = tuple(
        sorted({secret for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH})
    )
    if not kept or not text:
        return text
    text = _pattern(kept).sub(REDACTED, text)
    cores = tuple(core for secret in kept for core in _base64_cores(secret))
    raw = tuple(secret.encode("utf-8", "surrogatepass") for secret in kept)

    def replace_token(match: re.Match[str]) -> str:
        token = match.group()
        if any(core in token for core in cores) or _decodes_to_secret(token, raw):
            return REDACTED
        return token

    return _BASE64_TOKEN.sub(replace_token, text)


EXCERPT_LIMIT = 200
"""Characters of someone else's words (a server's error, a library's message) that a
message of ours quotes at the most."""


def one_line_excerpt(text: str, secrets: Iterable[str | None], limit: int = EXCERPT_LIMIT) -> str:
    """``text`` redacted, its white space folded to single spaces, cut to ``limit``.

    How a server's or a library's words are quoted inside one of our messages: they
    may echo a key, span many lines, or run on for pages.
    """
    excerpt = " ".join(redact(text, secrets).split())
    if len(excerpt) > limit:
        excerpt = excerpt[: limit - 1] + "…"
    return excerpt


def mask(secret: str) -> str:
    """A secret shown so that its owner can recognise it and nobody can use it.

    ``sk-…abcd``: a short prefix and the last four characters, only when the secret is
    long enough that they give nothing useful away; otherwise only the marker.
    """
    if len(secret) < 16:
        return REDACTED
    prefix = secret[:3] if secret[:3].isascii() and secret[:3].isprintable() else ""
    tail = secret[-4:]
    if not (tail.isascii() and tail.isprintable()):
        return REDACTED
    return f"{prefix}…{tail}"
