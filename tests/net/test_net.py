"""One reading of ``Retry-After`` for the chat, the sign-in and the telemetry export."""

from __future__ import annotations

from email.message import Message

import pytest

from qwen_tui.net import parse_retry_after

NOW = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"RETRY-AFTER": "2.5"}, 2.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),
        ({"Retry-After-Ms": "oops", "Retry-After": "9"}, 9.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, 10.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:27:00 GMT"}, 0.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": ""}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_in_every_spelling(headers: dict[str, str] | None, seconds: float) -> None:
    assert parse_retry_after(headers, now=NOW) == seconds


def test_retry_after_from_standard_library_headers() -> None:
    message = Message()
    message["Retry-After"] = "4"
    assert parse_retry_after(dict(message.items())) == 4.0
