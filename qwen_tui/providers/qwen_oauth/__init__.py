"""Qwen OAuth: the device-code sign-in (RFC 8628 + PKCE), tokens in the credential store,
refreshes serialised across processes, and the import of a Qwen Code sign-in.

Importing this package is cheap: authlib, httpx and filelock are imported inside the
functions that need them, so ``import qwen_tui.providers`` and the CLI stay light.
"""

from qwen_tui.providers.qwen_oauth.browser import browser_available, open_browser
from qwen_tui.providers.qwen_oauth.device_flow import (
    DeviceAuthorization,
    DeviceFlow,
    make_pkce_pair,
)
from qwen_tui.providers.qwen_oauth.errors import SIGN_IN_AGAIN, OAuthError, OAuthErrorKind
from qwen_tui.providers.qwen_oauth.import_qwen_code import (
    ImportOffer,
    find_qwen_code_credentials,
    import_offer,
    mark_import_offered,
)
from qwen_tui.providers.qwen_oauth.refresh import (
    LOCK_FILE,
    REFRESH_MARGIN,
    TOKEN_NAME,
    TokenManager,
)
from qwen_tui.providers.qwen_oauth.signin import (
    chat_refresher,
    resolve_qwen_oauth,
    token_manager,
)
from qwen_tui.providers.qwen_oauth.tokens import OAuthTokens, api_base_url

__all__ = [
    "LOCK_FILE",
    "REFRESH_MARGIN",
    "SIGN_IN_AGAIN",
    "TOKEN_NAME",
    "DeviceAuthorization",
    "DeviceFlow",
    "ImportOffer",
    "OAuthError",
    "OAuthErrorKind",
    "OAuthTokens",
    "TokenManager",
    "api_base_url",
    "browser_available",
    "chat_refresher",
    "find_qwen_code_credentials",
    "import_offer",
    "make_pkce_pair",
    "mark_import_offered",
    "open_browser",
    "resolve_qwen_oauth",
    "token_manager",
]
