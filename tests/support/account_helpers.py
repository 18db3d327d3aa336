"""Signing in through the account from synchronous test set-up code."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from qwen_tui.account import Account, sign_in_with_qwen
from qwen_tui.config import LoadedSettings
from qwen_tui.credentials import StoreLocation
from qwen_tui.providers.qwen_oauth import OAuthTokens


async def refuse_file_store(reason: str) -> bool:
    """The file-store question answered No (a script with no terminal)."""
    return False


def store_qwen_sign_in(
    loaded: LoadedSettings, tokens: OAuthTokens, keyring_backend: Any = None
) -> StoreLocation:
    """Store Qwen OAuth tokens and select Qwen OAuth, as the sign-in screen does.

    Run on a thread of its own, so that async tests (with a running loop) can call it.
    """
    account = Account(loaded, keyring_backend=keyring_backend)
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(asyncio.run, sign_in_with_qwen(account, tokens, refuse_file_store))
        return done.result()
