"""What an API key may contain, checked wherever a key comes in.

A key travels in an HTTP header, which takes printable ASCII only. A key pasted from a
web page or a chat often brings something else along: a line break, a space, curly
quotes, a long dash, an invisible character. Sent as it is, such a key fails deep in the
HTTP library (whose error quotes the whole header, key included) or hangs a screen; so
it is refused when it is entered, with what was found and where, and never sent.
"""

from __future__ import annotations

import unicodedata

from qwen_tui.providers.catalogue import ProviderError

_QUOTES = frozenset("\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_LINE_BREAKS = frozenset("\n\r\v\f\x85\u2028\u2029")


def _describe(char: str) -> tuple[str, str]:
    """What ``char`` is, in words, and how to get rid of it."""
    code = f"U+{ord(char):04X}"
    if char in _LINE_BREAKS:
        return "a line break", "paste it again on one line"
    if char == " ":
        return "a space", "paste it again without spaces"
    if char == "\t":
        return "a tab", "paste it again without spaces"
    if char in _QUOTES:
        return f"a curly quote ({char})", "paste it again without quotes"
    if char in _DASHES:
        return (
            f"a typographic dash ({char})",
            "type a plain hyphen (-) there, or copy the key again from the provider",
        )
    if char.isspace():
        return f"a special space ({code})", "paste it again without spaces"
    if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Cn"):
        return (
            f"an invisible or control character ({code})",
            "copy the key again from the provider",
        )
    return f"a non-ASCII character ({char}, {code})", "copy the key again from the provider"


def key_problem(key: str, what: str = "The key") -> str | None:
    """Why ``key`` (already stripped) cannot be sent, or ``None`` when it can.

    Only printable ASCII without spaces is accepted, as every provider's keys are. The
    message names the first character found and its position (counted from 1), never
    the key itself.
    """
    for index, char in enumerate(key):
        if " " < char < "\x7f":
            continue
        found, fix = _describe(char)
        return f"{what} contains {found} at position {index + 1} — {fix}."
    return None


def clean_api_key(api_key: str | None, what: str = "The key") -> str | None:
    """The key with surrounding whitespace removed, ``None`` when empty.

    Args:
        api_key: The key as typed, pasted, stored or found in the environment.
        what: How the message names the key (``"OPENAI_API_KEY"``).

    Raises:
        ProviderError: ``kind="auth"``: the key holds a character no key has (see
            :func:`key_problem`); nothing is sent anywhere.
    """
    key = (api_key or "").strip()
    if not key:
        return None
    problem = key_problem(key, what)
    if problem is not None:
        raise ProviderError("auth", problem)
    return key
