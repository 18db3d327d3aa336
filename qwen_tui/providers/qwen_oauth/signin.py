"""Qwen OAuth as a sign-in method: store the result, find the active provider, sign out.

Shared by the sign-in screen, ``qwen-tui auth`` and the chat, so they agree on where the
tokens live and which API base URL and model the chat uses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from qwen_tui.providers.qwen_oauth.refresh import TokenManager
from qwen_tui.providers.qwen_oauth.tokens import OAuthTokens

if TYPE_CHECKING:
    from qwen_tui.config import LoadedSettings
    from qwen_tui.credentials import CredentialStore, StoreLocation
    from qwen_tui.providers.registry import ActiveProvider, ProviderRegistry

__all__ = [
    "QWEN_PROVIDER_ID",
    "chat_refresher",
    "resolve_qwen_oauth",
    "save_sign_in",
    "sign_out",
    "token_manager",
]

QWEN_PROVIDER_ID = "qwen"

CredentialRefresher = Callable[[bool], Awaitable[str | None]]


def token_manager(loaded: LoadedSettings, credentials: CredentialStore) -> TokenManager:
    """The token manager of this home and these ``oauth.*`` settings."""
    return TokenManager(credentials, loaded.settings.oauth, loaded.home)


def save_sign_in(
    loaded: LoadedSettings,
    credentials: CredentialStore,
    tokens: OAuthTokens,
    *,
    select: bool = True,
) -> StoreLocation:
    """Store the tokens (one credential entry) and make Qwen OAuth the active method.

    settings.json records only ``security.auth.selectedType = "qwen-oauth"`` and
    ``model.provider = "qwen"``; a model name chosen for another provider is dropped so
    it is not asked of Qwen. No token goes to settings.json.

    Raises:
        qwen_tui.credentials.KeyringUnavailable: no keyring and no consent to the file.
        qwen_tui.credentials.CredentialError: the store cannot be written.
        qwen_tui.config.SettingsWriteError: settings.json cannot be written.
    """
    from qwen_tui.config import update_settings_file

    location = token_manager(loaded, credentials).save(tokens)
    if select:
        model: dict[str, object] = {"provider": QWEN_PROVIDER_ID, "baseUrl": None}
        if loaded.settings.model.provider not in (None, QWEN_PROVIDER_ID):
            model["name"] = None
        update_settings_file(
            loaded.settings_file,
            {"security": {"auth": {"selectedType": "qwen-oauth"}}, "model": model},
        )
    return location


def sign_out(
    loaded: LoadedSettings, credentials: CredentialStore, *, unselect: bool = True
) -> bool:
    """Remove the stored tokens (and unset the method); True if tokens were stored.

    Raises:
        qwen_tui.credentials.CredentialError: the store cannot be changed.
        qwen_tui.config.SettingsWriteError: settings.json cannot be written.
    """
    from qwen_tui.config import update_settings_file

    removed = token_manager(loaded, credentials).delete()
    if unselect and loaded.settings.security.auth.selected_type == "qwen-oauth":
        update_settings_file(loaded.settings_file, {"security": {"auth": {"selectedType": None}}})
    return removed


def resolve_qwen_oauth(
    loaded: LoadedSettings,
    registry: ProviderRegistry,
    credentials: CredentialStore | None,
    *,
    refresh: bool = True,
) -> ActiveProvider | None:
    """The Qwen provider with a fresh access token, or None when no tokens are stored.

    Blocking (keyring, and a refresh request when the token expires within 30 s): call
    it in a worker thread.

    Raises:
        OAuthError: the refresh failed (``invalid_grant``: sign in again, ``network`` …);
            the stored tokens are kept.
        qwen_tui.credentials.CredentialError: the store cannot be read.
    """
    from qwen_tui.providers.registry import ActiveProvider
    from qwen_tui.providers.urls import normalise_base_url

    if credentials is None:
        return None
    manager = token_manager(loaded, credentials)
    tokens = manager.current()
    if tokens is None:
        return None
    if refresh:
        tokens = manager.fresh_tokens_sync()
    provider = registry.get(QWEN_PROVIDER_ID)
    model_settings = loaded.settings.model
    chosen = model_settings.name if model_settings.provider in (None, QWEN_PROVIDER_ID) else None
    return ActiveProvider(
        provider=provider,
        base_url=normalise_base_url(tokens.api_base_url(loaded.settings.oauth.resource_url)),
        model=chosen or provider.default_model or None,
        api_key=tokens.access_token,
        source="settings",
    )


def chat_refresher(loaded: LoadedSettings, credentials: CredentialStore) -> CredentialRefresher:
    """The ``refresh_credentials`` callback for :class:`~qwen_tui.chat.service.ChatService`.

    Called with ``False`` before each request (returns the stored token, renewed when it
    expires within 30 s) and with ``True`` after a 401 (renews unless another process
    already has). Raises :class:`OAuthError` when the sign-in cannot be renewed.
    """
    manager = token_manager(loaded, credentials)

    async def refresh(force: bool) -> str | None:
        return (await manager.fresh_tokens(force)).access_token

    return refresh
