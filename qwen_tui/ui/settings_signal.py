"""What a screen needs to know of the app to follow settings changes, and no more.

Screens must not import the App (that would be a loop: the App imports every screen),
so they recognise it by this protocol: an app with a ``settings_changed_signal``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.signal import Signal

    from qwen_tui.account import SettingsChange


@runtime_checkable
class PublishesSettingsChanges(Protocol):
    """An app that publishes every settings update (see ``QwenTuiApp``)."""

    settings_changed_signal: Signal[SettingsChange]
