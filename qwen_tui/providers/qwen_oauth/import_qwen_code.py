"""Offer once to import a Qwen Code sign-in (``~/.qwen/oauth_creds.json``) into the keyring.

Qwen Code keeps its OAuth tokens in a plain JSON file. When that file exists and
qwen-tui has no Qwen tokens yet, the app offers (once; a marker file in
``QWEN_TUI_HOME`` remembers the offer) to copy them into the credential store. After
the import the plain file can be deleted; note that both tools then share one grant,
and a refresh by either one rotates the refresh token the other holds.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qwen_tui.providers.qwen_oauth.refresh import TOKEN_NAME
from qwen_tui.providers.qwen_oauth.tokens import OAuthTokens

if TYPE_CHECKING:
    from qwen_tui.config import LoadedSettings
    from qwen_tui.credentials import CredentialStore

__all__ = [
    "OFFER_MARKER",
    "ImportOffer",
    "find_qwen_code_credentials",
    "import_offer",
    "mark_import_offered",
    "qwen_code_credentials_path",
]

OFFER_MARKER = "qwen-code-import-offered"
"""File in ``QWEN_TUI_HOME`` whose presence means the import was offered already."""


def qwen_code_credentials_path(home_dir: Path | None = None) -> Path:
    """``~/.qwen/oauth_creds.json`` (``home_dir`` defaults to the user's home)."""
    return (home_dir if home_dir is not None else Path.home()) / ".qwen" / "oauth_creds.json"


def find_qwen_code_credentials(home_dir: Path | None = None) -> OAuthTokens | None:
    """The tokens in Qwen Code's file, or None when it is missing or unusable."""
    path = qwen_code_credentials_path(home_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return OAuthTokens.from_json(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class ImportOffer:
    """A Qwen Code sign-in that can be imported.

    Attributes:
        path: Qwen Code's file.
        tokens: what it holds (kept out of ``repr``).
    """

    path: Path
    tokens: OAuthTokens = field(repr=False)

    def describe(self, *, now: float | None = None) -> str:
        """One paragraph for the offer, naming the file and the access token's expiry."""
        left = self.tokens.seconds_left(now=now)
        if left > 0:
            state = f"its access token is valid for {_span(left)} more"
        elif self.tokens.refresh_token:
            state = "its access token has expired, but it can be renewed"
        else:
            state = "it has expired and cannot be renewed"
        return (
            f"Found a Qwen Code sign-in in {self.path} ({state}). Import it into the "
            "keyring so qwen-tui can use it? Afterwards you can delete that plain-text "
            "file; Qwen Code will then ask you to sign in again."
        )


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{int(seconds)} s"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _marker(home: Path) -> Path:
    return home / OFFER_MARKER


def import_offer(
    loaded: LoadedSettings, credentials: CredentialStore, *, home_dir: Path | None = None
) -> ImportOffer | None:
    """What to offer, or None: already offered, Qwen tokens already stored, no usable file.

    Reads the credential store; call it off the UI thread. A store that cannot be read
    counts as "nothing stored" only when the file store is not in use either, so the
    offer is not made when we cannot tell.
    """
    if _marker(loaded.home).exists():
        return None
    tokens = find_qwen_code_credentials(home_dir)
    if tokens is None:
        return None
    from qwen_tui.credentials import CredentialError

    try:
        if credentials.get(TOKEN_NAME) is not None:
            return None
    except CredentialError:
        return None
    return ImportOffer(qwen_code_credentials_path(home_dir), tokens)


def mark_import_offered(home: Path) -> None:
    """Remember that the offer was made (accepted or not), so it is made only once."""
    from qwen_tui.config.atomic import write_private_atomic

    with contextlib.suppress(OSError):
        write_private_atomic(_marker(home), f"offered {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
