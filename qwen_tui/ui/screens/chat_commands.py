"""The chat's informational and picker commands (/help, /stats, /copy, /model, /resume),
kept apart from the streaming screen they belong to. /settings and /privacy are the
app's own actions: they work from every screen."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.screen import Screen

from qwen_tui.net import ledger
from qwen_tui.ui.commands import COMMANDS

if TYPE_CHECKING:
    from qwen_tui.chat.service import ChatService
    from qwen_tui.chat.sessions import Session
    from qwen_tui.ui.services import AppServices


class ChatCommands(Screen[None]):
    """Slash-command actions of :class:`~qwen_tui.ui.screens.chat.ChatScreen`.

    The commands read the session and the chat service; what they change on the chat
    screen (a line in the transcript, the status line, another conversation) they say
    with a message, which the chat screen handles.
    """

    @dataclass
    class Note(Message):
        """Add a line from the app to the transcript."""

        bubble = False

        text: str
        severity: str = "info"

    class ModelChanged(Message):
        """The model in use changed: the status line names it."""

        bubble = False

    @dataclass
    class SessionOpened(Message):
        """The user picked a saved conversation: show it instead of the current one."""

        bubble = False

        session: Session

    def __init__(self, services: AppServices, session: Session) -> None:
        super().__init__()
        self.services = services
        self.session = session
        self.chat: ChatService | None = None

    @property
    def session(self) -> Session:
        """The conversation on screen; the network ledger is kept for it."""
        return self._session

    @session.setter
    def session(self, session: Session) -> None:
        self._session = session
        ledger.current().bind(session.ledger_path)

    def action_help(self) -> None:
        commands = [(f"/{c.name}", c.help) for c in COMMANDS]
        keys = [
            ("Enter", "send"),
            ("Ctrl+J", "new line"),
            ("Up / Down", "earlier prompts (on the first / last line)"),
            ("Esc", "stop the answer (what arrived is kept; a running command is killed)"),
            ("PageUp/PageDown", "scroll the conversation"),
            ("Ctrl+R", "ask again"),
            ("Shift+Tab", "next approval mode (plan, default, auto-edit, yolo)"),
            ("y / a / n", "approval: yes once, always this session, no (with a reason)"),
            ("Ctrl+N", "new conversation"),
            ("Tab", "complete a /command (Up/Down choose, Enter runs)"),
            (
                "@",
                "attach a file: a list of the project's files and folders opens as you "
                "type (Up/Down choose, Tab or Enter take, Esc closes)",
            ),
            ("F2", "settings (/privacy opens its Privacy tab)"),
            ("Ctrl+P", "command palette"),
            ("Ctrl+Q", "quit"),
        ]
        width = max(len(name) for name, _ in commands + keys) + 2
        lines = ["Commands:"]
        lines += [f"  {name:<{width}}{text}" for name, text in commands]
        lines += ["", "Keys:"]
        lines += [f"  {name:<{width}}{text}" for name, text in keys]
        self.post_message(self.Note("\n".join(lines)))

    def action_stats(self) -> None:
        if self.chat is None:
            self.post_message(self.Note("No requests yet: no provider is connected."))
            return
        stats = self.chat.stats
        self.post_message(
            self.Note(
                f"This run: {stats.requests} requests ({stats.failures} failed), "
                f"{stats.prompt_tokens} tokens in, {stats.completion_tokens} tokens out, "
                f"{stats.api_seconds:.1f} s waiting for the API."
            )
        )

    def action_copy_last(self) -> None:
        from qwen_tui.ui.clipboard import copy_text

        answers = [m for m in self.session.messages if m.role == "assistant" and m.content]
        if not answers:
            self.notify("There is no answer to copy yet.")
            return
        how = copy_text(self.app, answers[-1].content)
        self.notify(f"Copied the last answer ({len(answers[-1].content)} characters) via {how}.")

    @work(exclusive=True, group="picker", exit_on_error=False)
    async def action_pick_model(self) -> None:
        from qwen_tui.config import SettingsWriteError
        from qwen_tui.providers import ProviderError
        from qwen_tui.ui.screens.pickers import OptionPicker

        if self.chat is None:
            self.notify("No provider is connected. Use /auth.", severity="error")
            return
        active = self.chat.active
        try:
            models = await self.services.registry.list_models(active.base_url, active.api_key)
        except ProviderError as error:
            self.notify(error.message, severity="error")
            return
        chosen = await self.app.push_screen_wait(
            OptionPicker(
                f"Models on {active.provider.name}",
                [(m, m) for m in models],
                active.model,
                telemetry_name="model-picker",
            )
        )
        if not chosen or self.chat is None:
            return
        self.chat.active = dataclasses.replace(active, model=chosen)
        self.session.set_model(active.provider.id, chosen)
        try:
            self.services.set_model_name(chosen)  # so that the settings screen shows it too
        except SettingsWriteError as error:
            self.notify(str(error), severity="warning")
        self.post_message(self.ModelChanged())
        if self.services.loaded.settings.model.name != chosen:
            self.notify(
                f"Model for this run: {chosen}. OPENAI_MODEL or QWEN_TUI_MODEL__NAME sets "
                "another one, which wins at the next start."
            )
        else:
            self.notify(f"Model: {chosen}")

    @work(exclusive=True, group="picker", exit_on_error=False)
    async def action_resume(self) -> None:
        from qwen_tui.chat.sessions import SessionError
        from qwen_tui.ui.screens.pickers import OptionPicker

        infos = await asyncio.to_thread(self.services.sessions.list)
        options = [
            (
                info.id,
                f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(info.updated))}  "
                f"{info.title}  ({info.messages} messages, {info.model or 'model?'})",
            )
            for info in infos
            if info.id != self.session.id
        ]
        chosen = await self.app.push_screen_wait(
            OptionPicker("Saved conversations", options, telemetry_name="sessions")
        )
        if not chosen:
            return
        try:
            session = await asyncio.to_thread(self.services.sessions.open, chosen)
        except SessionError as error:
            self.notify(str(error), severity="error")
            return
        self.post_message(self.SessionOpened(session))
