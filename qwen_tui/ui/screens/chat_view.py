"""What the chat screen's parts share: the transcript's notes, the status line and the
session file.

The answer worker (:mod:`.chat_agent`) and the commands write to the same three places
as the screen itself; they live here, below both, so that no part has to leave a
method for another to fill in.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.widgets import Static

from qwen_tui.chat.messages import ChatMessage, Usage
from qwen_tui.chat.tokens import ContextUse, context_window, conversation_tokens, short_count
from qwen_tui.ui.plain import plain
from qwen_tui.ui.screens.chat_commands import ChatCommands
from qwen_tui.ui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from qwen_tui.agent.approval import ApprovalMode
    from qwen_tui.chat.sessions import Session
    from qwen_tui.ui.services import AppServices

BACKGROUND_SAVE = 100_000
"""A message longer than this (characters, reasoning included) is saved in the
background (see ``ChatScreen._save``); an ordinary one is on disk before the next key."""


CONTEXT_WARNING = 80
"""From this share of the context window on, the status line shows ``ctx`` in the
warning colour and names ``/compress``."""


class SystemNote(Static):
    """A line from the app itself in the transcript (help, stats, problems)."""

    def __init__(self, text: str, *, severity: str = "info") -> None:
        super().__init__(plain(text), classes=f"system-note {severity}")


class ChatHint(Static):
    """What an empty conversation shows until the first prompt (not a note: it goes)."""

    def __init__(self, text: str) -> None:
        super().__init__(plain(text), classes="system-note hint")


def mode_label(mode: ApprovalMode, *, sandboxed: bool = True) -> str:
    """The mode as the status line shows it (yolo with a warning sign), and
    "unsandboxed" when shell commands run without a sandbox."""
    label = f"⚠ {mode}: nothing is asked" if mode == "yolo" else f"mode {mode}"
    return label if sandboxed else f"{label} · unsandboxed"


class ChatView(ChatCommands):
    """The chat screen's transcript notes, status line and session file."""

    mode: ApprovalMode = "default"
    """The approval mode the status line shows (the answer worker sets it)."""
    sandboxed: bool = True
    """Whether shell commands run in a sandbox; ``False`` shows "unsandboxed"."""

    def __init__(self, services: AppServices, session: Session) -> None:
        super().__init__(services, session)
        self._status_state = ""
        self._last_usage = Usage()
        self.prompt_tokens = 0
        """The estimate of what the prompt being typed would send (its ``@path``
        attachments included); 0 while the prompt is empty."""
        self.request_overhead = 0
        """Tokens each request sends besides the conversation (the system prompt and
        the tools' definitions), set by the answer worker once it knows them."""

    def note(self, text: str, *, severity: str = "info") -> None:
        """Add a line from the app to the transcript."""
        transcript = self.query_one(Transcript)
        transcript.mount(SystemNote(text, severity=severity))
        transcript.resume_following()

    def _set_status(self, state: str | None = None) -> None:
        """Show the provider and model, what is happening, and the token counts.

        ``state`` (``None``: keep the last one) is what the screen is doing. The line
        is fitted to the width: the provider's name goes first, then the last answer's
        counts, then the session total, so the model, the approval mode, how full the
        context is and the state stay readable on a narrow terminal.
        """
        if state is not None:
            self._status_state = state
        parts: list[str] = []
        optional: list[str] = []
        model = ""
        if self.chat is not None:
            active = self.chat.active
            model = active.model or "default model"
            parts.append(f"{active.provider.name} · {model}")
            last = self._last_usage
            total = sum((m.usage for m in self.session.messages if m.usage is not None), Usage())
            optional.append(f"last {last.prompt_tokens}→{last.completion_tokens} tok")
            optional.append(f"session {total.prompt_tokens}→{total.completion_tokens} tok")
        mode = mode_label(self.mode, sandboxed=self.sandboxed)
        context = self.context_use() if self.chat is not None else None
        if context is not None:
            mode = f"{mode} · {self._context_text(context)}"
        parts.insert(1 if parts else 0, mode)
        if self._status_state:
            parts.append(self._status_state)
        width = self.size.width or 80
        line = "  │  ".join([*parts[:2], *optional, *parts[2:]])
        if model and len(line) >= width:
            parts[0] = model  # the provider's name goes first: /auth shows it
        while optional:
            line = "  │  ".join([*parts[:2], *optional, *parts[2:]])
            if len(line) < width:
                break
            optional.pop(0)
        line = "  │  ".join([*parts[:2], *optional, *parts[2:]])
        status = self.query_one("#status-line", Static)
        status.update(plain(line))
        status.set_class(self.mode == "yolo", "yolo")
        full = context is not None and context.percent >= CONTEXT_WARNING
        status.set_class(full, "context-full")
        status.set_class(not self.sandboxed, "unsandboxed")

    def context_use(self) -> ContextUse:
        """How full the model's context is with this conversation (see
        :mod:`qwen_tui.chat.tokens`)."""
        configured = self.services.loaded.settings.model.context_window
        model = self.chat.model if self.chat is not None else None
        used = conversation_tokens(self.session.messages, self.request_overhead)
        return ContextUse(used, context_window(model, configured))

    def _context_text(self, context: ContextUse) -> str:
        """``ctx 34%``, and the estimate of the prompt being typed when there is one;
        a nearly full context says what to do about it."""
        text = f"ctx {context.percent}%"
        if context.percent >= CONTEXT_WARNING:
            text += " (/compress)"
        if self.prompt_tokens:
            text = f"prompt ~{short_count(self.prompt_tokens)} tok · {text}"
        return text

    def _save(self, message: ChatMessage, session: Session | None = None) -> None:
        """Append to the session file; a full disk is reported, the chat goes on.

        A big message (or any message while one is still being written) is written in
        the background: scrubbing and writing megabytes would hold up the keys for a
        few hundred milliseconds. It is part of the conversation at once either way.
        """
        from qwen_tui.chat.sessions import SessionError

        target = session or self.session
        if target.writing or len(message.content) + len(message.reasoning) > BACKGROUND_SAVE:
            asyncio.wrap_future(target.append_later(message)).add_done_callback(
                self._saved_in_background
            )
            return
        try:
            target.append(message)
        except SessionError as error:
            self._not_saved(error)

    def _saved_in_background(self, future: asyncio.Future[None]) -> None:
        from qwen_tui.chat.sessions import SessionError

        if future.cancelled():
            return
        error = future.exception()
        if isinstance(error, SessionError):
            self._not_saved(error)
        elif error is not None:
            raise error

    def _not_saved(self, error: Exception) -> None:
        self.notify(f"Not saved to disk: {error}", severity="error", timeout=10)
