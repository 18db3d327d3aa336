"""``qwen-tui auth login --method qwen-oauth``, and Qwen OAuth's ``auth status`` / ``logout``.

Called by :mod:`qwen_tui.headless.auth`; what is kept is the account's part
(:mod:`qwen_tui.account.signin`). Messages go to stderr (``status`` prints its report to
stdout), no token is ever printed, and each failure exits non-zero with the reason: 1
for a failed sign-in, 130 when the user pressed Ctrl+C.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from qwen_tui.account import Account, AskFileStore
from qwen_tui.providers.qwen_oauth.device_flow import DeviceAuthorization, DeviceFlow
from qwen_tui.text import neutralise

if TYPE_CHECKING:
    from qwen_tui.providers.qwen_oauth.tokens import OAuthTokens

__all__ = ["login_qwen_oauth", "logout_qwen_oauth", "relative_time", "status_qwen_oauth"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CANCELLED = 130


def _say(message: str) -> None:
    """One line for the person on stderr; the sign-in server's words inside it (its
    pages, codes, errors) are shown with their control characters made visible."""
    print(neutralise(message), file=sys.stderr, flush=True)


def relative_time(seconds: float) -> str:
    """``"in 5 h 3 min"`` or ``"12 min ago"``."""
    span = abs(seconds)
    if span < 60:
        text = f"{int(span)} s"
    elif span < 3600:
        text = f"{int(span // 60)} min"
    elif span < 86400 * 2:
        text = f"{int(span // 3600)} h {int(span % 3600 // 60)} min"
    else:
        text = f"{int(span // 86400)} days"
    return f"in {text}" if seconds >= 0 else f"{text} ago"


def _show(auth: DeviceAuthorization) -> None:
    _say("To sign in with your qwen.ai account, open this page:")
    _say(f"    {auth.verification_uri}")
    _say(f"and enter the code:  {auth.user_code}")
    if auth.verification_uri_complete:
        _say("Or open this link, which already holds the code:")
        _say(f"    {auth.verification_uri_complete}")
    _say(f"The code expires {relative_time(auth.expires_in)}.")
    if sys.stderr.isatty():
        _show_qr_code(auth.browser_url)


def _show_qr_code(url: str) -> None:
    """Print the complete link as a QR code, so a phone can open it over SSH."""
    import segno

    _say("Or scan this with your phone:")
    segno.make(url).terminal(out=sys.stderr, compact=True, border=2)


async def _device_sign_in(flow: DeviceFlow, *, no_browser: bool) -> OAuthTokens:
    from qwen_tui.providers.qwen_oauth.browser import open_browser

    auth = await flow.start()
    _show(auth)
    if not no_browser and open_browser(auth.browser_url):
        _say("Opened the link in your browser.")
    _say("Waiting for you to approve … (Ctrl+C cancels)")
    return await flow.poll(auth)


def _offer_import(account: Account, ask: AskFileStore) -> int | None:
    """Offer a Qwen Code sign-in on a terminal: the exit status when the offer settled
    the command (imported, or the API refused it), None to go on with a new sign-in."""
    from qwen_tui.account import import_qwen_code
    from qwen_tui.providers.qwen_oauth.import_qwen_code import import_offer, mark_import_offered

    offer = import_offer(account.loaded, account.credentials)
    if offer is None:
        return None
    if not sys.stdin.isatty():
        _say(f"note: {offer.path} holds a Qwen Code sign-in; run this on a terminal to import it.")
        return None
    _say(offer.describe())
    try:
        answer = input("Import it? [y/N] ").strip().lower()
    except EOFError:
        answer = ""
    mark_import_offered(account.loaded.home)
    if answer not in ("y", "yes"):
        return None
    if not _answers(account, offer.tokens):
        return EXIT_FAILURE
    location = asyncio.run(import_qwen_code(account, offer, ask))
    _say(f"Imported the Qwen Code sign-in into {location.description}.")
    _say(f"You can now delete {offer.path}.")
    return EXIT_OK


def _answers(account: Account, tokens: OAuthTokens) -> bool:
    """Whether the API answers a one-token request with the new tokens; says why not."""
    from qwen_tui.providers import ProviderError
    from qwen_tui.providers.qwen_oauth.signin import probe_qwen_tokens

    _say("Asking the model for a one-token answer …")
    try:
        asyncio.run(probe_qwen_tokens(account.loaded, account.registry, tokens))
    except ProviderError as error:
        _say(f"error: {error.message} Nothing was stored.")
        return False
    return True


def login_qwen_oauth(args: argparse.Namespace, account: Account) -> int:
    """Sign in with the device flow, store the tokens, select Qwen OAuth."""
    from qwen_tui.account import FileStoreDeclined, can_keep_secrets, sign_in_with_qwen
    from qwen_tui.config import SettingsWriteError
    from qwen_tui.credentials import CredentialError
    from qwen_tui.headless.file_store import file_store_asker
    from qwen_tui.providers.qwen_oauth.errors import OAuthError
    from qwen_tui.providers.qwen_tier import QWEN_FREE_TIER_ENDED

    _say(f"note: {QWEN_FREE_TIER_ENDED}")
    ask = file_store_asker(args.allow_file_store)
    try:
        # Before the user approves: can the tokens be kept at all?
        asyncio.run(can_keep_secrets(account, ask))
        settled = _offer_import(account, ask)
        if settled is not None:
            return settled
    except (CredentialError, FileStoreDeclined, OAuthError, SettingsWriteError) as error:
        _say(f"error: {error}")
        return EXIT_FAILURE
    flow = DeviceFlow(account.loaded.settings.oauth)
    try:
        tokens = asyncio.run(_device_sign_in(flow, no_browser=args.no_browser))
    except KeyboardInterrupt:
        _say("Sign-in cancelled; nothing was stored.")
        return EXIT_CANCELLED
    except OAuthError as error:
        _say(f"error: {error.message}")
        return EXIT_FAILURE
    if not _answers(account, tokens):
        return EXIT_FAILURE
    try:
        location = asyncio.run(sign_in_with_qwen(account, tokens, ask))
    except (CredentialError, FileStoreDeclined, SettingsWriteError) as error:
        _say(f"error: signed in, but the tokens could not be stored: {error}")
        return EXIT_FAILURE
    base_url = tokens.api_base_url(account.loaded.settings.oauth.resource_url)
    _say(f"Signed in with Qwen OAuth. API: {base_url}. Tokens: {location.description}.")
    return EXIT_OK


def status_qwen_oauth(account: Account) -> int:
    """Print the Qwen OAuth sign-in: method, API, expiry, where tokens live; never a token."""
    from qwen_tui.credentials import CredentialError
    from qwen_tui.providers.qwen_oauth.errors import OAuthError
    from qwen_tui.providers.qwen_oauth.signin import QWEN_PROVIDER_ID, token_manager
    from qwen_tui.providers.qwen_tier import QWEN_FREE_TIER_ENDED

    loaded, registry, store = account.loaded, account.registry, account.credentials
    settings = loaded.settings
    print("Method:   Qwen OAuth (qwen.ai account)")
    print(f"Note:     {QWEN_FREE_TIER_ENDED}")
    try:
        tokens = token_manager(loaded, store).current()
    except OAuthError as error:
        print(f"Tokens:   {error.message}")
        return EXIT_FAILURE
    except CredentialError as error:
        print("Tokens:   cannot be read")
        _say(f"warning: {error}")
        return EXIT_FAILURE
    if tokens is None:
        print("Tokens:   none stored. Run `qwen-tui auth login --method qwen-oauth`.")
        return EXIT_FAILURE
    provider = registry.get(QWEN_PROVIDER_ID)
    model = settings.model.name if settings.model.provider in (None, QWEN_PROVIDER_ID) else None
    left = tokens.seconds_left()
    if left > 0:
        expiry = f"{relative_time(left)} (renewed automatically)"
    else:
        expiry = f"expired {relative_time(left)}"
        expiry += " (renewed on next use)" if tokens.refresh_token else " (sign in again)"
    location = store.probe()
    print(f"Provider: {provider.name} ({provider.id})")
    print(f"Resource: {tokens.resource_url or '(none in the token; oauth.resourceUrl used)'}")
    print(f"Base URL: {tokens.api_base_url(settings.oauth.resource_url)}")
    print(f"Model:    {model or provider.default_model or '(server default)'}")
    print(f"Expires:  {expiry}")
    print(f"Tokens:   stored in {location.description if location else 'the credential store'}")
    print(f"Sign-in:  {settings.oauth.token_url}")
    return EXIT_OK


def logout_qwen_oauth(account: Account, *, unselect: bool = True) -> int:
    """Remove the stored Qwen tokens (and unset the method)."""
    from qwen_tui.account import sign_out_qwen
    from qwen_tui.config import SettingsWriteError
    from qwen_tui.credentials import CredentialError

    try:
        removed = sign_out_qwen(account, unselect=unselect)
    except (CredentialError, SettingsWriteError) as error:
        _say(f"error: {error}")
        return EXIT_FAILURE
    if removed:
        _say("Removed the stored Qwen OAuth tokens.")
    else:
        _say("No Qwen OAuth tokens were stored; nothing to remove.")
    return EXIT_OK
