"""Qwen OAuth as it is today, in the one sentence every place that offers it says.

Its own module, free of httpx, because the welcome screen shows it in its first frame.
"""

from __future__ import annotations

__all__ = ["QWEN_FREE_TIER_ENDED"]

QWEN_FREE_TIER_ENDED = (
    "Qwen's free OAuth tier was discontinued on 2026-04-15: new qwen.ai sign-ups are "
    "blocked. Existing accounts work until Qwen's server rejects their tokens, and another "
    "RFC 8628 sign-in server set in oauth.* works as before. Instead, use an API key: "
    "Alibaba Cloud Coding Plan or Model Studio, OpenRouter, or any other OpenAI-compatible "
    "provider."
)
"""What every place that offers Qwen OAuth says about it (welcome screen, ``auth``)."""
