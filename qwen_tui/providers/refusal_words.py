"""The words in a provider's error answer that say why a working key gets no answer.

OpenAI-compatible servers agree on HTTP statuses, not on what a refusal means, so the
``error.code`` and ``error.message`` are read for these words (OpenAI's
``insufficient_quota``, DashScope / Model Studio's ``Arrearage`` and
``Throttling.RateQuota`` / ``Throttling.AllocationQuota``). The sign-in's test request
(:mod:`qwen_tui.providers.probe`) and the chat (:mod:`qwen_tui.chat.failures`) read the
same lists, so a refusal is told the same way before and after sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ARREARS", "FREE_TIER_ENDED", "MODEL_REFUSED", "QUOTA", "RATE", "error_words", "says"]

RATE = ("ratequota", "rate limit", "rate_limit")
"""Too many requests for now: the key works. Checked before :data:`QUOTA`, which
``RateQuota`` would also match."""
QUOTA = ("insufficient_quota", "allocationquota", "quota", "free allocated", "exceeded your")
"""The quota (or free allocation) is used up."""
ARREARS = ("arrearage", "arrears", "overdue", "good standing")
"""The account owes money or has no balance."""
FREE_TIER_ENDED = ("discontinued", "free tier")
"""A free tier that no longer exists (Qwen OAuth's, since 2026-04-15)."""
MODEL_REFUSED = ("model_not_found", "modelnotfound", "model not", "not support", "unpurchased")
"""The model is not offered to this key (not in the plan, region or account)."""


def error_words(body: Any) -> tuple[str, str]:
    """``(code, message)`` of an OpenAI-style error body (``{"error": {…}}`` or the
    object itself), empty where a field is missing; tolerant of other shapes."""
    inner = body.get("error", body) if isinstance(body, Mapping) else body
    if isinstance(inner, Mapping):
        code = " ".join(str(inner.get(name) or "") for name in ("code", "type"))
        return code.strip(), str(inner.get("message") or "")
    if isinstance(inner, str):
        return "", inner
    return "", ""


def says(words: tuple[str, ...], code: str, message: str) -> bool:
    """Whether the error's code or message holds one of ``words`` (case ignored)."""
    lowered = f"{code} {message}".lower()
    return any(word in lowered for word in words)
