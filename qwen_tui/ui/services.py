"""The backends one running app works with, bundled so screens get them in one place.

Screens receive this object from the App instead of building backends themselves, which
keeps them testable: a test builds ``AppServices`` around a temporary home, an in-memory
keyring and loopback servers.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_tui.config.first_look import DeferredSettings, FirstLook

if TYPE_CHECKING:
    from qwen_tui.chat.sessions import SessionStore
    from qwen_tui.config import LoadedSettings
    from qwen_tui.credentials import CredentialStore
    from qwen_tui.providers import ProviderRegistry
    from qwen_tui.telemetry import Telemetry


@dataclass
class AppServices:
    """Settings, provider registry, credential store and sessions of one run.

    The settings are given loaded, or as :class:`DeferredSettings`: what the first
    screen needs, and how to load the rest, which happens on first use of
    :attr:`loaded` or, without holding up the screen, in :meth:`settings_loaded`.

    Attributes:
        settings: the settings and where they came from, or their first look.
        flags: command-line values, kept to rebuild the settings after a change.
        local_ports: loopback ports to probe for local servers (``None``: the presets').
        local_probe_timeout: bound in seconds on the whole local-server probe. The probe
            runs while the first frames are drawn on the same event loop, so the bound
            leaves room for that; it never holds up the screen, only its status line.
        keyring_backend: a keyring backend to use instead of the system's (tests).
        resume: a session id to open at start (``--resume``), or ``"latest"``
            (``--continue``).
    """

    settings: InitVar[LoadedSettings | DeferredSettings]
    flags: dict[str, Any] = field(default_factory=dict)
    local_ports: dict[str, int] | None = None
    local_probe_timeout: float = 1.0
    keyring_backend: Any = None
    resume: str | None = None
    _registry: ProviderRegistry | None = None
    _credentials: CredentialStore | None = None
    _sessions: SessionStore | None = None
    _telemetry: Telemetry | None = None
    _known_secrets: list[str] = field(default_factory=list, repr=False)
    _loaded: LoadedSettings | None = field(default=None, repr=False)
    _deferred: DeferredSettings | None = field(default=None, repr=False)
    _loading: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self, settings: LoadedSettings | DeferredSettings) -> None:
        if isinstance(settings, DeferredSettings):
            self._deferred = settings
        else:
            self._loaded = settings

    @property
    def loaded(self) -> LoadedSettings:
        """The settings and where they came from (loaded now if they were deferred)."""
        with self._loading:
            if self._loaded is None:
                assert self._deferred is not None
                self._loaded = self._deferred.load()
            return self._loaded

    @loaded.setter
    def loaded(self, value: LoadedSettings) -> None:
        self._loaded = value

    @property
    def settings_pending(self) -> bool:
        """Whether the settings are still to be loaded (the first screen came first)."""
        return self._loaded is None

    async def settings_loaded(self) -> LoadedSettings:
        """The settings, loaded in a thread if they were deferred, so that the event
        loop keeps drawing and taking keys meanwhile."""
        if self._loaded is not None:
            return self._loaded
        return await asyncio.to_thread(lambda: self.loaded)

    @property
    def first_look(self) -> FirstLook:
        """The state folder, theme and whether a provider is chosen, without waiting
        for deferred settings."""
        if self._loaded is None and self._deferred is not None:
            return self._deferred.look
        return self.loaded.first_look

    @property
    def home(self) -> Path:
        """The state folder (``QWEN_TUI_HOME``), known without loading the settings."""
        return self.first_look.home

    @property
    def registry(self) -> ProviderRegistry:
        """The provider registry, built on first use (it reads the catalogue file)."""
        if self._registry is None:
            from qwen_tui.providers.signin import registry_for

            self._registry = registry_for(self.loaded)
        return self._registry

    @property
    def credentials(self) -> CredentialStore:
        """The credential store, built on first use: importing keyring has a cost."""
        if self._credentials is None:
            from qwen_tui.credentials import CredentialStore

            self._credentials = CredentialStore(
                self.loaded.home,
                allow_file_store=self.loaded.settings.credentials.allow_file_store,
                backend=self.keyring_backend,
            )
        return self._credentials

    @property
    def sessions(self) -> SessionStore:
        """Saved conversations; secrets the app knows are scrubbed from what is written."""
        if self._sessions is None:
            from qwen_tui.chat.sessions import SessionStore

            self._sessions = SessionStore(self.home, secrets=self.known_secrets)
        return self._sessions

    @property
    def telemetry(self) -> Telemetry:
        """The usage-statistics recorder, gated by the switch and the sign-in method."""
        if self._telemetry is None:
            from qwen_tui.telemetry import Telemetry

            self._telemetry = Telemetry.from_settings(self.loaded)
        return self._telemetry

    def apply_telemetry_settings(self) -> None:
        """Hand the current switch, method, endpoint and id to the recorder at once:
        turning statistics off, or moving to an API key, drops what is queued."""
        if self._telemetry is None:
            return
        settings = self.loaded.settings
        method = settings.security.auth.selected_type
        if method is None and self.loaded.configured_by_environment:
            method = "openai"
        self._telemetry.configure(
            enabled=settings.privacy.usage_statistics_enabled,
            auth_method=method,
            otlp_endpoint=settings.telemetry.otlp_endpoint,
            install_id=settings.telemetry.install_id,
        )

    def close_telemetry(self) -> None:
        """At exit: record the stop and send what this run recorded, waiting at most
        2 s, and not at all when nothing is queued (or statistics are off)."""
        if self._telemetry is None:
            return
        from qwen_tui.telemetry import AppStop, process_age_seconds

        uptime = process_age_seconds()
        self._telemetry.record(lambda: AppStop(duration_s=uptime))
        self._telemetry.close(timeout=2.0)

    def remember_secret(self, secret: str | None) -> None:
        """Note a secret in use so that it is never written into a session file."""
        if secret and secret not in self._known_secrets:
            self._known_secrets.append(secret)

    def known_secrets(self) -> list[str]:
        """Secrets seen in this run (API keys, tokens)."""
        secrets = list(self._known_secrets)
        if self.loaded.env_api_key:
            secrets.append(self.loaded.env_api_key)
        return secrets

    def reload(self) -> None:
        """Re-read the settings after a change, keeping the same flags and backends."""
        from qwen_tui.config import load_settings

        self.loaded = load_settings(self.flags, home=self.loaded.home)
        self._registry = None
        self._credentials = None
        self.apply_telemetry_settings()
