"""The approval question, asked in the transcript where the conversation stays visible.

It stands under the call's :class:`~qwen_tui.ui.widgets.tool_call.ToolCallWidget` and
shows exactly what the call will do (an edit's diff, a command with its folder and
the model's reason) and resolves a future the agent's ``ask`` awaits: ``y`` once,
``a`` always for this session, ``s`` always and saved in settings (``tools.allowed``),
``n`` no with an optional reason for the model, Esc no and stop the turn. Everything
shown came from the model or the files: literal text.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from qwen_tui.agent.events import ApprovalAnswer, ApprovalRequest
from qwen_tui.text import neutralise
from qwen_tui.ui.widgets.tool_call import diff_text

KEYS_TEXT = "y yes · a always this session · s always, saved · n no (say why) · Esc stop"
KEYS_TEXT_SHELL = (
    "y yes · a always “{prefix}” this session · s always, saved · n no (say why) · Esc stop"
)
KEYS_TEXT_UNSANDBOXED = "y yes, unsandboxed · n no (say why) · Esc stop"


def request_body(request: ApprovalRequest) -> Text:
    """What the call will do: the diff of what will be written, or the command."""
    if request.change is not None:
        return diff_text(request.change.diff())
    body = Text()
    if request.server is not None:
        body.append(neutralise(request.call.name), style="bold")
        body.append(f"\n{neutralise(request.arguments or '{}')}")
        body.append(f"\na tool of the MCP server {neutralise(request.server)}", style="dim")
        return body
    body.append("$ ", style="bold")
    body.append(neutralise(request.command or ""), style="bold")
    body.append(f"\nin {neutralise(request.folder or '.')}", style="dim")
    if request.description:
        body.append(f"\n{neutralise(request.description)}", style="italic")
    return body


class ApprovalPrompt(Vertical, can_focus=True):
    """Asks whether one call may run; the answer resolves :attr:`answer`."""

    BINDINGS = [
        Binding("y", "answer('once')", "Yes"),
        Binding("a", "answer('always')", "Always"),
        Binding("s", "answer('save')", "Always, saved"),
        Binding("n", "refuse", "No"),
        Binding("escape", "stop", "No, stop"),
    ]

    class Answered(Message):
        """The user answered (the screen gives the prompt its focus back)."""

        def __init__(self, prompt: ApprovalPrompt, stop_turn: bool) -> None:
            super().__init__()
            self.prompt = prompt
            self.stop_turn = stop_turn

    def __init__(
        self, request: ApprovalRequest, *, rule: str | None = None, unsandboxed: bool = False
    ) -> None:
        """``unsandboxed``: the command would run without a sandbox, so there is no
        "always" (every such command is asked) and the title says so."""
        super().__init__(classes="approval-prompt")
        self.request = request
        self.answer: asyncio.Future[ApprovalAnswer] = asyncio.get_running_loop().create_future()
        self.unsandboxed = unsandboxed and request.change is None and request.server is None
        if request.change is not None:
            self.border_title = "Allow this edit?"
        elif request.server:
            self.border_title = "Allow this MCP tool?"
        elif self.unsandboxed:
            self.border_title = "Allow this command, unsandboxed?"
        else:
            self.border_title = "Allow this command?"
        if self.unsandboxed:
            keys = KEYS_TEXT_UNSANDBOXED
        else:
            keys = KEYS_TEXT_SHELL.format(prefix=neutralise(rule)) if rule else KEYS_TEXT
        self._keys = Static(Text(keys, style="bold"), classes="approval-keys")
        self._reason = Input(placeholder="Why not? (Enter sends; empty: no reason)")

    def compose(self) -> ComposeResult:
        yield Static(request_body(self.request), classes="approval-body")
        yield self._keys
        yield self._reason

    def on_mount(self) -> None:
        self._reason.display = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No "always" keys (nor their footer entries) for an unsandboxed command."""
        always = parameters in (("always",), ("save",))
        return not (self.unsandboxed and action == "answer" and always)

    def action_answer(self, choice: str) -> None:
        kept: dict[str, Literal["always", "save"]] = {"always": "always", "save": "save"}
        chosen: Literal["once", "always", "save"] = (
            "once" if self.unsandboxed else kept.get(choice, "once")
        )
        self._resolve(ApprovalAnswer(chosen))

    def action_refuse(self) -> None:
        """No: ask for a reason the model is told (Enter sends it, empty is none)."""
        if self.answer.done():
            return
        self._keys.update(Text("No: why not? Enter sends (empty: no reason).", style="bold"))
        self._reason.display = True
        self._reason.focus()

    def action_stop(self) -> None:
        self._resolve(ApprovalAnswer("no"), stop=True)

    @on(Input.Submitted)
    def _reason_given(self, event: Input.Submitted) -> None:
        event.stop()
        self._resolve(ApprovalAnswer("no", event.value.strip()))

    def _resolve(self, answer: ApprovalAnswer, *, stop: bool = False) -> None:
        if self.answer.done():
            return
        self.answer.set_result(answer)
        words = {
            "once": "allowed once",
            "always": "allowed for this session",
            "save": "allowed, and saved in settings (tools.allowed)",
            "no": "refused",
        }
        said = words[answer.choice] + (f": {answer.reason}" if answer.reason else "")
        self._keys.update(Text(neutralise(said), style="italic"))
        self._reason.display = False
        self.can_focus = False
        self.post_message(self.Answered(self, stop))
