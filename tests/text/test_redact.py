"""One redactor: a secret is caught in every form in which code may print it."""

from __future__ import annotations

import base64
import json
import re
import string
import urllib.parse
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qwen_tui
from qwen_tui.text import REDACTED, mask, redact

KEY = "sk-live\n-4f9c”x/+ é\x07tail9"
PLAIN = "sk-proj-Zx8Qm2Lp9Rt4Vw7Yb3Nc"


def forms_of(secret: str) -> dict[str, str]:
    """Every encoding the redactor promises to catch, by name."""
    data = secret.encode("utf-8")
    return {
        "raw": secret,
        "repr str": repr(secret),
        "repr bytes": repr(data),
        "repr header": repr(b"Bearer " + data),
        "unicode_escape": secret.encode("unicode_escape").decode("ascii"),
        "json": json.dumps(secret),
        "json non-ascii": json.dumps(secret, ensure_ascii=False),
        "json of repr": json.dumps({"error": repr(data)}),
        "quote": urllib.parse.quote(secret),
        "quote safe none": urllib.parse.quote(secret, safe=""),
        "quote lower hex": re.sub(
            "%[0-9A-F]{2}", lambda m: m.group().lower(), urllib.parse.quote(secret, safe="")
        ),
        "quote_plus": urllib.parse.quote_plus(secret),
        "query string": urllib.parse.urlencode({"api_key": secret}),
        "base64": base64.b64encode(data).decode(),
        "base64 urlsafe": base64.urlsafe_b64encode(data).decode(),
        "base64 unpadded": base64.b64encode(data).decode().rstrip("="),
        "basic u": base64.b64encode(b"u:" + data).decode(),
        "basic us": base64.b64encode(b"us:" + data).decode(),
        "basic use": base64.b64encode(b"use:" + data).decode(),
        "basic with suffix": base64.b64encode(b"user:" + data + b":x").decode(),
    }


def fragments(secret: str) -> list[str]:
    """Runs of the secret long enough to identify it, to look for after redaction."""
    parts = [secret[i : i + 6] for i in range(0, max(len(secret) - 5, 1), 3)]
    return [part for part in parts if part.strip()]


@pytest.mark.parametrize("secret", [KEY, PLAIN])
@pytest.mark.parametrize("form", list(forms_of(KEY)))
def test_every_form_is_redacted(secret: str, form: str) -> None:
    encoded = forms_of(secret)[form]
    text = f"error: Illegal header value {encoded} (while sending)"
    cleaned = redact(text, [secret])
    assert encoded not in cleaned
    assert REDACTED in cleaned
    assert cleaned.startswith("error: Illegal header value ")
    assert cleaned.endswith(" (while sending)")
    for part in fragments(secret):
        assert part not in cleaned, (form, part)


def test_basic_header_from_httpx_is_redacted() -> None:
    """The header a real client builds for ``auth=(user, key)``."""
    request = httpx.Request("GET", "http://127.0.0.1/")
    signed = next(httpx.BasicAuth("apikey", PLAIN).sync_auth_flow(request))
    header = signed.headers["authorization"]
    assert header.startswith("Basic ")
    assert redact(f"sent {header}", [PLAIN]) == f"sent Basic {REDACTED}"


def test_text_without_the_secret_is_left_alone() -> None:
    text = "The server said: invalid_api_key (401). Check https://example.com/keys?a=1."
    assert redact(text, [PLAIN]) == text
    long_words = "internationalisation " * 5 + base64.b64encode(b"some other token").decode()
    assert redact(long_words, [PLAIN]) == long_words


def test_short_empty_and_missing_secrets_are_ignored() -> None:
    assert redact("key=abc and none", ["abc", "", None]) == "key=abc and none"
    assert redact("key=abcd", ["abcd", None]) == f"key={REDACTED}"
    assert redact("", [PLAIN]) == ""


def test_several_secrets_and_one_inside_another() -> None:
    token = "tok-0123456789abcdef"
    refresh = token + "-refresh"
    text = f"access={token} refresh={refresh} again {token}"
    assert redact(text, [token, refresh]) == (
        f"access={REDACTED} refresh={REDACTED} again {REDACTED}"
    )


def test_the_redactor_is_written_once() -> None:
    """Every layer masks secrets with ``qwen_tui.text.redact``: no module defines a
    redactor or a marker of its own."""
    package = Path(qwen_tui.__file__).parent
    home = package / "text" / "redact.py"
    for path in package.rglob("*.py"):
        if path == home:
            continue
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(package)
        assert REDACTED not in source.replace(f"``{REDACTED}``", ""), where
        assert not re.search(r"^\s*def _?redact\w*\(", source, re.MULTILINE), where


def test_mask_shows_only_a_recognisable_tail() -> None:
    assert mask(PLAIN) == f"sk-…{PLAIN[-4:]}"
    assert mask("short-key") == REDACTED
    assert PLAIN[4:-4] not in mask(PLAIN)


secret_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), min_size=8, max_size=40
).filter(lambda s: len(set(s)) > 3)


@settings(max_examples=150, deadline=None)
@given(secret=secret_text, before=st.text(string.printable, max_size=20))
def test_any_secret_in_any_form_is_redacted(secret: str, before: str) -> None:
    for name, encoded in forms_of(secret).items():
        text = f"{before} {encoded} end"
        cleaned = redact(text, [secret])
        assert encoded not in cleaned, name
        assert cleaned.endswith(" end")


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.binary(max_size=12),
    secret=st.text(string.ascii_letters + string.digits + "-_", min_size=12, max_size=48),
)
def test_base64_of_anything_followed_by_the_secret(prefix: bytes, secret: str) -> None:
    """``user:key`` in a Basic header, whatever the user name's length."""
    encoded = base64.b64encode(prefix + b":" + secret.encode()).decode()
    cleaned = redact(f"Authorization: Basic {encoded}", [secret])
    assert cleaned == f"Authorization: Basic {REDACTED}"


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_redact_never_adds_text_without_a_secret_in_it(text: str) -> None:
    secret = "sk-Q7vX2mR9tL4pW8zK"
    if secret in text:
        return
    assert redact(text, [secret]) == text


def test_an_excerpt_is_redacted_on_one_line_and_short() -> None:
    from qwen_tui.text.redact import EXCERPT_LIMIT, one_line_excerpt

    text = f"bad key {PLAIN}\n\n  try\tagain " + "x" * 500
    excerpt = one_line_excerpt(text, [PLAIN])
    assert excerpt.startswith(f"bad key {REDACTED} try again x")
    assert PLAIN not in excerpt
    assert len(excerpt) == EXCERPT_LIMIT and excerpt.endswith("…")
    assert one_line_excerpt("short", [], limit=3) == "sh…"
    assert one_line_excerpt(" fits ", []) == "fits"
