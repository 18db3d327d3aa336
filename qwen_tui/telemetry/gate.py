"""The consent gate: whether any event may exist at all.

Asked before an event is built (not filtered after), so that with the switch off no
event object, log line or network request is ever made. Two conditions, both from the
seed: the user said yes (``privacy.usageStatisticsEnabled`` is exactly True; unset
means not asked yet, which is no), and the sign-in is Qwen OAuth (under an
OpenAI-compatible key nothing is collected beyond what that provider collects).
"""

from __future__ import annotations

import uuid

QWEN_OAUTH = "qwen-oauth"


def collection_allowed(enabled: bool | None, auth_method: str | None) -> bool:
    """True only for an explicit yes under Qwen OAuth."""
    return enabled is True and auth_method == QWEN_OAUTH


def new_install_id() -> str:
    """A fresh anonymous installation id: random (uuid4), nothing taken from the machine,
    so it links the events of one installation and nothing else. Create it on consent
    and save it as ``telemetry.installId``; a new one resets the link."""
    return uuid.uuid4().hex
