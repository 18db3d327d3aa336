"""The chat screen's answers: the coding agent's run, shown in the transcript.

One answer is one :meth:`Agent.run`: its text streams into answer widgets, each tool
call gets a :class:`ToolCallWidget`, a call that needs approval asks in the transcript
(:class:`ApprovalPrompt`), and every message the loop adds is saved with the session,
so ``/resume`` shows the calls again. The approval mode is the screen's policy:
Shift+Tab and ``/approval-mode`` change it between calls.

The agent and the tools are imported when the first connection builds the agent, not
with the screen: the chat's first frame does not wait for them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from qwen_tui.chat.conversation import last_user_index
from qwen_tui.chat.events import (
    ChatFailure,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    UsageReport,
)
from qwen_tui.chat.messages import ChatMessage, Usage
from qwen_tui.chat.retry import INTERACTIVE_WAITS
from qwen_tui.ui.failure_text import failure_text
from qwen_tui.ui.screens.chat_view import ChatView
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from qwen_tui.ui.widgets.tool_call import ToolCallWidget, finished_state
from qwen_tui.ui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from qwen_tui.agent.approval import ApprovalMode, ApprovalPolicy
    from qwen_tui.agent.checkpoints import Checkpoints
    from qwen_tui.agent.events import ApprovalAnswer, ApprovalRequest, ToolFinished
    from qwen_tui.agent.loop import Agent
    from qwen_tui.chat.service import ChatService
    from qwen_tui.chat.sessions import Session
    from qwen_tui.mcp_servers import McpConnection, McpServers
    from qwen_tui.providers.registry import ActiveProvider
    from qwen_tui.tools.path_index import PathIndex
    from qwen_tui.tools.sandbox import SandboxChoice
    from qwen_tui.ui.services import AppServices
    from qwen_tui.ui.widgets.approval import ApprovalPrompt

FRAME_SECONDS = 1 / 15
UNSANDBOXED_TOAST_SECONDS = 15
AUTO_RETRY_ATTEMPTS = INTERACTIVE_WAITS.attempts
MODES: tuple[ApprovalMode, ...] = ("plan", "default", "auto-edit", "yolo")
"""The approval modes in their Shift+Tab order (``agent.approval.APPROVAL_MODES``, which
``tests/ui/test_chat_agent.py`` holds this to)."""
MODE_NOTES: dict[ApprovalMode, str] = {
    "plan": "read and search only; every change is refused",
    "default": "asks before each edit and command",
    "auto-edit": "edits without asking; asks before commands",
    "yolo": "runs every edit and command without asking",
}


@dataclass
class _Turn:
    """One answer in flight: the widget text streams into, and the calls' widgets."""

    session: Session
    widget: AssistantMessage
    model: str | None
    saved: bool = False
    """Whether ``widget``'s message was added to the conversation (the next text goes
    into a new widget)."""
    usage: Usage | None = None
    failure: ChatFailure | None = None
    calls: dict[str, ToolCallWidget] = field(default_factory=dict)


class ChatAgent(ChatView):
    """The answer worker and the approval mode of the chat screen."""

    def __init__(self, services: AppServices, session: Session) -> None:
        super().__init__(services, session)
        self.mode: ApprovalMode = _mode(self.services.approval_mode) or "default"
        """The approval mode (the policy's, once the agent is built)."""
        self.policy: ApprovalPolicy | None = None
        self.agent: Agent | None = None
        self.checkpoints: Checkpoints | None = None
        """The workspace's undo history (once connected)."""
        self._mode_chosen = self.services.approval_mode is not None
        self._tools_note_shown = False
        self.sandbox_choice: SandboxChoice | None = None
        """Where shell commands run (found out on each connection, see
        :meth:`find_sandbox`)."""
        self._unsandboxed_told = False
        self._last_failure: ChatFailure | None = None
        self._turn: _Turn | None = None
        self.path_index: PathIndex | None = None
        """The workspace's paths for ``@path`` completion, once walked; forgotten when
        the project may have changed (an answer, ``/undo``, ``/rewind``)."""
        self.mcp: McpServers | None = None
        """The MCP servers of this run (made once, at the first connection)."""
        self._mcp_made = False

    # ----- the agent ---------------------------------------------------------------

    async def find_sandbox(self) -> None:
        """Find out, off the event loop, whether shell commands can run sandboxed (the
        first time it is a trial run of bubblewrap, some tens of milliseconds)."""
        from qwen_tui.tools import ToolError, Workspace
        from qwen_tui.tools.sandbox import choose_sandbox

        services = self.services
        wanted = services.loaded.settings.tools.sandbox
        try:
            workspace = Workspace.at(services.workspace or Path.cwd())
        except ToolError:
            return  # build_agent says so
        self.sandbox_choice = await asyncio.to_thread(
            choose_sandbox,
            workspace.root,
            home=services.loaded.home,
            enabled=wanted.enabled,
            network=wanted.network,
        )

    def build_agent(self, chat: ChatService, active: ActiveProvider) -> None:
        """The agent for a new connection: the workspace, the settings' rules (once;
        this session's "always" answers stay), the turn limit, and the undo checkpoint
        taken before every change (as in ``-p``).

        Raises:
            ToolError: the workspace folder cannot be used.
        """
        from qwen_tui.agent.approval import ApprovalPolicy
        from qwen_tui.agent.checkpoints import Checkpoints
        from qwen_tui.agent.loop import Agent
        from qwen_tui.tools import Toolbox, Workspace

        services = self.services
        tools = services.loaded.settings.tools
        sandbox = self.sandbox_choice.sandbox if self.sandbox_choice else None
        if self.policy is None:
            self.load_mode()
            self.policy = ApprovalPolicy.from_settings(self.mode, tools.allowed, tools.denied)
        self.policy.sandboxed = sandbox is not None
        workspace = Workspace.at(services.workspace or Path.cwd())
        key = active.api_key or ""
        self.checkpoints = Checkpoints(services.loaded.home, workspace)
        if not self._mcp_made:
            from qwen_tui.mcp_servers import servers_for

            self._mcp_made = True
            self.mcp = servers_for(services, workspace.root)
            if self.mcp is not None:
                self._start_mcp()
        self._show_sandbox()
        self.agent = Agent(
            chat,
            Toolbox(workspace, secrets=lambda: [*services.known_secrets(), key], sandbox=sandbox),
            self.policy,
            ask=self._ask,
            before_change=self.checkpoints.before_change,
            max_turns=tools.max_turns,
            tools_supported=self.agent.tools_supported if self.agent else True,
            mcp=self.mcp,
        )

    @work(group="mcp", exit_on_error=False)
    async def _start_mcp(self) -> None:
        """Ask about untrusted MCP servers and start the rest, beside the chat."""
        from qwen_tui.ui.screens.chat_mcp import start_servers

        if self.mcp is not None:
            await start_servers(self.mcp, self._trust_question, self._mcp_note)

    @work(group="mcp", exit_on_error=False)
    async def action_mcp(self, argument: str = "") -> None:
        """``/mcp [restart NAME]``: the servers, their state and tools; restart one."""
        from qwen_tui.ui.screens.chat_mcp import mcp_command

        await mcp_command(self.mcp, argument, self._trust_question, self._mcp_note)

    async def _trust_question(self, connection: McpConnection) -> bool:
        from qwen_tui.mcp_servers.listing import what_is_trusted
        from qwen_tui.ui.screens.mcp_trust import McpTrustQuestion

        question = McpTrustQuestion(
            connection.name, what_is_trusted(connection.settings), connection.transport
        )
        answer: bool = await self.app.push_screen_wait(question)
        return answer

    def _mcp_note(self, text: str, severity: str) -> None:
        self.note(text, severity=severity)

    def _show_sandbox(self) -> None:
        """ "unsandboxed" in the status line, and once a toast saying why and what it
        means (a toast, not a note: the transcript is the conversation's, and
        ``/approval-mode`` says it again)."""
        choice = self.sandbox_choice
        self.sandboxed = choice is not None and choice.sandboxed
        self._set_status()
        if self.sandboxed or self._unsandboxed_told:
            return
        self._unsandboxed_told = True
        reason = choice.reason if choice is not None else "no sandbox was found"
        self.notify(
            f"Shell commands run unsandboxed, with your full rights: {reason}. In the "
            "default and auto-edit modes every command is asked first.",
            title="Unsandboxed",
            severity="warning",
            timeout=UNSANDBOXED_TOAST_SECONDS,
        )

    def _sandbox_line(self) -> str:
        """Where shell commands run, in one line for ``/approval-mode``."""
        choice = self.sandbox_choice
        if choice is None:
            return "Shell commands: the sandbox is found out once connected."
        if choice.sandbox is None:
            return (
                f"Shell commands: unsandboxed ({choice.reason}); in default and auto-edit "
                "every command is asked."
            )
        return f"Shell commands: sandboxed ({choice.sandbox.limits()})"

    def load_mode(self) -> None:
        """Take the starting mode from ``tools.approvalMode`` once the settings are
        loaded, unless ``--approval-mode`` or the user already chose one."""
        if not self._mode_chosen:
            self._mode_chosen = True
            self.mode = _mode(self.services.loaded.settings.tools.approval_mode) or self.mode
            self._set_status()

    def set_mode(self, mode: ApprovalMode) -> None:
        """Switch the approval mode; the next call is decided by it."""
        self.mode = mode
        self._mode_chosen = True
        if self.policy is not None:
            self.policy.mode = mode
        self._set_status()

    def action_cycle_mode(self) -> None:
        """Shift+Tab: the next mode while the prompt has the focus and no menu is open;
        elsewhere Shift+Tab moves the focus back as usual."""
        prompt = self.query_one(PromptInput)
        if prompt.has_focus and not prompt.menu_open:
            self.set_mode(MODES[(MODES.index(self.mode) + 1) % len(MODES)])
        else:
            self.focus_previous()

    async def action_undo(self) -> None:
        """``/undo``: put the project back as it was before the model's last change."""
        from qwen_tui.tools import ToolError
        from qwen_tui.ui.screens.undo_text import restore_summary

        if self._busy_for("/undo") or self.checkpoints is None:
            return
        self.path_index = None
        try:
            report = await self.checkpoints.undo_async()
        except ToolError as error:
            self.note(str(error), severity="warning")
            return
        self.note(restore_summary(report))

    async def action_rewind(self, argument: str = "") -> None:
        """``/rewind [ID]``: list the checkpoints, or go back to one."""
        from qwen_tui.tools import ToolError
        from qwen_tui.ui.screens.undo_text import history_listing, restore_summary

        if self._busy_for("/rewind") or self.checkpoints is None:
            return
        self.path_index = None
        wanted = argument.strip()
        try:
            if not wanted:
                self.note(history_listing(await self.checkpoints.list_async()))
                return
            report = await self.checkpoints.rewind_async(wanted)
        except ToolError as error:
            self.note(str(error), severity="warning")
            return
        self.note(restore_summary(report, "Rewound"))

    def _busy_for(self, command: str) -> bool:
        """Whether ``command`` must wait: an answer is running, or nothing is connected
        yet (said so)."""
        if self._answer_running():
            self.note(f"Stop the answer first (Esc), then {command}.", severity="warning")
            return True
        if self.checkpoints is None:
            self.note(f"Nothing to undo yet: {command} works once connected.")
            return True
        return False

    def _answer_running(self) -> bool:
        return self._turn is not None

    def action_approval_mode(self, argument: str = "") -> None:
        """``/approval-mode [mode]``: set it, or show the current one and the choices."""
        chosen = argument.strip().lower()
        if not chosen:
            lines = [f"Approval mode: {self.mode}. Choices (Shift+Tab cycles):"]
            lines += [f"  {mode:<10}{MODE_NOTES[mode]}" for mode in MODES]
            lines.append(self._sandbox_line())
            self.note("\n".join(lines))
            return
        mode = _mode(chosen)
        if mode is None:
            self.note(
                f"Unknown approval mode {chosen!r}; choose {', '.join(MODES)}.",
                severity="error",
            )
            return
        self.set_mode(mode)
        self.note(f"Approval mode: {mode} ({MODE_NOTES[mode]}).")

    async def _ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        """Ask in the transcript, under the call's widget; the prompt keeps its text."""
        from qwen_tui.agent.approval import command_prefix
        from qwen_tui.ui.widgets.approval import ApprovalPrompt

        prefix = command_prefix(request.command) if request.command else None
        rule = " ".join(prefix.prefix) if prefix else None
        prompt = ApprovalPrompt(request, rule=rule, unsandboxed=not self.sandboxed)
        call_widget = self._turn.calls.get(request.call.id) if self._turn else None
        if call_widget is not None:
            call_widget.show_state("asking")
        transcript = self.query_one(Transcript)
        await transcript.mount(prompt)
        transcript.resume_following()
        prompt.focus()
        keys = "y / n" if prompt.unsandboxed else "y / a / s / n"
        self._set_status(f"waiting for your answer ({keys}, Esc stops)")
        try:
            answer = await prompt.answer
            if answer.choice == "save":
                self._save_rule(str(prefix) if prefix else request.call.name)
            return answer
        finally:
            prompt.remove()
            if call_widget is not None and call_widget.state == "asking":
                call_widget.show_state("running")
            self._set_status("answering… (Esc to stop)")

    def _save_rule(self, rule: str) -> None:
        """``s`` on an approval: the rule goes to settings.json for the next sessions
        too; if it cannot be saved it still holds for this one, and the note says so."""
        from qwen_tui.config import SettingsWriteError

        try:
            self.services.remember_allowed_tool(rule)
        except SettingsWriteError as error:
            self.note(f"{error} {rule} is allowed for this session only.", severity="error")
            return
        self.note(f"Saved in settings: {rule} runs without asking (tools.allowed).")

    async def on_approval_prompt_answered(self, message: ApprovalPrompt.Answered) -> None:
        """An approval question was answered: the prompt gets the focus back; Esc also
        stops the turn (the screen's ``stop`` action: it owns the worker)."""
        self.query_one(PromptInput).focus()
        if message.stop_turn:
            await self.run_action("stop")

    # ----- one answer --------------------------------------------------------------

    async def _answer(self, prompt: str | None = None) -> None:
        """Run the agent on the conversation up to the last prompt, showing and saving
        what it says and does; with ``prompt``, add it first (its ``@path`` files read
        in a thread, so a big one does not hold up the keys).

        Whatever happens (finish, failure, Esc), what arrived stays on screen and is
        written to the session, marked partial unless the server finished it.
        """
        from qwen_tui.agent.instructions import system_prompt

        assert self.chat is not None and self.agent is not None
        agent = self.agent
        if prompt is not None:
            await self._add_prompt(prompt)
        # Read anew each time: the mode may have changed, and QWEN.md may have.
        agent.system_prompt = await asyncio.to_thread(
            system_prompt, agent.toolbox.workspace, self.mode
        )
        self.request_overhead = agent.overhead_tokens()
        session = self.session  # /clear or /resume may switch sessions meanwhile
        widget = AssistantMessage(model=agent.chat.model)
        await self.query_one(Transcript).mount(widget)
        turn = self._turn = _Turn(session, widget, agent.chat.model)
        timer = self.set_interval(FRAME_SECONDS, lambda: turn.widget.flush())
        started = time.monotonic()
        # Up to the last prompt: a retry must not send the answer it replaces.
        asked = last_user_index(session.messages)
        history = list(session.messages[: (asked or 0) + 1])
        self._set_status("answering… (Esc to stop)")
        try:
            for attempt in range(AUTO_RETRY_ATTEMPTS + 1):
                turn.failure = None
                async for event in agent.run(history):
                    await self._show_event(turn, event)
                failure = turn.failure
                if not self._should_wait_and_retry(failure, turn.widget, attempt):
                    break
                assert failure is not None and failure.retry_after is not None
                if history and history[-1].role == "assistant" and history[-1].error:
                    history.pop()  # the failed request's empty answer is not sent again
                await self._count_down(turn.widget, failure.retry_after)
        except asyncio.CancelledError:
            self._stopped(turn)
            raise
        finally:
            timer.stop()
            self._turn = None
            self.path_index = None
            self.refresh_bindings()
        turn.widget.flush(final=True)
        if turn.failure is not None:
            self._last_failure = turn.failure
            turn.widget.show_notice(failure_text(turn.failure))
        if turn.usage is not None:
            self._last_usage = turn.usage
        self._set_status(self._elapsed_text(time.monotonic() - started))

    async def _add_prompt(self, text: str) -> None:
        """Save a typed prompt with its ``@path`` attachments (see
        :mod:`qwen_tui.agent.mentions`); notes say what was attached and what was not."""
        sent = text
        if "@" in text and self.agent is not None:
            from qwen_tui.agent.mentions import expand_mentions

            expanded = await asyncio.to_thread(expand_mentions, text, self.agent.toolbox.workspace)
            sent = expanded.text
            for note in expanded.notes:
                self.note(note, severity="warning")
            if expanded.attachments:
                names = ", ".join(a.path for a in expanded.attachments)
                self.note(f"Attached: {names}.")
        self._save(ChatMessage("user", sent))

    async def compress(self) -> None:
        """``/compress``: replace the older turns by a summary the model writes (see
        :mod:`qwen_tui.chat.compress`), saved in the session; says what it did."""
        from qwen_tui.agent.instructions import system_prompt
        from qwen_tui.chat.compress import CompressFailed, NothingToCompress, compress_conversation
        from qwen_tui.chat.sessions import SessionError
        from qwen_tui.chat.tokens import short_count

        if self.chat is None:
            self.note("Not connected yet: /compress works once connected.")
            return
        session = self.session
        instructions = None
        if self.agent is not None:
            instructions = await asyncio.to_thread(
                system_prompt, self.agent.toolbox.workspace, self.mode
            )
        self._set_status("compressing… (Esc to stop)")
        try:
            done = await compress_conversation(
                self.chat,
                session.messages,
                system_prompt=instructions,
                context_window=self.context_use().window,
            )
        except NothingToCompress as error:
            self.note(str(error))
            self._set_status("")
            return
        except CompressFailed as error:
            self.note(f"Not compressed: {failure_text(error.failure)}", severity="error")
            self._set_status("")
            return
        except asyncio.CancelledError:
            self._set_status("stopped")
            raise
        try:
            session.compress(done.replaced, done.summary)
        except SessionError as error:
            self._not_saved(error)
        turns = "turn" if done.turns_replaced == 1 else "turns"
        self.note(
            f"Compressed: {done.turns_replaced} earlier {turns} ({done.replaced} messages) "
            f"replaced by the model's summary; the last turns are kept as they were. "
            f"Context ~{short_count(done.tokens_before)} → ~{short_count(done.tokens_after)} "
            f"tokens.\n\n{done.summary[0].content}"
        )
        self._set_status("")

    async def _show_event(self, turn: _Turn, event: object) -> None:
        from qwen_tui.agent.events import (
            AgentStopped,
            MessageAdded,
            ToolFinished,
            ToolsUnavailable,
        )

        if isinstance(event, TextDelta):
            (await self._live(turn)).append_text(event.text)
        elif isinstance(event, ReasoningDelta):
            (await self._live(turn)).append_reasoning(event.text)
        elif isinstance(event, UsageReport):
            turn.usage = Usage(event.prompt_tokens, event.completion_tokens)
        elif isinstance(event, ChatFailure):
            turn.failure = event
            await self._live(turn)  # its notice goes under this request's answer
        elif isinstance(event, ToolCallsRequested):
            await self._show_calls(turn, event.calls)
        elif isinstance(event, ToolFinished):
            self._call_finished(turn, event)
        elif isinstance(event, MessageAdded):
            self._added(turn, event.message)
        elif isinstance(event, ToolsUnavailable):
            if not self._tools_note_shown:
                self._tools_note_shown = True
                self.note(event.message, severity="warning")
        elif isinstance(event, AgentStopped) and event.reason == "turn_limit":
            self.note(
                f"Stopped after {event.turns} model requests (tools.maxTurns). "
                "Send a prompt to go on.",
                severity="warning",
            )

    async def _live(self, turn: _Turn) -> AssistantMessage:
        """The widget new text goes into: a new one after the last was saved."""
        if turn.saved:
            turn.widget.flush(final=True)
            turn.widget = AssistantMessage(model=turn.model)
            turn.saved = False
            await self.query_one(Transcript).mount(turn.widget)
        return turn.widget

    async def _show_calls(self, turn: _Turn, calls: tuple[ToolCall, ...]) -> None:
        """A widget per call, in the order they run; the first is running."""
        turn.widget.flush(final=True)
        widgets = []
        for call in calls:
            widget = ToolCallWidget(_title(call), "queued")
            turn.calls[call.id] = widget
            widgets.append(widget)
        transcript = self.query_one(Transcript)
        await transcript.mount_all(widgets)
        if not (turn.widget.text or turn.widget.reasoning):
            await turn.widget.remove()  # an answer with calls only: no empty box
        if widgets:
            widgets[0].show_state("running")
        transcript.resume_following()

    def _call_finished(self, turn: _Turn, event: ToolFinished) -> None:
        widget = turn.calls.pop(event.call.id, None)
        if widget is None:
            return
        state = finished_state(event.ok, event.decision == "refused")
        widget.finish(state, event.output, event.diff)
        following = next(iter(turn.calls.values()), None)
        if following is not None:
            following.show_state("running")

    def _added(self, turn: _Turn, message: ChatMessage) -> None:
        """Save what the loop added; a failed request's empty answer is only a notice."""
        if message.role == "assistant":
            if not (message.content or message.reasoning or message.tool_calls):
                return
            turn.saved = True
            if turn.failure is not None:
                message = dataclasses.replace(message, error=failure_text(turn.failure))
        self._save(message, turn.session)

    def _stopped(self, turn: _Turn) -> None:
        """Esc: keep what arrived, mark the calls that did not end, save the partial text."""
        for call_widget in turn.calls.values():
            call_widget.finish("stopped", "Stopped before it ended.")
        turn.calls.clear()
        stopped = "Stopped. What arrived is kept; Ctrl+R asks again."
        widget = turn.widget
        widget.flush(final=True)
        if turn.saved or not widget.is_mounted:
            self.note(stopped, severity="warning")
        else:
            widget.show_notice(stopped, severity="warning")
            if widget.text or widget.reasoning:
                self._save(
                    ChatMessage(
                        "assistant",
                        widget.text,
                        reasoning=widget.reasoning,
                        partial=True,
                        model=turn.model,
                        usage=turn.usage,
                        error="stopped",
                    ),
                    turn.session,
                )
        if turn.usage is not None:
            self._last_usage = turn.usage
        self._set_status("stopped")

    def _elapsed_text(self, seconds: float) -> str:
        """How long the answer took, for the status line (one place, for tests)."""
        return f"{seconds:.1f} s"

    def _should_wait_and_retry(
        self, failure: ChatFailure | None, widget: AssistantMessage, attempt: int
    ) -> bool:
        """Wait and retry on our own only when the server said how long, briefly, and
        nothing of the answer arrived yet (so nothing on screen is thrown away)."""
        wait = INTERACTIVE_WAITS.wait_before_retry(
            failure, attempt=attempt, answered=bool(widget.text)
        )
        return wait is not None

    async def _count_down(self, widget: AssistantMessage, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            widget.show_notice(
                f"Rate limited by the server; retrying in {left:.0f} s (Esc to cancel).",
                severity="warning",
            )
            await asyncio.sleep(min(1.0, left))
        widget.show_notice("", severity="warning")


def _mode(text: str | None) -> ApprovalMode | None:
    return next((mode for mode in MODES if mode == text), None)


def _title(call: ToolCall) -> str:
    from qwen_tui.tools.catalogue import call_title, parse_arguments
    from qwen_tui.tools.errors import ToolError

    try:
        return call_title(call.name, parse_arguments(call.name, call.arguments))
    except ToolError:
        return call.name
