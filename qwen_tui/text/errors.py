"""The root of every error whose message is written for the person using the app.

Backends raise errors that a front end shows as they are, on a screen or on stderr:
the message says what happened and what to do, and never holds a secret. Giving them
one root lets a front end catch "anything it can explain" in one ``except`` and read
the words from one attribute, and lets a test tell them from internal exceptions.
"""

from __future__ import annotations

__all__ = ["UserFacingError"]


class UserFacingError(Exception):
    """An error with a message for people: what went wrong and how to fix it.

    Attributes:
        message: the plain words, also ``str(error)``. Never contains a secret:
            messages end up on screen, in logs and in bug reports.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
