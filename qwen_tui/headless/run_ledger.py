"""The network ledger of a command-line run (``-p``, ``auth login``).

Such a run saves no conversation, but what it sends is kept all the same: its ledger
gets a session id of its own, so that ``qwen-tui audit`` shows it (it is the latest)
and deleting every session deletes it too.
"""

from __future__ import annotations

from qwen_tui.chat.sessions import SessionStore
from qwen_tui.config import LoadedSettings
from qwen_tui.net import ledger


def keep_ledger(loaded: LoadedSettings) -> None:
    """Write this run's connections to a ledger file of its own from now on."""
    ledger.current().bind(SessionStore(loaded.home).new(provider=None, model=None).ledger_path)
