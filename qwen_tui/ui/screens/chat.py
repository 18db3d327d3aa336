"""The chat screen: transcript, prompt, status line, and the slash commands.

The screen only binds backends together: :class:`ChatService` streams events,
:class:`SessionStore` writes each finished message to disk, and widgets show them.
Streaming runs in a worker; screen updates are coalesced to a fixed frame rate, so a
fast server costs one update per frame, not one per chunk.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static
from textual.worker import Worker

from qwen_tui.chat.conversation import last_user_index
from qwen_tui.chat.messages import ChatMessage, Usage
from qwen_tui.ui.commands import command_argument, find_command, run_command
from qwen_tui.ui.screens.chat_commands import ChatCommands
from qwen_tui.ui.screens.chat_paths import ChatPathCompletion
from qwen_tui.ui.screens.chat_view import ChatHint
from qwen_tui.ui.widgets.messages import UserMessage, history_entries
from qwen_tui.ui.widgets.path_menu import PathMenu
from qwen_tui.ui.widgets.prompt_input import PromptInput
from qwen_tui.ui.widgets.slash_menu import SlashMenu
from qwen_tui.ui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from qwen_tui.account import SettingsChange
    from qwen_tui.chat.sessions import Session
    from qwen_tui.ui.services import AppServices


def preload_for_answers() -> None:
    """Import what the first answer needs in one background thread: Rich's Markdown
    (markdown-it, Pygments and its Python lexer), then the openai SDK.

    Started once the screen is connected: before that, the imports would take the
    interpreter from the first frames and from resolving the provider (the status line
    shows the model only then); after it, the first answer would wait for them.
    """
    from qwen_tui.chat.service import preload_sdk
    from qwen_tui.ui.widgets.streaming_markdown import rich_markdown

    def run() -> None:
        rich_markdown()
        preload_sdk()

    threading.Thread(target=run, name="preload-answers", daemon=True).start()


def _import_connect_modules() -> None:
    """What :meth:`ChatScreen.connect` imports, imported where it does not block."""
    import qwen_tui.agent.checkpoints
    import qwen_tui.agent.instructions
    import qwen_tui.agent.loop
    import qwen_tui.chat.service
    import qwen_tui.credentials
    import qwen_tui.tools  # noqa: F401


ESTIMATE_PAUSE = 0.25
"""Seconds of no typing before the ``@path`` files of the prompt are read for its token
estimate."""

EMPTY_CHAT_HINT = (
    "Ask about this project or for a change: the model reads and searches it, and asks "
    "before it edits a file or runs a command (the approval mode in the status line; "
    "Shift+Tab changes it). @path attaches a file, /undo takes a change back, /help "
    "lists the commands."
)
"""What an empty conversation shows, until the first prompt."""


class ChatScreen(ChatPathCompletion):
    """Where conversations happen once a provider is configured."""

    telemetry_name = "chat"
    """The screen's name in usage statistics (a closed set, see qwen_tui.telemetry)."""

    AUTO_FOCUS = "#prompt"
    """Focus the prompt straight away rather than the transcript (the first focusable
    widget): moving the focus off it again restyles every message it holds."""

    BINDINGS = [
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+r", "retry", "Retry"),
        Binding("ctrl+n", "new_session", "New chat"),
        Binding("f1", "help", "Help"),
        Binding("shift+tab", "cycle_mode", "Mode"),
        # Priority: the prompt (a TextArea) has focus and would take them for its cursor.
        Binding("pageup", "page_transcript(-1)", "Page up", show=False, priority=True),
        Binding("pagedown", "page_transcript(1)", "Page down", show=False, priority=True),
    ]

    def __init__(self, services: AppServices, *, session: Session | None = None) -> None:
        super().__init__(services, session or services.sessions.new(provider=None, model=None))
        self._answer_worker: Worker[None] | None = None
        self._preloaded = False

    # ----- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Transcript(id="transcript")
        yield SlashMenu(id="slash-menu")
        yield PathMenu(id="path-menu")
        yield PromptInput(id="prompt")
        yield Static("", id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "qwen-tui"
        self._show_session()
        self.query_one(PromptInput).focus()
        self._follow_settings()
        self.call_after_refresh(self.connect)  # after the first frame: it imports keyring

    async def on_unmount(self) -> None:
        """Close the provider's HTTP connections and stop the MCP servers when the
        screen (or the app) goes."""
        if self.chat is not None:
            await self.chat.aclose()
        if self.mcp is not None:
            await self.mcp.aclose()

    def _show_session(self) -> None:
        """The session's messages, what went wrong reading it, and its prompts for Up."""
        session = self.session
        self._show_messages(session.messages)
        for notice in session.notices:
            self.note(notice, severity="warning")
        self.query_one(PromptInput).prompt_history = [
            m.content for m in session.messages if m.role == "user" and not m.summary
        ]

    def _show_messages(self, messages: list[ChatMessage]) -> None:
        transcript = self.query_one(Transcript)
        transcript.clear()
        transcript.show_history(history_entries(messages))
        if not messages:
            transcript.mount(ChatHint(EMPTY_CHAT_HINT))
        transcript.resume_following()
        self._last_usage = Usage()
        self._set_status()

    @on(ChatCommands.Note)
    def _command_note(self, message: ChatCommands.Note) -> None:
        self.note(message.text, severity=message.severity)

    @on(ChatCommands.ModelChanged)
    def _model_changed(self) -> None:
        self._set_status()

    @on(ChatCommands.SessionOpened)
    def _session_opened(self, message: ChatCommands.SessionOpened) -> None:
        """Show a saved conversation instead of this one (what ``/resume`` picked)."""
        if self._answering:
            self.action_stop()
        self.session.close()
        self.session = message.session
        self._show_session()
        self.refresh_bindings()

    # ----- provider ----------------------------------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect(self) -> None:
        """Resolve the active provider and its key (off the UI thread: keyring); then
        import what answers need, in the background."""
        try:
            await self._connect()
        finally:
            if not self._preloaded:
                self._preloaded = True
                preload_for_answers()

    async def _connect(self) -> None:
        await self.services.settings_loaded()
        self.load_mode()
        # Import the credential store (keyring) and the chat service in a thread too:
        # on the event loop they would hold up the frames after the first one.
        await asyncio.to_thread(_import_connect_modules)
        from qwen_tui.chat.service import build_chat_service
        from qwen_tui.credentials import CredentialError
        from qwen_tui.providers import ProviderError, UnknownProvider
        from qwen_tui.providers.signin import resolve_active
        from qwen_tui.tools.errors import ToolError

        services = self.services
        self._set_status("connecting…")
        try:
            active = await asyncio.to_thread(
                resolve_active, services.loaded, services.registry, services.credentials
            )
        except (UnknownProvider, ProviderError, CredentialError) as error:
            self.note(f"{error} Use /auth to choose a provider.", severity="error")
            self._set_status("not connected")
            return
        except Exception as error:  # anything else: say so, and leave /auth usable
            self.note(
                f"Could not connect ({type(error).__name__}). Use /auth to choose a provider.",
                severity="error",
            )
            self._set_status("not connected")
            return
        if active is None:
            self.note("No provider is configured. Use /auth to choose one.", severity="error")
            self._set_status("not connected")
            return
        if active.provider.needs_key and not active.has_key:
            self.note(
                f"No API key is stored for {active.provider.name}. Use /auth to enter one.",
                severity="error",
            )
        services.remember_secret(active.api_key)
        if self.chat is not None:
            await self.chat.aclose()
        registry = services.registry
        self.chat = build_chat_service(
            services.loaded, active, registry, services.credentials, telemetry=services.telemetry
        )
        await self.find_sandbox()
        try:
            self.build_agent(self.chat, active)
        except ToolError as error:
            self.note(f"The tools cannot work here: {error}", severity="error")
        self.session.set_model(active.provider.id, active.model)
        self._set_status("")

    def on_resize(self) -> None:
        self._set_status()

    # ----- prompt and slash menu ---------------------------------------------------

    @on(PromptInput.Changed, "#prompt")
    def _prompt_changed(self) -> None:
        prompt = self.query_one(PromptInput)
        prompt.menu_open = self.query_one(SlashMenu).show_matches(prompt.text)
        self.update_path_menu()
        self._estimate_prompt(prompt.text)

    def _estimate_prompt(self, text: str) -> None:
        """The status line's ``prompt ~N tok``: the typed text at once, its ``@path``
        attachments once typing pauses (read in a thread)."""
        from qwen_tui.chat.tokens import estimate_tokens

        self.prompt_tokens = estimate_tokens(text) if text.strip() else 0
        self._set_status()
        if "@" in text and self.agent is not None and not text.startswith("/"):
            self._estimate_attachments(text)

    @work(exclusive=True, group="estimate", exit_on_error=False)
    async def _estimate_attachments(self, text: str) -> None:
        from qwen_tui.agent.mentions import estimate_prompt

        await asyncio.sleep(ESTIMATE_PAUSE)  # a newer keystroke cancels this one
        if self.agent is None:
            return
        tokens = await asyncio.to_thread(estimate_prompt, text, self.agent.toolbox.workspace)
        if self.query_one(PromptInput).text == text:
            self.prompt_tokens = tokens
            self._set_status()

    @on(PromptInput.MenuMove)
    def _menu_move(self, event: PromptInput.MenuMove) -> None:
        menu = self.query_one(PathMenu)
        (menu if menu.is_open else self.query_one(SlashMenu)).move(event.step)

    def on_key(self, event: object) -> None:
        from textual import events

        if not isinstance(event, events.Key) or event.key != "tab":
            return
        name = self.query_one(SlashMenu).chosen
        if name is not None:
            event.prevent_default()
            event.stop()
            prompt = self.query_one(PromptInput)
            prompt.load_text(f"/{name}")
            prompt.move_cursor(prompt.document.end)
            prompt.focus()

    @on(SlashMenu.OptionSelected, "#slash-menu")
    async def _menu_chosen(self, event: SlashMenu.OptionSelected) -> None:
        prompt = self.query_one(PromptInput)
        prompt.load_text("")
        self.query_one(SlashMenu).close()
        prompt.focus()
        command = find_command(f"/{event.option.id}")
        if command is not None:
            await run_command(self, command)

    @on(PromptInput.Submitted)
    async def _submitted(self, event: PromptInput.Submitted) -> None:
        text = event.text.strip()
        if not text:
            return
        if text.startswith("/"):
            command = find_command(text)
            highlighted = self.query_one(SlashMenu).chosen
            if command is None and highlighted is not None:
                command = find_command(f"/{highlighted}")  # Enter on the menu's choice
            if command is None:
                self.notify(f"Unknown command {text.split()[0]}. /help lists them.")
                return
            event.prompt_input.load_text("")
            await run_command(self, command, command_argument(text))
            return
        if self._answering:
            self.notify("An answer is still coming: wait, or press Esc to stop it.")
            return
        if self.chat is None or self.agent is None:
            self.notify("No provider is connected yet. Use /auth.", severity="error")
            return
        event.prompt_input.remember(text)
        event.prompt_input.load_text("")
        self._send(text)

    @property
    def _answering(self) -> bool:
        return self._answer_worker is not None and self._answer_worker.is_running

    def _send(self, text: str) -> None:
        """Send a prompt; each ``@path`` in it attaches that file (see
        :mod:`qwen_tui.agent.mentions`): the transcript shows what was typed, the
        conversation keeps it with the attachments, read by the answer worker."""
        transcript = self.query_one(Transcript)
        for hint in transcript.query(ChatHint):
            hint.remove()
        transcript.mount(UserMessage(text))
        transcript.resume_following()
        self._start_answer(text)

    def action_memory(self) -> None:
        """``/memory``: which instruction files each task sends, and how big they are."""
        from qwen_tui.agent.instructions import instruction_files

        if self.agent is None:
            self.note("Not connected yet: /memory works once connected.")
            return
        found = instruction_files(self.agent.toolbox.workspace)
        if not found:
            self.note(
                "No instruction files: QWEN.md or AGENTS.md at the workspace root, or "
                "~/.qwen/QWEN.md, are sent with each task when they exist. /init asks the "
                "model to write a QWEN.md."
            )
            return
        lines = ["Sent with each task, in this order:"]
        lines += [
            f"  {f.path}  ({len(f.text):,} characters{', cut' if f.cut else ''})" for f in found
        ]
        self.note("\n".join(lines))

    def action_init(self) -> None:
        """``/init``: ask the model to write a starting QWEN.md (with the approval the
        mode needs, like any other change)."""
        from qwen_tui.agent.instructions import INIT_PROMPT

        if self.agent is None or self._answering:
            self.note("/init needs a connection and no answer running.", severity="warning")
            return
        if (self.agent.toolbox.workspace.root / "QWEN.md").exists():
            self.note("QWEN.md already exists; edit it, or ask the model to improve it.")
            return
        self._send(INIT_PROMPT)

    def _start_answer(self, prompt: str | None = None) -> None:
        self._last_failure = None
        self._answer_worker = self.run_worker(
            self._answer(prompt), group="answer", exclusive=True, exit_on_error=False
        )
        self.refresh_bindings()

    def action_compress(self) -> None:
        """``/compress``, as a worker of the answer's group: Esc stops it, and no prompt
        is sent while it runs."""
        if self._answering:
            self.note("Stop the answer first (Esc), then /compress.", severity="warning")
            return
        self._answer_worker = self.run_worker(
            self.compress(), group="answer", exclusive=True, exit_on_error=False
        )
        self.refresh_bindings()

    # ----- actions -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self._answering
        if action == "retry":
            return not self._answering and last_user_index(self.session.messages) is not None
        return True

    def action_page_transcript(self, direction: int) -> None:
        """Scroll the transcript a page while the prompt keeps the focus."""
        transcript = self.query_one(Transcript)
        if direction < 0:
            transcript.action_page_up()
        else:
            transcript.action_page_down()

    def action_stop(self) -> None:
        """Stop the answer in flight; the partial answer stays."""
        if self._answer_worker is not None and self._answer_worker.is_running:
            self._answer_worker.cancel()

    def action_retry(self) -> None:
        """Ask again for the last prompt (the previous answer stays in the transcript)."""
        if self._answering or self.chat is None or self.agent is None:
            return
        if last_user_index(self.session.messages) is None:
            return
        self._start_answer()

    async def action_sign_in(self) -> None:
        await self.app.run_action("sign_in")

    def action_new_session(self) -> None:
        if self._answering:
            self.action_stop()
        chat = self.chat
        self.session.close()
        self.session = self.services.sessions.new(
            provider=chat.active.provider.id if chat else None, model=chat.model if chat else None
        )
        self._show_messages([])
        self._last_failure = None
        self.note("New conversation.")
        self.refresh_bindings()

    def _follow_settings(self) -> None:
        """Reconnect when a sign-in or the settings screen changed the provider."""
        from qwen_tui.ui.settings_signal import PublishesSettingsChanges

        if isinstance(self.app, PublishesSettingsChanges):
            self.app.settings_changed_signal.subscribe(self, self._settings_changed)

    def _settings_changed(self, change: SettingsChange) -> None:
        if not change.affects_provider:
            return
        written = change.values.get("model.name")
        if change.keys == {"model.name"} and self.chat is not None and self.chat.model == written:
            return  # the model picker already switched this chat
        self.refresh_provider()

    def refresh_provider(self) -> None:
        """Reconnect with the provider, key and model the settings now name."""
        self.connect()
