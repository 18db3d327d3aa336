"""Make text from outside safe to put on a terminal.

Answers, reasoning, server errors, model ids, file contents and tool output come from
parties the user does not control. A terminal obeys control characters wherever they
appear: ``ESC ] 52`` writes the clipboard, ``ESC ] 0`` sets the window title,
``ESC [ 2 J`` clears the screen, and the 8-bit C1 forms (``U+009B`` is CSI) do the same
on terminals that honour them. So every such text is shown with each control
character replaced by a visible stand-in, one character at a time: no parser state is
needed, so a sequence split across two streamed chunks is caught just the same.

Kept: line feed and tab (text layout, harmless). Everything else in C0, DEL and C1
becomes visible: ``ESC`` as ``␛``, the other C0 characters as their Unicode control
pictures (``BEL`` → ``␇``), DEL as ``␡``, and a C1 character as ``␛`` plus its 7-bit
twin (``U+009B`` → ``␛[``), which is how the sequence would have been written with
``ESC``. A carriage return followed by a line feed is one line end; a lone carriage
return (which lets text overwrite what is already on the line) is shown as ``␍``.

The exact text is still what sessions keep: this is for display only.
"""

from __future__ import annotations

import re

_ESCAPE_PICTURE = "\u241b"

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_TABLE[0x1B] = _ESCAPE_PICTURE
_TABLE[0x7F] = "\u2421"
for _code in range(0x80, 0xA0):
    _TABLE[_code] = _ESCAPE_PICTURE + chr(_code - 0x40)
del _TABLE[0x0A]  # line feed
del _TABLE[0x09]  # tab

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CRLF = re.compile("\r+\n")


def neutralise(text: str) -> str:
    """``text`` with every terminal control character made visible (see module doc).

    Fast for the common case: text with no control character is returned as it is
    after one regular-expression scan.
    """
    if _UNSAFE.search(text) is None:
        return text
    if "\r" in text:
        text = _CRLF.sub("\n", text)
    return text.translate(_TABLE)


_JSON_UNSAFE = re.compile("[\x7f-\x9f]")


def neutralise_json(document: str) -> str:
    """A JSON text (``json.dumps(..., ensure_ascii=False)``) safe to print.

    JSON already escapes C0 characters inside strings; DEL and C1 pass through as
    they are. They can only stand inside strings, where ``\\u`` escapes mean the same,
    so they are escaped: the document decodes to exactly the same value.
    """
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", document)
