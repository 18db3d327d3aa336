"""``qwen-tui auth login | status | logout``: sign-in for scripts and SSH sessions.

Messages go to stderr, nothing secret is ever printed, and each failure exits non-zero
with the reason and the fix, so a script can tell what went wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from qwen_tui.account import Account
from qwen_tui.config import LoadedSettings, SettingsWriteError
from qwen_tui.headless.run_ledger import keep_ledger

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _say(message: str) -> None:
    """One line for the person on stderr; servers' words inside it (refusals, errors)
    are shown with their control characters made visible."""
    from qwen_tui.text import neutralise

    print(neutralise(message), file=sys.stderr)


def run_auth_command(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    """Dispatch ``auth`` sub-commands.

    A failure nobody planned for is one line on stderr and a non-zero exit, not a
    traceback: the exception's type and its message, with any key read on the way
    removed.
    """
    for problem in loaded.problems:
        _say(f"warning: {problem}")
    if loaded.untrusted_dotenv is not None:
        from qwen_tui.config.trust import hold_back_for_this_run
        from qwen_tui.providers.signin import untrusted_message

        outcome = "Those settings are ignored here."
        _say(f"warning: {untrusted_message(loaded.untrusted_dotenv, outcome)}")
        hold_back_for_this_run(loaded.untrusted_dotenv)
    account = Account(loaded, file_store_for_run=getattr(args, "allow_file_store", False))
    try:
        if args.auth_command == "login":
            keep_ledger(loaded)  # the key check or the device flow
            return _login(args, account)
        if args.auth_command == "status":
            return _status(account)
        return _logout(args, account)
    except KeyboardInterrupt:
        _say("Interrupted; nothing more was changed.")
        return EXIT_FAILURE
    except Exception as error:  # one line, never a traceback, whatever failed
        from qwen_tui.text import neutralise, redact

        detail = neutralise(" ".join(redact(str(error), _keys_read).split()))[:300]
        said = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        _say(f"error: auth {args.auth_command} failed unexpectedly ({said}).")
        return EXIT_FAILURE


# Keys read from the user during this command, kept only to remove them from the
# message of an unexpected error.
_keys_read: list[str] = []


def ask_usage_statistics_once(account: Account) -> None:
    """After a Qwen OAuth sign-in on a terminal, ask once whether statistics may be sent.

    Asked only where a person can answer (stdin and stderr are terminals) and only while
    ``privacy.usageStatisticsEnabled`` was never set. An empty answer, end of input or
    Ctrl+C leaves it unset, which keeps statistics off; the question then comes back at
    the next sign-in.
    """
    from qwen_tui.privacy import pick_language, statistics_explained, texts_for

    settings = account.loaded.settings
    if settings.privacy.usage_statistics_enabled is not None:
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return
    texts = texts_for(pick_language(settings.ui.language))
    _say("")
    _say(texts.question_title)
    _say(texts.question_lead)
    _say("")
    _say(statistics_explained(texts))
    _say("")
    try:
        sys.stderr.write(f"{texts.stats_switch}? [y/n, Enter: later] ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip().lower()
    except (EOFError, KeyboardInterrupt):
        answer = ""
    if answer[:1] not in ("y", "n", "д"):
        _say("Statistics stay off; you will be asked again next time, or use /privacy.")
        return
    allowed = answer[:1] in ("y", "д")
    try:
        account.set_statistics(allowed)
    except SettingsWriteError as error:
        _say(f"warning: your answer could not be saved: {error}")
        return
    _say("Thank you: anonymous statistics are on." if allowed else "Statistics stay off.")


def _read_key(provider_name: str) -> str:
    """The key from stdin when piped, else asked for without echo."""
    if not sys.stdin.isatty():
        key = sys.stdin.read()
    else:
        key = getpass.getpass(f"API key for {provider_name} (input hidden): ")
    _keys_read.extend((key, key.strip()))
    return key.strip()


def _login(args: argparse.Namespace, account: Account) -> int:
    if args.method == "qwen-oauth":
        from qwen_tui.headless.qwen_oauth import login_qwen_oauth

        status = login_qwen_oauth(args, account)
        if status == EXIT_OK:
            ask_usage_statistics_once(account)
        return status
    from qwen_tui.account import FileStoreDeclined, sign_in_with_key
    from qwen_tui.credentials import CredentialError
    from qwen_tui.headless.file_store import file_store_asker
    from qwen_tui.providers import ProviderError, UnknownProvider
    from qwen_tui.providers.signin import check_api_key
    from qwen_tui.providers.urls import normalise_base_url

    if not args.login_provider and not args.login_base_url:
        _say("error: say which provider: --provider ID or --base-url URL.")
        return EXIT_USAGE
    registry = account.registry
    try:
        if args.login_provider:
            provider = registry.get(args.login_provider)
        else:
            provider = registry.match_base_url(normalise_base_url(args.login_base_url))
        base_url = args.login_base_url or provider.base_url
        if not base_url:
            _say(f"error: {provider.name} has no default URL; give one with --base-url URL.")
            return EXIT_USAGE
        key = _read_key(provider.name)
        if not key and provider.needs_key:
            _say(f"error: no API key given; {provider.name} needs one. Nothing was saved.")
            return EXIT_USAGE
        _say(f"Checking the key with {provider.name} at {base_url} …")
        check = asyncio.run(check_api_key(registry, provider, base_url, key or None))
    except UnknownProvider as error:
        _say(f"error: {error}")
        return EXIT_USAGE
    except ProviderError as error:
        _say(f"error: {error.message}")
        return EXIT_FAILURE
    model = args.login_model or provider.default_model or (check.models[0] if check.models else "")
    if check.models and model not in check.models:
        shown = ", ".join(check.models[:20]) + (" …" if len(check.models) > 20 else "")
        _say(f"error: the server has no model {model!r}. It offers: {shown}")
        return EXIT_FAILURE
    if not model:
        _say("error: the server lists no models; name one with --model M.")
        return EXIT_USAGE
    from qwen_tui.providers.probe import probe_model

    _say(f"Asking {model} for a one-token answer …")
    try:
        asyncio.run(probe_model(check.base_url, key or None, model, provider=provider))
    except ProviderError as error:
        _say(f"error: {error.message} Nothing was saved.")
        return EXIT_FAILURE
    ask = file_store_asker(args.allow_file_store)
    try:
        location = asyncio.run(
            sign_in_with_key(account, provider, check.base_url, key or None, model, ask)
        )
    except (CredentialError, FileStoreDeclined, SettingsWriteError) as error:
        _say(f"error: {error}")
        return EXIT_FAILURE
    where = location.description if location is not None else "no key needed"
    _say(f"Signed in to {provider.name} ({check.base_url}), model {model}. Key: {where}.")
    return EXIT_OK


def _status(account: Account) -> int:
    from qwen_tui.credentials import CredentialError
    from qwen_tui.providers import ProviderError, UnknownProvider
    from qwen_tui.providers.signin import resolve_active, secret_name

    loaded = account.loaded
    registry = account.registry
    store = account.credentials
    method = loaded.settings.security.auth.selected_type
    if method == "qwen-oauth":
        from qwen_tui.headless.qwen_oauth import status_qwen_oauth

        return status_qwen_oauth(account)
    try:
        active = resolve_active(loaded, registry, store)
    except (UnknownProvider, ProviderError) as error:
        _say(f"error: {error}")
        return EXIT_FAILURE
    except CredentialError as error:
        active = resolve_active(loaded, registry, None)
        _say(f"warning: {error}")
    if active is None:
        print("Not signed in. Run `qwen-tui` or `qwen-tui auth login --provider ID`.")
        return EXIT_FAILURE
    stored = store.get(secret_name(active.provider)) if store.probe() is not None else None
    if stored is not None:
        location = store.probe()
        secret = f"stored in {location.description}" if location else "stored"
    elif active.api_key is not None:
        secret = f"from OPENAI_API_KEY ({active.source})"
    elif active.provider.needs_key:
        problem = store.keyring_problem
        secret = "missing" + (f" ({problem})" if problem else "")
    else:
        secret = "none needed"
    print("Method:   OpenAI-compatible API")
    print(f"Provider: {active.provider.name} ({active.provider.id})")
    print(f"Base URL: {active.base_url}")
    print(f"Model:    {active.model or '(server default)'}")
    print(f"Key:      {secret}")
    if loaded.dotenv_path is not None:
        print(f".env:     {loaded.dotenv_path}")
    return EXIT_OK


def _logout(args: argparse.Namespace, account: Account) -> int:
    from qwen_tui.account import sign_out_key
    from qwen_tui.credentials import CredentialError
    from qwen_tui.providers import UnknownProvider

    loaded = account.loaded
    settings = loaded.settings
    registry = account.registry
    if args.logout_provider == "qwen" or (
        not args.logout_provider and settings.security.auth.selected_type == "qwen-oauth"
    ):
        from qwen_tui.headless.qwen_oauth import logout_qwen_oauth

        return logout_qwen_oauth(account, unselect=not args.logout_provider)
    provider_id = args.logout_provider or settings.model.provider
    if provider_id is None and settings.model.base_url:
        provider_id = registry.match_base_url(settings.model.base_url).id
    try:
        provider = registry.get(provider_id or "openai")
        removed = sign_out_key(account, provider, unselect=not args.logout_provider)
    except UnknownProvider as error:
        _say(f"error: {error}")
        return EXIT_USAGE
    except (CredentialError, SettingsWriteError) as error:
        _say(f"error: {error}")
        return EXIT_FAILURE
    if removed:
        _say(f"Removed the stored key for {provider.name}.")
    else:
        _say(f"No stored key for {provider.name}; nothing to remove.")
    if loaded.env_api_key_origin is not None:
        _say(f"Note: OPENAI_API_KEY is still set in the {loaded.env_api_key_origin}.")
    return EXIT_OK
