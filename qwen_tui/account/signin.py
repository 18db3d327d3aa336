"""Sign-in and sign-out as account changes, the same for the TUI and ``qwen-tui auth``.

Providers check keys and run the OAuth protocol; what is kept afterwards (the secret in
the credential store, the method in settings.json) is decided here, once. When no
keyring works, the front end is asked, through ``ask``, whether the file store may be
used: the TUI shows a dialog, the command line asks on the terminal (or answers from
``--allow-file-store``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from qwen_tui.account.run import Account
from qwen_tui.text import UserFacingError

if TYPE_CHECKING:
    from qwen_tui.credentials import CredentialStore, StoreLocation
    from qwen_tui.providers.catalogue import Provider
    from qwen_tui.providers.qwen_oauth import ImportOffer, OAuthTokens

AskFileStore = Callable[[str], Awaitable[bool]]
"""Asked with why no keyring works; True lets secrets go to the 0600 file."""

T = TypeVar("T")


class FileStoreDeclined(UserFacingError):
    """No keyring works and the file store was declined: nothing was stored.

    ``str()`` is why the keyring could not be used.
    """


async def keep_secret(
    account: Account, save: Callable[[CredentialStore], T], ask: AskFileStore
) -> T:
    """Run ``save`` with the account's credential store in a thread; without a keyring,
    ask once whether the file store may be used, record a Yes, and try again.

    Raises:
        FileStoreDeclined: the answer was No.
        qwen_tui.credentials.CredentialError: the store cannot be written.
        qwen_tui.config.SettingsWriteError: the consent cannot be saved.
    """
    from qwen_tui.credentials import KeyringUnavailable

    try:
        return await asyncio.to_thread(save, account.credentials)
    except KeyringUnavailable as error:
        if not await ask(str(error)):
            raise FileStoreDeclined(str(error)) from error
    account.allow_file_store()
    return await asyncio.to_thread(save, account.credentials)


def _record_file_consent(account: Account, location: StoreLocation | None) -> None:
    """A secret that went to the file with this run's consent keeps it for later runs,
    which must be able to read it back."""
    consented = account.loaded.settings.credentials.allow_file_store
    if location is not None and location.kind == "file" and not consented:
        account.allow_file_store()


async def sign_in_with_key(
    account: Account,
    provider: Provider,
    base_url: str,
    api_key: str | None,
    model: str | None,
    ask: AskFileStore,
) -> StoreLocation | None:
    """Store the key and make this provider the active one.

    The key goes to the credential store (never to settings.json), bound to the origin
    of ``base_url``; settings.json only records the method, provider, base URL and
    model. Returns where the key now lives (``None`` when there is no key).

    Raises:
        FileStoreDeclined: no keyring, and the file store was declined.
        qwen_tui.credentials.CredentialError: the store cannot be written.
        qwen_tui.config.SettingsWriteError: settings.json cannot be written.
        ProviderError: the key holds a character no key has (nothing is stored).
    """
    from qwen_tui.providers.api_keys import clean_api_key
    from qwen_tui.providers.registry import url_origin
    from qwen_tui.providers.signin import secret_name

    key = clean_api_key(api_key)
    origin = url_origin(base_url)

    def store(credentials: CredentialStore) -> StoreLocation | None:
        if key:
            return credentials.set(secret_name(provider), key, origin=origin)
        credentials.delete(secret_name(provider))
        return None

    location = await keep_secret(account, store, ask)
    _record_file_consent(account, location)
    account.select_api_key_provider(provider.id, base_url, model)
    return location


async def sign_in_with_qwen(
    account: Account, tokens: OAuthTokens, ask: AskFileStore
) -> StoreLocation:
    """Store the Qwen OAuth tokens (one credential entry) and select Qwen OAuth.

    settings.json records only the method and ``model.provider = "qwen"``; no token goes
    there.

    Raises:
        FileStoreDeclined: no keyring, and the file store was declined.
        qwen_tui.credentials.CredentialError: the store cannot be written.
        qwen_tui.config.SettingsWriteError: settings.json cannot be written.
    """
    from qwen_tui.providers.qwen_oauth import token_manager

    location = await keep_secret(
        account, lambda store: token_manager(account.loaded, store).save(tokens), ask
    )
    _record_file_consent(account, location)
    account.select_qwen_oauth()
    account.remember_secret(tokens.access_token)
    return location


async def import_qwen_code(
    account: Account, offer: ImportOffer, ask: AskFileStore
) -> StoreLocation:
    """Copy a Qwen Code sign-in into the credential store, select Qwen OAuth, and
    remember that the offer was made.

    Raises:
        As :func:`sign_in_with_qwen`.
    """
    from qwen_tui.providers.qwen_oauth import mark_import_offered

    location = await sign_in_with_qwen(account, offer.tokens, ask)
    mark_import_offered(account.loaded.home)
    return location


async def can_keep_secrets(account: Account, ask: AskFileStore) -> None:
    """Make sure a secret could be kept, asking about the file store now if no keyring
    works: before a sign-in the user would otherwise approve in vain.

    Nothing is recorded yet (a cancelled sign-in leaves the settings as they were); the
    question comes again when the secret is stored, so ``ask`` should remember its
    answer.

    Raises:
        FileStoreDeclined: no keyring, and the file store was declined.
    """
    from qwen_tui.credentials import KeyringUnavailable

    try:
        await asyncio.to_thread(account.credentials.location)
    except KeyringUnavailable as error:
        if not await ask(str(error)):
            raise FileStoreDeclined(str(error)) from error


def sign_out_qwen(account: Account, *, unselect: bool = True) -> bool:
    """Remove the stored Qwen tokens (and unset the method); True if tokens were stored.

    Raises:
        qwen_tui.credentials.CredentialError: the store cannot be changed.
        qwen_tui.config.SettingsWriteError: settings.json cannot be written.
    """
    from qwen_tui.providers.qwen_oauth import token_manager

    removed = token_manager(account.loaded, account.credentials).delete()
    if unselect and account.loaded.settings.security.auth.selected_type == "qwen-oauth":
        account.unselect_auth()
    return removed


def sign_out_key(account: Account, provider: Provider, *, unselect: bool = True) -> bool:
    """Remove the provider's stored key (and unset the method); True if one was stored.

    Raises:
        qwen_tui.credentials.CredentialError: the store cannot be changed.
        qwen_tui.config.SettingsWriteError: settings.json cannot be written.
    """
    from qwen_tui.providers.signin import secret_name

    removed = account.credentials.delete(secret_name(provider))
    if unselect:
        account.unselect_auth()
    return removed
