"""What the agent loop yields besides the chat's own events: tool calls and their ends.

Front ends (the chat screen, ``-p``) show these; none of them carries a secret, and
none is parsed from text: the loop decides, the front end only presents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from qwen_tui.chat.events import ChatEvent, ToolCall
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.tools.catalogue import ToolKind
from qwen_tui.tools.changes import PendingChange

ToolDecision = Literal["approved", "auto", "refused"]
StopReason = Literal["done", "turn_limit", "failed", "refused"]


@dataclass(frozen=True)
class ApprovalRequest:
    """A call that needs the user's yes, with exactly what it will do.

    Attributes:
        call: the call as the model made it.
        kind: ``edit`` or ``execute``.
        change: for an edit or write, the prepared change (its diff is what is written).
        command: for a shell call, the command line.
        folder: for a shell call, where it runs (relative to the workspace).
        description: the model's own one-line reason, if it gave one.
        server: for an MCP tool, the server it belongs to.
        arguments: for an MCP tool, the arguments it is called with (JSON).
    """

    call: ToolCall
    kind: ToolKind
    change: PendingChange | None = None
    command: str | None = None
    folder: str | None = None
    description: str | None = None
    server: str | None = None
    arguments: str | None = None


@dataclass(frozen=True)
class ApprovalAnswer:
    """The user's answer: once, always (this session; ``save``: and in settings, which
    the front end writes), or no with a reason for the model."""

    choice: Literal["once", "always", "save", "no"]
    reason: str = ""


@dataclass(frozen=True)
class ToolStarted:
    """A call is about to run (after its approval, if it needed one)."""

    call: ToolCall
    title: str


@dataclass(frozen=True)
class ToolFinished:
    """A call ended; ``output`` is what the model is told.

    Attributes:
        call: the call.
        title: a one-line summary for the transcript ("edit src/a.py").
        decision: approved by the user, run automatically, or refused.
        ok: whether it did what it was asked (a refusal or an error is not ok).
        output: the result text sent to the model.
        diff: for a change that was written, its unified diff.
        seconds: how long it ran.
    """

    call: ToolCall
    title: str
    decision: ToolDecision
    ok: bool
    output: str
    diff: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class MessageAdded:
    """A message the loop added to the conversation: save it with the session."""

    message: ChatMessage


@dataclass(frozen=True)
class ToolsUnavailable:
    """The model refused the tools; the conversation goes on as a plain chat."""

    message: str


@dataclass(frozen=True)
class AgentStopped:
    """The loop ended: the model answered without tools, or a limit or failure stopped it."""

    reason: StopReason
    turns: int


AgentEvent = ChatEvent | ToolStarted | ToolFinished | MessageAdded | ToolsUnavailable | AgentStopped
