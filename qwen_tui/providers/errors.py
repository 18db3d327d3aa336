"""The error every provider helper raises, apart from the catalogue.

Its own module because both the catalogue and the URL helpers need it, and the
catalogue checks its URLs with those helpers: kept in either, it would tie the two
into a loop of imports.
"""

from __future__ import annotations

from typing import Literal

from qwen_tui.text.errors import UserFacingError

__all__ = ["ErrorKind", "ProviderError"]

ErrorKind = Literal[
    "auth",
    "forbidden",
    "not_found",
    "timeout",
    "tls",
    "dns",
    "connect",
    "not_json",
    "http",
    "bad_url",
    "quota",
    "model",
]
"""What went wrong talking to a provider, so the UI can pick a fix without parsing text.

``quota`` (used up, in arrears, or a tier that ended) and ``model`` (the model cannot
be used with this key or plan) come from the test request a sign-in makes
(:mod:`qwen_tui.providers.probe`)."""


class ProviderError(UserFacingError):
    """A provider could not be used, with a message a person can act on.

    Attributes:
        kind: Machine-readable category (see ``ErrorKind``); screens use it to
            decide e.g. whether to focus the key field or the URL field.
        message: Plain words plus a hint. It never contains the API key: every
            producer redacts it, because messages end up on screen and in logs.
        status: The HTTP status when the server answered, else ``None``.
    """

    def __init__(self, kind: ErrorKind, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.status = status

    def __repr__(self) -> str:
        return f"ProviderError(kind={self.kind!r}, message={self.message!r})"
