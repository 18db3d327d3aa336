"""Qwen OAuth as a sign-in method: the token manager and the active provider.

Shared by the sign-in screen, ``qwen-tui auth`` and the chat, so they agree on where the
tokens live and which API base URL and model the chat uses. Storing a sign-in and
signing out are the account's part (:mod:`qwen_tui.account.signin`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from qwen_tui.providers.qwen_oauth.refresh import TokenManager

if TYPE_CHECKING:
    from qwen_tui.config import LoadedSettings
    from qwen_tui.credentials import CredentialStore
    from qwen_tui.providers.qwen_oauth.tokens import OAuthTokens
    from qwen_tui.providers.registry import ActiveProvider, ProviderRegistry

__all__ = [
    "QWEN_PROVIDER_ID",
    "chat_refresher",
    "probe_qwen_tokens",
    "resolve_qwen_oauth",
    "token_manager",
]

QWEN_PROVIDER_ID = "qwen"

CredentialRefresher = Callable[[bool], Awaitable[str | None]]


def token_manager(loaded: LoadedSettings, credentials: CredentialStore) -> TokenManager:
    """The token manager of this home and these ``oauth.*`` settings."""
    return TokenManager(credentials, loaded.settings.oauth, loaded.home)


def _chosen_model(loaded: LoadedSettings, default: str) -> str | None:
    """The model settings choose for Qwen OAuth, else the preset's."""
    model_settings = loaded.settings.model
    chosen = model_settings.name if model_settings.provider in (None, QWEN_PROVIDER_ID) else None
    return chosen or default or None


async def probe_qwen_tokens(
    loaded: LoadedSettings, registry: ProviderRegistry, tokens: OAuthTokens
) -> None:
    """Ask the model the chat would use for one token with new tokens, before they are
    stored: a sign-in the API will not answer is reported now.

    Tokens that expire within 30 s (an imported Qwen Code sign-in may be old) are not
    tried: the chat renews them first, and a refusal of a stale token says nothing.

    Raises:
        qwen_tui.providers.probe.ProbeError: the API refused (for Qwen's own server
            after 2026-04-15: the free tier ended); nothing should be stored.
        ProviderError: the API could not be reached or did not answer in time.
    """
    from qwen_tui.providers.probe import probe_model

    if tokens.seconds_left() <= 30:
        return
    provider = registry.get(QWEN_PROVIDER_ID)
    base_url = tokens.api_base_url(loaded.settings.oauth.resource_url)
    model = _chosen_model(loaded, provider.default_model) or provider.default_model
    await probe_model(base_url, tokens.access_token, model, provider=provider)


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
    return ActiveProvider(
        provider=provider,
        base_url=normalise_base_url(tokens.api_base_url(loaded.settings.oauth.resource_url)),
        model=_chosen_model(loaded, provider.default_model),
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
