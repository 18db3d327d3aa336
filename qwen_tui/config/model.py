"""The settings schema: one pydantic-settings model with a section per concern.

Key names follow Qwen Code where the concept exists there (``security.auth.selectedType``,
``model.name``, ``privacy.usageStatisticsEnabled``) so that tools reading either file feel
at home. Python attributes are snake_case; the JSON file uses camelCase aliases; the
environment uses ``QWEN_TUI_<SECTION>__<KEY>`` in upper snake case.

No secret is a field here: API keys and tokens belong to the credential store, and the
one secret that may come from the environment (``OPENAI_API_KEY``) is carried beside the
settings by the loader, never inside them, so no ``model_dump`` can leak it to disk.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel
from pydantic_settings import BaseSettings, SettingsConfigDict

from qwen_tui.config.first_look import DEFAULT_THEME

AuthType = Literal["qwen-oauth", "openai"]
Language = Literal["en", "ru"]

DEFAULT_OAUTH_DEVICE_URL = "https://chat.qwen.ai/api/v1/oauth2/device/code"
DEFAULT_OAUTH_TOKEN_URL = "https://chat.qwen.ai/api/v1/oauth2/token"
DEFAULT_OAUTH_CLIENT_ID = "f0304373b74a44d2b584a3fb70ca9e56"
DEFAULT_OAUTH_SCOPE = "openid profile email model.completion"
DEFAULT_OAUTH_RESOURCE_URL = "https://dashscope.aliyuncs.com/compatible-mode/v1"


class Section(BaseModel):
    """Base of every section: camelCase in JSON, snake_case in Python, unknown keys kept out.

    ``validate_by_name`` lets the environment source (which speaks snake_case) and the
    JSON file (camelCase) fill the same fields.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="ignore",
    )


class AuthSettings(Section):
    """How the user signs in."""

    selected_type: AuthType | None = None
    """``qwen-oauth`` (qwen.ai account) or ``openai`` (an OpenAI-compatible API key);
    unset until the user picks one on the welcome screen or the environment implies it."""


class SecuritySettings(Section):
    """Security-related choices, grouped as in Qwen Code."""

    auth: AuthSettings = Field(default_factory=AuthSettings)
    """The sign-in method."""


class ModelSettings(Section):
    """Which provider and model the chat talks to."""

    provider: str | None = None
    """Provider id from the catalogue (``openai``, ``ollama``, ``custom`` …) or of a user
    provider; unset means: match ``baseUrl`` to a preset by its host."""

    base_url: str | None = None
    """API base URL (usually ending in ``/v1``); unset means the provider's default."""

    name: str | None = None
    """Model id as the server knows it; unset means the provider's default model."""

    request_timeout: float = Field(default=120.0, gt=0)
    """Seconds to wait for the server before a request is given up."""

    context_window: int | None = Field(default=None, ge=1024)
    """Tokens the model's context holds, for the status line's ``ctx`` figure and
    ``/compress``; unset means: the published size of the model's family, else 128K."""


class PrivacySettings(Section):
    """The usage-statistics switch."""

    usage_statistics_enabled: bool | None = None
    """Whether anonymous usage statistics may be collected (only ever under Qwen OAuth).
    Unset means the user has not been asked yet, which counts as off."""


class TelemetrySettings(Section):
    """Where usage statistics go when the user allowed them."""

    otlp_endpoint: str = ""
    """Base URL of an OTLP/HTTP collector; events are posted to ``<base>/v1/logs``.
    Empty: events are only written to the local log."""

    install_id: str | None = None
    """Anonymous random id of this installation, created on first consent, resettable."""


class UiSettings(Section):
    """Look and language."""

    theme: str = DEFAULT_THEME
    """Textual theme name (``textual-dark``, ``textual-light``, ``nord`` …)."""

    language: Language | None = None
    """``en`` or ``ru`` for the privacy and terms texts; unset means: from the locale."""


ApprovalModeName = Literal["plan", "default", "auto-edit", "yolo"]


class SandboxSettings(Section):
    """``tools.sandbox``: the sandbox shell commands run in (see docs/agent.md).

    A project's ``.env`` can make these stricter, never looser (see
    :mod:`qwen_tui.config.project_limits`).
    """

    enabled: bool = True
    """Run shell commands in a sandbox where one works (bubblewrap on Linux,
    ``sandbox-exec`` on macOS); ``false`` runs them with the user's full rights."""

    network: bool = False
    """Let sandboxed commands use the network (``pip install``, ``git fetch``)."""


class ToolsSettings(Section):
    """``tools``: what the coding agent may do without asking (see docs/agent.md)."""

    approval_mode: ApprovalModeName = "default"
    """``plan`` reads only; ``default`` asks before edits and commands; ``auto-edit``
    asks before commands only; ``yolo`` asks nothing."""

    allowed: list[str] = Field(default_factory=list)
    """Rules that run without asking: a tool name (``edit``) or a command prefix
    (``run_shell_command(git status)``)."""

    denied: list[str] = Field(default_factory=list)
    """Rules that are always refused; they win over ``allowed`` and over the mode."""

    max_turns: int = Field(default=50, ge=1, le=1000)
    """Model requests per prompt before the agent stops (a model that never stops
    calling tools)."""

    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    """Where shell commands run; ``true``/``false`` as in Qwen Code turn it on or off."""

    @field_validator("sandbox", mode="before")
    @classmethod
    def _sandbox_switch(cls, value: object) -> object:
        """Qwen Code's ``"sandbox": true|false`` means ``{"enabled": true|false}``."""
        return {"enabled": value} if isinstance(value, bool) else value


class CredentialSettings(Section):
    """Where secrets may be kept."""

    allow_file_store: bool = False
    """Consent to keep secrets in a 0600 file in ``QWEN_TUI_HOME`` when no OS keyring
    works. Off by default: without a keyring the app asks first."""


class OAuthSettings(Section):
    """Qwen OAuth device-flow endpoints; any RFC 8628 server can stand in."""

    device_authorization_url: str = DEFAULT_OAUTH_DEVICE_URL
    """Device authorization endpoint (RFC 8628 section 3.1)."""

    token_url: str = DEFAULT_OAUTH_TOKEN_URL
    """Token endpoint, used for polling and refresh."""

    client_id: str = DEFAULT_OAUTH_CLIENT_ID
    """Public OAuth client id."""

    scope: str = DEFAULT_OAUTH_SCOPE
    """Space-separated scopes asked for."""

    resource_url: str = DEFAULT_OAUTH_RESOURCE_URL
    """API base URL used when the token response names none."""


class CustomProvider(Section):
    """A provider the user added; shown beside the built-in presets."""

    id: str
    """Short unique id (must not clash with a built-in one)."""

    name: str
    """Display name."""

    base_url: str
    """API base URL."""

    model: str | None = None
    """Default model id."""

    needs_key: bool = True
    """Whether the server needs an API key."""

    terms_url: str = ""
    """Link to the provider's terms of service."""

    privacy_url: str = ""
    """Link to the provider's privacy policy."""

    data_use: str = ""
    """One line on what the provider does with prompts and code."""


class ProvidersSettings(Section):
    """User-defined providers."""

    custom: list[CustomProvider] = Field(default_factory=list)
    """Extra providers, each like a built-in preset."""


class McpServerSettings(Section):
    """One entry of ``mcpServers`` (Qwen Code's and Claude's shape): a command started
    on this machine (``command``/``args``/``env``/``cwd``) or a streamable HTTP endpoint
    (``url``/``headers``). A value in ``env`` or ``headers`` may be ``$keyring:NAME``,
    read from the credential store only when the server starts."""

    command: str | None = None
    """The program of a stdio server."""

    args: list[str] = Field(default_factory=list)
    """Its arguments."""

    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment variables for it (nothing else of qwen-tui's environment but
    ``PATH``, ``HOME`` and the like is passed on)."""

    cwd: str | None = None
    """Folder to start it in; unset: the workspace."""

    url: str | None = None
    """The endpoint of a streamable HTTP server."""

    headers: dict[str, str] = Field(default_factory=dict)
    """HTTP headers sent to it (``Authorization: $keyring:NAME``)."""

    timeout: int = Field(default=120_000, ge=1000, le=3_600_000)
    """Milliseconds a tool call may take before it is given up."""

    disabled: bool = False
    """Keep the entry but do not start the server."""


class SettingsData(BaseModel):
    """The settings schema as plain data: validates one layer (such as settings.json)
    on its own, without reading the environment the way :class:`Settings` does."""

    model_config = ConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True)

    security: SecuritySettings = Field(default_factory=SecuritySettings)
    """Sign-in method."""

    model: ModelSettings = Field(default_factory=ModelSettings)
    """Provider and model."""

    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    """Usage statistics."""

    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    """Telemetry export."""

    ui: UiSettings = Field(default_factory=UiSettings)
    """Look and language."""

    tools: ToolsSettings = Field(default_factory=ToolsSettings)
    """The coding agent's approval mode, rules and turn limit."""

    credentials: CredentialSettings = Field(default_factory=CredentialSettings)
    """Secret storage."""

    oauth: OAuthSettings = Field(default_factory=OAuthSettings)
    """Qwen OAuth endpoints."""

    providers: ProvidersSettings = Field(default_factory=ProvidersSettings)
    """User providers."""

    mcp_servers: dict[str, McpServerSettings] = Field(default_factory=dict, alias="mcpServers")
    """MCP servers whose tools the coding agent may use, by name (see docs/agent.md)."""


class Settings(BaseSettings, SettingsData):
    """All of qwen-tui's settings.

    Built by :func:`qwen_tui.config.load_settings`, which wires the sources in the
    documented order; constructing it directly reads only defaults, the environment and
    any keyword arguments.
    """

    model_config = SettingsConfigDict(
        env_prefix="QWEN_TUI_",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
    )
