"""The settings change that records a usage-statistics answer, the same from every place
that asks (the sign-in question, the panel's switch, ``auth login`` on a terminal)."""

from __future__ import annotations

from typing import Any

from qwen_tui.config import Settings


def consent_patch(allowed: bool, settings: Settings) -> dict[str, Any]:
    """The settings.json patch for the answer ``allowed``.

    A Yes also creates the anonymous install id when none exists yet: the id is made
    only on consent, never before, and is random (nothing derived from the machine).
    """
    patch: dict[str, Any] = {"privacy": {"usageStatisticsEnabled": allowed}}
    if allowed and not settings.telemetry.install_id:
        from qwen_tui.telemetry import new_install_id

        patch["telemetry"] = {"installId": new_install_id()}
    return patch
