"""When to wait and ask again on our own: one policy for the TUI and ``qwen-tui -p``.

A server that answers 429 (or a 5xx) with ``Retry-After`` says how long to wait. The
SDK's own retries are off (a silent minute-long hang helps no one), so the front end
waits, says so, and asks again, but only within limits: the wait is short, the number
of attempts is small, and nothing of an answer had arrived (a retry would otherwise
throw away text the user has already seen). Anything else is left to the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from qwen_tui.chat.events import ChatFailure, FailureKind

__all__ = ["HEADLESS_WAITS", "INTERACTIVE_WAITS", "WaitPolicy"]

_WAITABLE_KINDS: frozenset[FailureKind] = frozenset({"rate_limit", "server"})
"""Failures whose ``Retry-After`` is worth waiting for on our own."""


@dataclass(frozen=True)
class WaitPolicy:
    """Limits on waiting for ``Retry-After`` before asking again.

    Attributes:
        longest_wait: the longest single wait, in seconds; a server asking for more
            is not waited for (the user decides).
        attempts: how many automatic retries one question may get.
        total: the most seconds all waits for one question may add up to, or
            ``None`` for no limit beyond ``attempts`` × ``longest_wait``.
    """

    longest_wait: float = 60.0
    attempts: int = 3
    total: float | None = None

    def wait_before_retry(
        self,
        failure: ChatFailure | None,
        *,
        attempt: int,
        answered: bool,
        waited: float = 0.0,
    ) -> float | None:
        """Seconds to wait before asking again, or ``None`` to stop and report.

        Args:
            failure: how the last attempt ended (``None``: it did not fail).
            attempt: how many retries were already made for this question (0 first).
            answered: whether any answer text arrived in the failed attempt.
            waited: seconds already spent waiting for this question.
        """
        if failure is None or failure.kind not in _WAITABLE_KINDS:
            return None
        wait = failure.retry_after
        if wait is None or wait > self.longest_wait or answered:
            return None
        if attempt >= self.attempts:
            return None
        if self.total is not None and waited + wait > self.total:
            return None
        return wait


INTERACTIVE_WAITS = WaitPolicy()
"""The chat screen: up to 3 waits of at most 60 s each; Esc stops a wait."""

HEADLESS_WAITS = WaitPolicy(total=60.0)
"""``qwen-tui -p``: the same, and at most 60 s of waiting in all, so a script is never
held longer than a minute by a server's requests to wait; Ctrl+C stops a wait."""
