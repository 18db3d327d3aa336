"""The backends one running app works with, bundled so screens get them in one place.

Screens receive this object from the App instead of building backends themselves, which
keeps them testable: a test builds ``AppServices`` around a temporary home, an in-memory
keyring and loopback servers. What the command line shares (settings, their updates,
the credential store, statistics) is :class:`qwen_tui.account.Account`; this adds what
only the app needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qwen_tui.account import Account

if TYPE_CHECKING:
    from qwen_tui.chat.sessions import SessionStore


@dataclass
class AppServices(Account):
    """The account of this run, plus the app's sessions and local-server probe.

    Attributes:
        local_ports: loopback ports to probe for local servers (``None``: the presets').
        local_probe_timeout: bound in seconds on the whole local-server probe. The probe
            runs while the first frames are drawn on the same event loop, so the bound
            leaves room for that; it never holds up the screen, only its status line.
        resume: a session id to open at start (``--resume``), or ``"latest"``
            (``--continue``).
        approval_mode: ``--approval-mode``, the chat's starting mode (``None``: the
            ``tools.approvalMode`` setting).
        workspace: ``--workspace``, where the tools work (``None``: this folder's git
            root).
    """

    local_ports: dict[str, int] | None = None
    local_probe_timeout: float = 1.0
    resume: str | None = None
    approval_mode: str | None = None
    workspace: Path | None = None
    _sessions: SessionStore | None = None

    @property
    def sessions(self) -> SessionStore:
        """Saved conversations; secrets the app knows are scrubbed from what is written."""
        if self._sessions is None:
            from qwen_tui.chat.sessions import SessionStore

            self._sessions = SessionStore(self.loaded.home, secrets=self.known_secrets)
        return self._sessions
