"""Exceptions of the credential store and the plain-words texts they carry.

Every message here is meant to be shown to a person as it is: it says what is
wrong and how to fix it. No message ever contains a secret, because messages
end up on screen, in logs and in bug reports.
"""

from __future__ import annotations

from qwen_tui.text.errors import UserFacingError

FIX_HINT = (
    "To fix this, start and unlock your keyring (e.g. gnome-keyring), or allow the "
    "file store with `qwen-tui auth login ... --allow-file-store` or setting "
    "credentials.allowFileStore=true."
)
"""The two ways out when no keyring works; shared so every message offers the same fix."""

NO_KEYRING_FOUND = "No working keyring was found."
"""Fallback reason, used only when no more specific reason is known."""


class CredentialError(UserFacingError):
    """A secret could not be read, stored or removed.

    The message is plain words for the user and includes the fix, so callers can
    show ``str(error)`` without adding their own explanation.
    """


class KeyringUnavailable(CredentialError):
    """No usable keyring, and the user has not allowed the file store.

    A separate type lets callers offer the ``--allow-file-store`` choice instead of
    treating this like any other failure.
    """

    @classmethod
    def because(cls, problem: str | None) -> KeyringUnavailable:
        """Build the error from the keyring problem, adding the standard fix.

        Args:
            problem: Plain-words reason the keyring is unusable, if known.

        Returns:
            The exception, ready to raise.
        """
        return cls(f"Cannot use the keyring: {problem or NO_KEYRING_FOUND} {FIX_HINT}")
