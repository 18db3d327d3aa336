"""How ``-p`` shows the coding agent's work: tool lines, stream-json events, questions.

The answer alone goes to stdout in text mode, so a pipe gets only what the model said;
each tool call is one line on stderr (``● edit calc.py`` and how it ended), with the diff
of a change written there too. ``--output-format stream-json`` writes one JSON object a
line on stdout as things happen. Everything from outside (tool output, file contents,
the model's arguments) goes through the same neutralising as the answer.

A call that needs approval is asked on the terminal when there is one (stdin and stderr
both terminals): the request, its diff or command, then ``[y]es / [a]lways / [n]o``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, TextIO

from qwen_tui.agent.events import ApprovalAnswer, ApprovalRequest, ToolFinished, ToolStarted
from qwen_tui.text import neutralise, neutralise_json

MAX_SHOWN_OUTPUT = 2000
"""Characters of a tool's output repeated on stderr (the model gets more)."""


def tool_line(event: ToolFinished) -> str:
    """The stderr line for a finished call."""
    if event.decision == "refused":
        state = "refused"
    elif not event.ok:
        state = "failed"
    else:
        state = "approved" if event.decision == "approved" else "done"
    return neutralise(f"● {event.title} ({state}, {event.seconds:.1f} s)")


def tool_record(event: ToolFinished) -> dict[str, Any]:
    """A finished call for ``--output-format json`` and ``stream-json``."""
    try:
        arguments: Any = json.loads(event.call.arguments)
    except ValueError:
        arguments = event.call.arguments
    return {
        "id": event.call.id,
        "name": event.call.name,
        "arguments": arguments,
        "decision": event.decision,
        "ok": event.ok,
        "output": event.output,
        "diff": event.diff,
    }


@dataclass
class StreamJson:
    """``--output-format stream-json``: one event a line, flushed at once."""

    out: TextIO
    raw: bool = False

    def write(self, kind: str, **fields: Any) -> None:
        text = json.dumps({"type": kind, **fields}, ensure_ascii=False)
        self.out.write((text if self.raw else neutralise_json(text)) + "\n")
        self.out.flush()

    def started(self, event: ToolStarted) -> None:
        self.write("tool_call", id=event.call.id, name=event.call.name, title=event.title)

    def finished(self, event: ToolFinished) -> None:
        self.write("tool_result", **tool_record(event))


@dataclass
class TerminalAsker:
    """Asks on the terminal: the request on ``err``, the answer from ``read``.

    ``sandboxed``: whether shell commands run in a sandbox; without one a command is
    asked every time (see :mod:`qwen_tui.agent.approval`), so "always" is not offered.
    """

    err: TextIO
    read: Any = field(default=input)
    sandboxed: bool = True

    async def __call__(self, request: ApprovalRequest) -> ApprovalAnswer:
        lines = [f"qwen-tui: the model asks to {request.call.name}:"]
        if request.change is not None:
            lines.append(request.change.diff().rstrip("\n"))
        if request.command is not None:
            lines.append(f"  $ {request.command}")
            lines.append(f"  in {request.folder}")
            if request.description:
                lines.append(f"  ({request.description})")
        if request.server is not None:
            lines.append(f"  a tool of the MCP server {request.server}, with {request.arguments}")
        for line in lines:
            print(neutralise(line), file=self.err)
        unsandboxed = request.command is not None and not self.sandboxed
        question = (
            "Allow, unsandboxed? [y]es once / [n]o: "
            if unsandboxed
            else "Allow? [y]es once / [a]lways this session / [n]o: "
        )
        while True:
            print(question, end="", file=self.err)
            self.err.flush()
            try:
                reply = (await asyncio.to_thread(self.read)).strip().lower()
            except EOFError:
                return ApprovalAnswer("no", "no answer was given")
            if reply in ("y", "yes"):
                return ApprovalAnswer("once")
            if reply in ("a", "always") and not unsandboxed:
                return ApprovalAnswer("always")
            if reply in ("n", "no"):
                print("Why not? (sent to the model; Enter to skip): ", end="", file=self.err)
                self.err.flush()
                try:
                    reason = await asyncio.to_thread(self.read)
                except EOFError:
                    reason = ""
                return ApprovalAnswer("no", reason.strip())


def shown_output(text: str) -> str:
    """A tool's output as repeated on stderr: neutralised and cut."""
    if len(text) > MAX_SHOWN_OUTPUT:
        text = text[:MAX_SHOWN_OUTPUT] + f"… ({len(text) - MAX_SHOWN_OUTPUT} more characters)"
    return neutralise(text)
