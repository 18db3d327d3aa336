"""Sign in with an API key and find the provider in use: shared by the TUI and the CLI.

Both front ends check the key against the server here and must agree on which provider
and key are active; doing it here keeps them from drifting apart. Keeping the key and
recording the choice is the account's part (:mod:`qwen_tui.account.signin`).

This is also the one place of the rule that a key goes only where it was given for:

- a stored key is bound to the origin (scheme, host, port) it was saved for and is
  never sent to another one;
- ``OPENAI_API_KEY`` goes only to a base URL from the same source (the environment, or
  the same ``.env`` file) or, for a key from the environment, the user's own
  ``~/.env``; with no such URL, only to OpenAI's own endpoint;
- a project ``.env`` that would change the endpoint waits for the user's trust
  (:class:`UntrustedFolder`; see :mod:`qwen_tui.config.trust`).
"""

from __future__ import annotations

import contextlib
import logging
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qwen_tui.config import LoadedSettings
from qwen_tui.config.debug_log import LOGGER_NAME, remember_secret
from qwen_tui.config.trust import ProjectDotenv
from qwen_tui.providers.api_keys import clean_api_key
from qwen_tui.providers.catalogue import AuthMethod, ErrorKind, Provider, ProviderError
from qwen_tui.providers.registry import ActiveProvider, ProviderRegistry, url_origin
from qwen_tui.providers.urls import normalise_base_url
from qwen_tui.text import neutralise

if TYPE_CHECKING:
    # Imported where used: importing the credential store imports keyring, which the
    # welcome screen's first frame (it only needs the registry) should not wait for.
    from qwen_tui.credentials import CredentialError, CredentialStore


class UntrustedFolder(ProviderError):
    """A project ``.env`` would change where the app connects, and its folder is not
    trusted: nothing may be sent until the user decides.

    Attributes:
        project: the ``.env`` file, its folder and what it changes.
    """

    def __init__(self, project: ProjectDotenv) -> None:
        super().__init__("forbidden", untrusted_message(project))
        self.project = project


def untrusted_message(project: ProjectDotenv, outcome: str = "Nothing was sent.") -> str:
    """Why the project's settings are not used, and how to trust the folder: for
    headless commands. ``outcome`` says what happened instead."""
    folder = shlex.quote(str(project.folder))
    changes = "; ".join(
        f"{change.setting} = {neutralise(change.value)}" for change in project.changes
    )
    again = " It changed since you trusted this folder." if project.changed_since_trusted else ""
    return (
        f"{neutralise(str(project.path))} is in a folder you have not trusted, and it would "
        f"change where your requests and keys go: {changes}.{again} {outcome} "
        "A .env in a cloned project can point your key and your code at any server. "
        f"If you trust this folder, run `qwen-tui trust {neutralise(folder)}` once "
        "(or add --trust-folder); otherwise run from another folder."
    )


def registry_for(loaded: LoadedSettings) -> ProviderRegistry:
    """The registry with the user's own providers from settings."""
    custom = [entry.model_dump(by_alias=True) for entry in loaded.settings.providers.custom]
    return ProviderRegistry(custom)


def secret_name(provider: Provider) -> str:
    """The credential-store name of a provider's API key."""
    return f"provider:{provider.id}"


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of checking a key: the normalised URL and the server's models."""

    base_url: str
    models: tuple[str, ...]


async def check_api_key(
    registry: ProviderRegistry,
    provider: Provider,
    base_url: str,
    api_key: str | None,
    *,
    timeout: float = 8.0,  # noqa: ASYNC109 - passed on as httpx's per-request timeout
) -> KeyCheck:
    """Check ``api_key`` against ``base_url`` and return the server's model list.

    A provider whose server lists no models (``Provider.models``) is checked with a
    one-token request to its default model instead, and offers its documented list.

    Raises:
        ProviderError: the URL is malformed, the server is unreachable, or it refused
            the key; an empty key where the provider needs one is refused here.
    """
    url = normalise_base_url(base_url)
    key = clean_api_key(api_key)
    if key is None and provider.needs_key:
        raise ProviderError("auth", f"{provider.name} needs an API key. Paste it in the key field.")
    remember_secret(key)
    if provider.models:
        # No /models at this server (Coding Plan): one token from the default model
        # proves the key, and the plan's documented models are offered.
        from qwen_tui.providers.probe import probe_model

        await probe_model(url, key, provider.default_model, provider=provider)
        return KeyCheck(base_url=url, models=provider.models)
    models = await registry.verify_key(url, key, provider=provider, timeout=timeout)
    return KeyCheck(base_url=url, models=tuple(models))


def _env_key_target(loaded: LoadedSettings) -> str | None:
    """The base URL ``OPENAI_API_KEY`` was given with, or ``None`` for none.

    The key pairs with ``OPENAI_BASE_URL`` from the same source, or from the user's own
    sources: the real environment and ``~/.env`` / ``~/.qwen/.env``. A URL from a
    project ``.env`` never takes a key from anywhere else, trusted folder or not.
    """
    if loaded.env_base_url is None:
        return None
    key_from, url_from = loaded.env_api_key_origin, loaded.env_base_url_origin
    if key_from == url_from:
        return loaded.env_base_url
    own = {"environment"} | ({".env file"} if loaded.dotenv_scope == "home" else set())
    if key_from in own and url_from in own:
        return loaded.env_base_url
    return None


def _env_key_applies(loaded: LoadedSettings, provider: Provider, base_url: str) -> bool:
    """``OPENAI_API_KEY`` is used only for the endpoint it was meant for.

    It applies to the URL it was given with (see :func:`_env_key_target`), or, when it
    came with none, to OpenAI's own endpoint. Sending it to any other server (one chosen
    with ``--base-url``, a local server, another preset, a project's ``.env``) would
    leak the key.
    """
    if loaded.env_api_key is None:
        return False
    target = _env_key_target(loaded)
    if target is not None:
        try:
            return normalise_base_url(target) == base_url
        except ProviderError:
            return False
    return provider.id == "openai" and base_url == normalise_base_url(provider.base_url)


def saved_origin(
    loaded: LoadedSettings, registry: ProviderRegistry, provider: Provider
) -> str | None:
    """The origin a key stored without one (before origins were recorded) is bound to.

    Such a key was saved together with settings.json's ``model.baseUrl``, so it is bound
    to the base URL settings.json itself (never the environment or a ``.env``) names for
    this provider, or else to the provider's own URL. ``None`` when neither exists.
    """
    saved = loaded.file_settings.model
    url = provider.base_url
    if saved.base_url:
        try:
            if saved.provider == provider.id or (
                saved.provider is None and registry.match_base_url(saved.base_url).id == provider.id
            ):
                url = saved.base_url
        except ProviderError:
            pass
    try:
        return url_origin(url) if url else None
    except ProviderError:
        return None


def _withheld_message(provider: Provider, origin: str | None, base_url: str) -> str:
    saved_for = f"was saved for {origin}" if origin else "has no address it was saved for"
    return (
        f"The key stored for {provider.name} {saved_for}, so it is not sent to "
        f"{neutralise(base_url)}. To use a key there, sign in to that address: /auth in "
        f"the app, or `qwen-tui auth login --provider {provider.id} --base-url URL`."
    )


def selected_provider(
    loaded: LoadedSettings, registry: ProviderRegistry
) -> tuple[AuthMethod | None, Provider | None]:
    """The sign-in method and provider the settings choose, without reading any key.

    Cheap and offline, for what only needs to know *who* the provider is (the privacy
    panel's terms, the telemetry gate); :func:`resolve_active` adds the key.

    Raises:
        UnknownProvider: settings name a provider that does not exist.
    """
    settings = loaded.settings
    selected = settings.security.auth.selected_type
    if selected is None and loaded.configured_by_environment:
        selected = "openai"
    if selected == "qwen-oauth":
        return selected, registry.get("qwen")
    if selected != "openai":
        return None, None
    model_settings = settings.model
    if model_settings.provider:
        return selected, registry.get(model_settings.provider)
    if model_settings.base_url:
        return selected, registry.match_base_url(model_settings.base_url)
    return selected, registry.get("openai")


def resolve_active(
    loaded: LoadedSettings, registry: ProviderRegistry, credentials: CredentialStore | None
) -> ActiveProvider | None:
    """The provider in use with its key, or ``None`` if there is none.

    Under Qwen OAuth (``selectedType`` ``"qwen-oauth"``) this is the ``qwen`` provider
    with the stored access token (renewed first when it expires within 30 s) and the
    token's ``resource_url`` as base URL; ``None`` when no Qwen tokens are stored. Reading
    the key may touch the OS keyring (and, under Qwen OAuth, the network), so call it off
    the UI thread.

    A key in the environment still works when the keyring does not.

    Raises:
        UnknownProvider: settings name a provider that does not exist.
        ProviderError: the configured base URL is malformed; under Qwen OAuth, the
            token could not be renewed (``__cause__`` is the ``OAuthError``; kind
            ``"auth"`` means: sign in again).
        CredentialError: the key is needed, not in the environment, and the keyring
            cannot be read.
        ProviderError: the key (stored or in ``OPENAI_API_KEY``) holds a character no
            key has, such as a line break; it is never sent.
    """
    if loaded.untrusted_dotenv is not None:
        raise UntrustedFolder(loaded.untrusted_dotenv)
    selected, provider = selected_provider(loaded, registry)
    if selected == "qwen-oauth":
        return _noted(_resolve_qwen_oauth(loaded, registry, credentials))
    if selected != "openai" or provider is None:
        return None
    model_settings = loaded.settings.model
    base_url = normalise_base_url(model_settings.base_url or provider.base_url)
    key: str | None = None
    withheld: str | None = None
    keyring_error: CredentialError | None = None
    if credentials is not None:
        from qwen_tui.credentials import CredentialError

        try:
            key, withheld = _stored_key(loaded, registry, credentials, provider, base_url)
        except CredentialError as error:
            keyring_error = error
    source = "settings"
    if key is None and _env_key_applies(loaded, provider, base_url):
        key = clean_api_key(loaded.env_api_key, "OPENAI_API_KEY")
        source = loaded.env_api_key_origin or "environment"
    elif key is None and withheld is not None and provider.needs_key:
        raise ProviderError("auth", withheld)
    elif key is None and keyring_error is not None and provider.needs_key:
        raise keyring_error
    elif loaded.env_base_url_origin is not None:
        source = loaded.env_base_url_origin
    return _noted(
        ActiveProvider(
            provider=provider,
            base_url=base_url,
            model=model_settings.name or provider.default_model or None,
            api_key=key,
            source=source,
        )
    )


def _noted(active: ActiveProvider | None) -> ActiveProvider | None:
    """Note the key in use for the debug log's masking, and log what was chosen."""
    if active is not None:
        remember_secret(active.api_key)
        logging.getLogger(LOGGER_NAME).info(
            "provider %s at %s, model %s, key %s (from %s)",
            active.provider.id,
            url_origin(active.base_url),
            active.model,
            "present" if active.api_key else "none",
            active.source,
        )
    return active


def _stored_key(
    loaded: LoadedSettings,
    registry: ProviderRegistry,
    credentials: CredentialStore,
    provider: Provider,
    base_url: str,
) -> tuple[str | None, str | None]:
    """The stored key if it is bound to ``base_url``'s origin: ``(key, None)``; else
    ``(None, why it is withheld)``, or ``(None, None)`` when none is stored.

    A key stored without an origin is bound now (see :func:`saved_origin`) and stored
    again with it, so the binding no longer depends on settings.json.

    Raises:
        CredentialError: the keyring cannot be read.
    """
    from qwen_tui.credentials import CredentialError
    from qwen_tui.credentials.store import StoredSecret

    name = secret_name(provider)
    entry: StoredSecret | None = credentials.get_entry(name)
    if entry is None:
        return None, None
    origin = entry.origin
    if origin is None:
        origin = saved_origin(loaded, registry, provider)
        if origin is not None:
            # Bound for this run either way; if storing fails, the next run binds it again.
            with contextlib.suppress(CredentialError, ValueError):
                credentials.set(name, entry.secret, origin=origin)
    if origin is not None and origin == url_origin(base_url):
        return clean_api_key(entry.secret, "The stored key"), None
    return None, _withheld_message(provider, origin, base_url)


_OAUTH_ERROR_KINDS: dict[str, ErrorKind] = {
    "network": "connect",
    "busy": "connect",
    "not_json": "not_json",
    "server": "http",
    "bad_response": "http",
}


def _resolve_qwen_oauth(
    loaded: LoadedSettings, registry: ProviderRegistry, credentials: CredentialStore | None
) -> ActiveProvider | None:
    """Qwen OAuth's provider, with OAuth failures turned into ``ProviderError``."""
    from qwen_tui.providers.qwen_oauth import OAuthError, resolve_qwen_oauth

    try:
        return resolve_qwen_oauth(loaded, registry, credentials)
    except OAuthError as error:
        kind = _OAUTH_ERROR_KINDS.get(error.kind, "auth")
        raise ProviderError(kind, error.message, status=error.status) from error


def credentials_refresher(
    loaded: LoadedSettings, credentials: CredentialStore | None
) -> Callable[[bool], Awaitable[str | None]] | None:
    """ChatService's ``refresh_credentials`` callback: set under Qwen OAuth, else None.

    Pass it as ``ChatService(active, refresh_credentials=credentials_refresher(...))`` so
    the chat renews the access token before it expires and once after a 401.
    """
    if credentials is None or loaded.settings.security.auth.selected_type != "qwen-oauth":
        return None
    from qwen_tui.providers.qwen_oauth import chat_refresher

    return chat_refresher(loaded, credentials)
