"""A settings change announced to whoever shows settings, without knowing who that is.

Screens must not reach into each other to say "the provider changed": the account
publishes what it wrote, and each view subscribes to what it shows. The signal imports
no textual, so the command line and tests use it as well; the app bridges it to its own
event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

PROVIDER_SECTIONS = ("security", "model", "credentials", "oauth", "providers")
"""Top-level sections whose change means: the provider, key or model in use may differ."""


@dataclass(frozen=True)
class SettingsChange:
    """What one settings update wrote.

    Attributes:
        values: each dotted camelCase key written (``"model.name"``) and the value it
            got; ``None`` for a key that was removed.
    """

    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of_patch(cls, patch: Mapping[str, Any]) -> SettingsChange:
        """The keys and values a nested settings patch writes."""
        return cls(dict(_leaves(patch, "")))

    @property
    def keys(self) -> frozenset[str]:
        """The dotted keys written."""
        return frozenset(self.values)

    @property
    def affects_provider(self) -> bool:
        """The provider, its key, model or request timeout may have changed."""
        return any(key.split(".", 1)[0] in PROVIDER_SECTIONS for key in self.keys)


def _leaves(patch: Mapping[str, Any], prefix: str) -> list[tuple[str, Any]]:
    leaves: list[tuple[str, Any]] = []
    for name, value in patch.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, Mapping) and value:
            leaves += _leaves(value, dotted + ".")
        else:
            leaves.append((dotted, value))
    return leaves


Listener = Callable[[SettingsChange], None]


class ChangeSignal:
    """A list of listeners called, in order, after each settings update."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns the function that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, change: SettingsChange) -> None:
        """Tell every listener (a copy of the list: a listener may unsubscribe)."""
        for listener in list(self._listeners):
            listener(change)
