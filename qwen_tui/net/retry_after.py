"""How long a server asks us to wait, from its ``Retry-After`` (or ``retry-after-ms``)."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP date) or ``retry-after-ms``.

    Header names are matched in any case. ``retry-after-ms`` (sent by OpenAI and some
    compatible servers) wins, being the more precise; a date in the past means 0.

    Args:
        headers: The answer's headers.
        now: The current time (``time.time()`` when not given), for a date.

    Returns:
        The seconds, or None when the server did not say (or said it unreadably).
    """
    if not headers:
        return None
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))
