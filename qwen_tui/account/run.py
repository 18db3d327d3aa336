"""The settings of one run and the backends built from them, for the TUI and the CLI.

Both front ends need the same things from the settings (the provider registry, the
credential store with the user's file-store consent, the usage-statistics recorder)
and must see a change the moment it is saved. :class:`Account` holds them, rebuilds
what depends on the settings after each change, and owns every write to settings.json:
each setting has one typed method here, which checks the value, saves it, reloads and
publishes the change.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_tui.account.changes import ChangeSignal, SettingsChange
from qwen_tui.config.first_look import DeferredSettings, FirstLook

if TYPE_CHECKING:
    from qwen_tui.config import LoadedSettings
    from qwen_tui.credentials import CredentialStore
    from qwen_tui.providers import ProviderRegistry
    from qwen_tui.telemetry import Telemetry


@dataclass
class Account:
    """Settings, provider registry, credential store and statistics of one run.

    The settings are given loaded, or as :class:`DeferredSettings`: what the first
    screen needs, and how to load the rest, which happens on first use of
    :attr:`loaded` or, without holding up the screen, in :meth:`settings_loaded`.

    Attributes:
        settings: the settings and where they came from, or their first look.
        flags: command-line values, kept to rebuild the settings after a change.
        keyring_backend: a keyring backend to use instead of the system's (tests).
        file_store_for_run: secrets may go to the file store in this run without asking
            (``--allow-file-store``); the consent is saved once a secret goes there.
        changes: told after every settings update, with the keys it wrote.
    """

    settings: InitVar[LoadedSettings | DeferredSettings]
    flags: dict[str, Any] = field(default_factory=dict)
    keyring_backend: Any = None
    file_store_for_run: bool = False
    changes: ChangeSignal = field(default_factory=ChangeSignal, repr=False)
    _registry: ProviderRegistry | None = None
    _credentials: CredentialStore | None = None
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

    # ----- the settings, loaded now or after the first frame ---------------------------

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

    # ----- backends built from the settings ------------------------------------------

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
                allow_file_store=(
                    self.file_store_for_run or self.loaded.settings.credentials.allow_file_store
                ),
                backend=self.keyring_backend,
            )
        return self._credentials

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

    # ----- settings updates: one method per thing a user can change ------------------

    def update(self, patch: Mapping[str, Any]) -> SettingsChange:
        """Check and save a camelCase ``patch``, reload, and tell the listeners.

        The typed methods below are the way in; this is their common last step.

        Raises:
            qwen_tui.account.SettingRefused: a value the schema refuses (nothing saved).
            qwen_tui.config.SettingsWriteError: settings.json cannot be written.
        """
        from qwen_tui.account.updates import write_patch

        write_patch(self.loaded, patch)
        self.reload()
        change = SettingsChange.of_patch(patch)
        self.changes.publish(change)
        return change

    def set_theme(self, name: str) -> None:
        """Keep the Textual theme ``name`` for the next start."""
        self.update({"ui": {"theme": name}})

    def set_language(self, code: str | None) -> None:
        """The language of the privacy and terms texts; ``None``: from the locale."""
        self.update({"ui": {"language": code}})

    def set_model_name(self, name: str | None) -> None:
        """The model asked of the provider; ``None``: the provider's default."""
        self.update({"model": {"name": name}})

    def set_request_timeout(self, seconds: float) -> None:
        """How long a request waits for the server before it is given up."""
        self.update({"model": {"requestTimeout": seconds}})

    def remember_allowed_tool(self, rule: str) -> None:
        """Add an allow rule (``edit``, ``run_shell_command(git status)``) to
        ``tools.allowed`` in settings.json, after the rules the file already holds (not
        those of the environment); ``tools.denied`` still wins over it."""
        saved = list(self.loaded.file_settings.tools.allowed)
        if rule not in saved:
            self.update({"tools": {"allowed": [*saved, rule]}})

    def set_statistics(self, enabled: bool) -> None:
        """Record the usage-statistics answer.

        A Yes also creates the anonymous install id when none exists yet: the id is made
        only on consent, never before, and is random (nothing derived from the machine).
        """
        patch: dict[str, Any] = {"privacy": {"usageStatisticsEnabled": enabled}}
        if enabled and not self.loaded.settings.telemetry.install_id:
            from qwen_tui.telemetry import new_install_id

            patch["telemetry"] = {"installId": new_install_id()}
        self.update(patch)

    def reset_install_id(self) -> str | None:
        """A new anonymous install id while statistics are on, none while they are off;
        returns the id now in use."""
        from qwen_tui.telemetry import new_install_id

        enabled = bool(self.loaded.settings.privacy.usage_statistics_enabled)
        self.update({"telemetry": {"installId": new_install_id() if enabled else None}})
        return self.loaded.settings.telemetry.install_id

    def allow_file_store(self) -> None:
        """The user agreed that secrets may go to a 0600 file when no keyring works."""
        self.update({"credentials": {"allowFileStore": True}})

    def select_api_key_provider(self, provider_id: str, base_url: str, model: str | None) -> None:
        """Make an OpenAI-compatible provider the one in use (its key is stored apart)."""
        self.update(
            {
                "security": {"auth": {"selectedType": "openai"}},
                "model": {"provider": provider_id, "baseUrl": base_url, "name": model or None},
            }
        )

    def select_qwen_oauth(self) -> None:
        """Make Qwen OAuth the method in use.

        A model name chosen for another provider is dropped so it is not asked of Qwen.
        """
        from qwen_tui.providers.qwen_oauth.signin import QWEN_PROVIDER_ID

        model: dict[str, Any] = {"provider": QWEN_PROVIDER_ID, "baseUrl": None}
        if self.loaded.settings.model.provider not in (None, QWEN_PROVIDER_ID):
            model["name"] = None
        self.update({"security": {"auth": {"selectedType": "qwen-oauth"}}, "model": model})

    def unselect_auth(self) -> None:
        """Forget the sign-in method: the next start asks again."""
        self.update({"security": {"auth": {"selectedType": None}}})

    def set_mcp_server(self, name: str, entry: Mapping[str, Any]) -> None:
        """Add the MCP server ``name``, or replace its whole entry (camelCase keys, as
        in settings.json: ``command``/``args``/``env`` or ``url``/``headers``)."""
        current = self.loaded.file_settings.mcp_servers.get(name)
        old = current.model_dump(by_alias=True, exclude_unset=True) if current else {}
        replaced: dict[str, Any] = {key: None for key in old}
        self.update({"mcpServers": {name: {**replaced, **entry}}})

    def remove_mcp_server(self, name: str) -> None:
        """Remove the MCP server ``name`` from settings.json."""
        self.update({"mcpServers": {name: None}})
