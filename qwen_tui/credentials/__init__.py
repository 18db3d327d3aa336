"""Secrets (API keys, OAuth tokens) in the OS keyring, with an opt-in file fallback.

Names used by the app: ``provider:<provider-id>`` for API keys and
``qwen-oauth`` for the OAuth token JSON; keyring service ``qwen-tui``. This
package imports only the standard library and ``keyring``, so headless
commands and tests can use it without loading the UI.
"""

from .errors import FIX_HINT, CredentialError, KeyringUnavailable
from .filestore import FILE_NAME
from .store import DEFAULT_TIMEOUT, CredentialStore, StoreLocation

__all__ = [
    "DEFAULT_TIMEOUT",
    "FILE_NAME",
    "FIX_HINT",
    "CredentialError",
    "CredentialStore",
    "KeyringUnavailable",
    "StoreLocation",
]
