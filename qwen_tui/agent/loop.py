"""The tool loop: ask the model, run the calls it makes (as the approval policy says),
send the results back, until it answers without calls or the turn limit is reached.

One loop for the chat screen and for ``-p``: they differ only in how they ask for
approval (a prompt in the transcript, a question on the terminal, or no one to ask)
and in how they show the events. Every call ends with a result for the model, also
a refused or failed one, so the conversation stays valid and the model can adapt.
File work runs in a thread, so a big read or write never holds up the screen.
An MCP server's tool (``server__tool``) goes through the same approval, undo checkpoint
and telemetry (as the closed name ``mcp``) as a built-in tool of its kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qwen_tui.agent.approval import ApprovalPolicy, Rule, command_prefix
from qwen_tui.agent.events import (
    AgentEvent,
    AgentStopped,
    ApprovalAnswer,
    ApprovalRequest,
    MessageAdded,
    ToolDecision,
    ToolFinished,
    ToolStarted,
    ToolsUnavailable,
)
from qwen_tui.chat.answer import AnswerAccumulator
from qwen_tui.chat.conversation import api_messages
from qwen_tui.chat.events import (
    ChatFailure,
    ToolCall,
)
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.tokens import estimate_tokens
from qwen_tui.mcp_servers import McpServers, McpTool
from qwen_tui.mcp_servers import parse_arguments as parse_mcp_arguments
from qwen_tui.tools.catalogue import BY_NAME, SPECS, Toolbox, call_title, parse_arguments
from qwen_tui.tools.errors import ToolError

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from qwen_tui.chat.service import ChatService

DEFAULT_MAX_TURNS = 50
_TOOLS_TOKENS = estimate_tokens(json.dumps([spec.schema() for spec in SPECS]))
"""The tools' definitions, as every request offers them (estimated once)."""
MAX_RESULT_CHARS = 60_000
"""A tool result longer than this is cut before it is sent: the model's context is
finite, and the start and end of an output say the most."""

Asker = Callable[[ApprovalRequest], Awaitable[ApprovalAnswer]]
BeforeChange = Callable[[str], Awaitable[None]]

NO_ONE_TO_ASK = (
    "This call needs the user's approval, and this run cannot ask (no terminal). "
    "It was not run. The user can allow it with --approval-mode auto-edit or yolo."
)
TOOLS_REFUSED = (
    "This model does not accept tools, so it cannot read or change the project; "
    "the conversation goes on as a plain chat."
)


@dataclass
class Agent:
    """The loop for one conversation.

    Attributes:
        chat: the provider connection.
        toolbox: the tools, bound to the workspace.
        policy: the approval mode and rules (changed by the user between turns).
        ask: how to ask the user; ``None`` when no one can answer (refused, exit 4).
        before_change: awaited before each changing call with its title (the undo
            checkpoint); a :class:`ToolError` from it stops the call, unrun.
        max_turns: model requests per user prompt before the loop stops.
        system_prompt: sent first (project instructions).
        mcp: the MCP servers whose ready tools are offered beside the built-in ones.
    """

    chat: ChatService
    toolbox: Toolbox
    policy: ApprovalPolicy
    ask: Asker | None = None
    before_change: BeforeChange | None = None
    max_turns: int = DEFAULT_MAX_TURNS
    system_prompt: str | None = None
    tools_supported: bool = True
    mcp: McpServers | None = None
    refused_without_asking: bool = field(default=False, init=False)
    """Set when a call needed approval and there was no one to ask (exit code 4)."""

    async def run(self, history: list[ChatMessage]) -> AsyncGenerator[AgentEvent, None]:
        """Answer the last user message of ``history``, appending what is said.

        ``history`` grows by the answers and tool results (each also yielded as a
        :class:`MessageAdded`); chat events pass through as they stream.
        """
        turns = 0
        while True:
            if turns == self.max_turns:
                yield AgentStopped("turn_limit", turns)
                return
            turns += 1
            answer = AnswerAccumulator()
            async with contextlib.aclosing(self._ask_model(history)) as asked:
                async for event in asked:
                    if not isinstance(event, ToolsUnavailable):
                        answer.feed(event)
                    yield event
            failure = answer.failure
            message = answer.message(self.chat.model)
            if message is not None:
                history.append(message)
                yield MessageAdded(message)
            if failure is not None or not answer.finished:
                yield AgentStopped("failed", turns)
                return
            if not answer.calls:
                yield AgentStopped("done", turns)
                return
            for call in answer.calls:
                finished: ToolFinished | None = None
                async with contextlib.aclosing(self._run_call(call)) as steps:
                    async for step in steps:
                        yield step
                        if isinstance(step, ToolFinished):
                            finished = step
                assert finished is not None
                result = ChatMessage(
                    "tool",
                    _cut(finished.output),
                    tool_call_id=call.id,
                    tool_name=call.name,
                    diff=finished.diff,
                )
                history.append(result)
                yield MessageAdded(result)

    def overhead_tokens(self) -> int:
        """Tokens each request sends besides the conversation: the system prompt and
        the tools' definitions (estimated; see :mod:`qwen_tui.chat.tokens`)."""
        tools = _TOOLS_TOKENS if self.tools_supported else 0
        return estimate_tokens(self.system_prompt or "") + tools

    async def _ask_model(self, history: list[ChatMessage]) -> AsyncGenerator[Any, None]:
        messages = api_messages(history, system_prompt=self.system_prompt)
        tools = None
        if self.tools_supported:
            tools = [spec.schema() for spec in SPECS]
            tools += [tool.schema() for tool in self.mcp.tools()] if self.mcp else []
        buffered: list[Any] = []
        async with contextlib.aclosing(self.chat.stream(messages, tools=tools)) as events:
            async for event in events:
                if tools and _refuses_tools(event, buffered):
                    self.tools_supported = False
                    break
                buffered.append(event)
                yield event
            else:
                return
        yield ToolsUnavailable(TOOLS_REFUSED)
        async with contextlib.aclosing(self.chat.stream(messages)) as retry:
            async for event in retry:
                yield event

    async def _run_call(self, call: ToolCall) -> AsyncGenerator[AgentEvent, None]:
        """Decide (and ask), say :class:`ToolStarted` when the call really starts, run it,
        and end with :class:`ToolFinished` whatever happened."""
        started = time.monotonic()
        title = call.name
        mcp_tool = self.mcp.find(call.name) if self.mcp and call.name not in BY_NAME else None
        try:
            if mcp_tool is not None:
                arguments = parse_mcp_arguments(mcp_tool, call.arguments)
                step = await self._decide_mcp(call, mcp_tool, arguments)
            else:
                arguments = parse_arguments(call.name, call.arguments)
                title = call_title(call.name, arguments)
                step = await self._decide(call, arguments, title)
            if isinstance(step, _Outcome):
                outcome = step
            else:
                yield ToolStarted(call, title)
                outcome = await step.run()
        except ToolError as error:
            outcome = _Outcome("auto", False, f"Error: {error}")
        except OSError as error:
            outcome = _Outcome("auto", False, f"Error: {error.strerror or error}")
        except Exception as error:  # a fault in a tool ends this call, not the session
            _log.exception("tool %s failed unexpectedly", call.name)
            outcome = _Outcome(
                "auto", False, f"Error: the tool failed unexpectedly ({type(error).__name__})."
            )
        seconds = time.monotonic() - started
        counted = "mcp" if mcp_tool is not None else call.name
        self.chat.record_tool(counted, outcome.decision, seconds, outcome.ok)
        yield ToolFinished(
            call, title, outcome.decision, outcome.ok, outcome.output, outcome.diff, seconds
        )

    async def _decide(
        self, call: ToolCall, arguments: dict[str, Any], title: str
    ) -> _Outcome | _Go:
        """A refusal (the policy's or the user's), or the call cleared to run."""
        spec = BY_NAME[call.name]
        command = arguments.get("command") if spec.kind == "execute" else None
        verdict = self.policy.decide(call.name, command)
        if verdict == "refuse":
            return _Outcome("refused", False, self.policy.why_refused(call.name, command))
        toolbox = self.toolbox
        if spec.kind == "read":

            async def read() -> _Outcome:
                output = await asyncio.to_thread(toolbox.run_read, call.name, arguments)
                return _Outcome("auto", True, output)

            return _Go(read)
        change = None
        request: ApprovalRequest
        if spec.kind == "edit":
            change = await asyncio.to_thread(toolbox.prepare_change, call.name, arguments)
            request = ApprovalRequest(call, "edit", change=change)
        else:
            folder = toolbox.shell_folder(arguments)
            request = ApprovalRequest(
                call,
                "execute",
                command=command,
                folder=folder,
                description=arguments.get("description"),
            )
        decision = await self._approval(verdict, request, command)
        if isinstance(decision, _Outcome):
            return decision

        async def change_or_run() -> _Outcome:
            refused = await self._checkpoint(title, decision)
            if refused is not None:
                return refused
            if change is not None:
                output = await asyncio.to_thread(change.apply)
                return _Outcome(decision, True, output, change.diff())
            outcome, output = await toolbox.run_shell(arguments)
            ok = outcome.exit_code == 0 and not outcome.timed_out
            return _Outcome(decision, ok, output)

        return _Go(change_or_run)

    async def _decide_mcp(
        self, call: ToolCall, tool: McpTool, arguments: dict[str, Any]
    ) -> _Outcome | _Go:
        """As :meth:`_decide`, for an MCP server's tool: a changing one is asked like a
        command, and a checkpoint is taken before it runs (it may change files)."""
        assert self.mcp is not None
        servers = self.mcp
        verdict = self.policy.decide(call.name, kind=tool.kind)
        if verdict == "refuse":
            return _Outcome("refused", False, self.policy.why_refused(call.name, kind=tool.kind))
        shown = json.dumps(arguments, ensure_ascii=False)
        request = ApprovalRequest(call, tool.kind, server=tool.server, arguments=shown)
        decision = await self._approval(verdict, request, None)
        if isinstance(decision, _Outcome):
            return decision

        async def run() -> _Outcome:
            if tool.kind != "read":
                refused = await self._checkpoint(call.name, decision)
                if refused is not None:
                    return refused
            outcome = await servers.call(tool, arguments)
            return _Outcome(decision, outcome.ok, outcome.text)

        return _Go(run)

    async def _approval(
        self, verdict: str, request: ApprovalRequest, command: str | None
    ) -> ToolDecision | _Outcome:
        """Ask when the policy says so: the decision, or the refusal to report."""
        if verdict != "ask":
            return "auto"
        if self.ask is None:
            self.refused_without_asking = True
            return _Outcome("refused", False, NO_ONE_TO_ASK)
        answer = await self.ask(request)
        if answer.choice == "no":
            reason = f" The user said: {answer.reason}" if answer.reason.strip() else ""
            return _Outcome("refused", False, f"The user refused this call.{reason}")
        if answer.choice in ("always", "save"):
            rule = command_prefix(command) if command else Rule(request.call.name)
            self.policy.allow_for_session(rule)
        return "approved"

    async def _checkpoint(self, title: str, decision: ToolDecision) -> _Outcome | None:
        """The undo checkpoint before a change; the refusal when it cannot be taken."""
        if self.before_change is None:
            return None
        try:
            await self.before_change(title)
        except ToolError as error:
            return _Outcome(decision, False, f"Error: {error} The change was not made.")
        return None


@dataclass(frozen=True)
class _Go:
    """A call cleared to run: ``run`` does it."""

    run: Callable[[], Awaitable[_Outcome]]


@dataclass
class _Outcome:
    decision: ToolDecision
    ok: bool
    output: str
    diff: str | None = None


def _refuses_tools(event: object, before: list[Any]) -> bool:
    """Whether the first answer to a request with tools is a 400 about them."""
    return (
        isinstance(event, ChatFailure)
        and not before
        and event.status == 400
        and "tool" in event.message.lower()
    )


def _cut(output: str) -> str:
    if len(output) <= MAX_RESULT_CHARS:
        return output
    head = output[: MAX_RESULT_CHARS // 3]
    tail = output[-(MAX_RESULT_CHARS - len(head)) :]
    omitted = len(output) - len(head) - len(tail)
    return f"{head}\n[… {omitted} characters cut before sending …]\n{tail}"
