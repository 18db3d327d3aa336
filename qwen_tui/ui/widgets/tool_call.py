"""A tool call in the transcript: one title line, its state, and its output or diff.

The output is the tool's (file contents, a command's output, a diff of a file the
model wrote): untrusted text. It is shown literally, controls neutralised, and the
colours of a diff come from styles put on the lines here, never from markup in it.
"""

from __future__ import annotations

import json
from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from qwen_tui.text import neutralise

ToolState = Literal["queued", "running", "asking", "done", "failed", "refused", "stopped"]
SHOWN_LINES = 12
"""Lines of a call's output (or diff) shown; the rest is counted, not drawn: the model
got all of it, the transcript only needs the gist."""

_STATE_TEXT: dict[ToolState, str] = {
    "queued": "queued",
    "running": "running…",
    "asking": "waits for your answer",
    "stopped": "stopped",
    "done": "done",
    "failed": "failed",
    "refused": "refused",
}


def diff_text(diff: str, *, limit: int | None = None) -> Text:
    """A unified diff, additions green and removals red, its text neutralised.

    ``limit``: at most this many lines, then one line that counts the rest.
    """
    lines = neutralise(diff.rstrip("\n")).split("\n")
    shown = lines if limit is None else lines[:limit]
    text = Text(no_wrap=False)
    for index, line in enumerate(shown):
        if index:
            text.append("\n")
        text.append(line, style=_diff_style(line))
    if len(shown) < len(lines):
        text.append(f"\n… {len(lines) - len(shown)} more lines", style="dim")
    return text


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    if line.startswith("@@"):
        return "cyan"
    return ""


def output_text(output: str, *, limit: int = SHOWN_LINES) -> Text:
    """The first ``limit`` lines of a tool's output, literally, and how many are left."""
    lines = neutralise(output.rstrip("\n")).split("\n")
    text = Text("\n".join(lines[:limit]), style="dim")
    if len(lines) > limit:
        text.append(f"\n… {len(lines) - limit} more lines", style="dim")
    return text


class ToolCallWidget(Vertical):
    """One call: ``● title  state``, then its diff (a change) or the start of its output."""

    def __init__(self, title: str, state: ToolState = "running") -> None:
        super().__init__(classes=f"tool-call {state}")
        self.title_text = title
        self.state: ToolState = state
        self._head = Static(self._head_content(), classes="tool-head")
        self._body = Static("", classes="tool-body")

    def compose(self) -> ComposeResult:
        yield self._head
        yield self._body

    def on_mount(self) -> None:
        self._body.display = bool(self._body.content)

    def _head_content(self) -> Text:
        head = Text("● ", style="bold")
        head.append_text(Text(neutralise(self.title_text)))
        head.append(f"  {_STATE_TEXT[self.state]}", style="italic")
        return head

    def show_state(self, state: ToolState) -> None:
        """A new state before the end (running, asking)."""
        self.state = state
        self.set_classes(f"tool-call {state}")
        self._head.update(self._head_content())

    def finish(self, state: ToolState, output: str, diff: str | None = None) -> None:
        """Show how the call ended: its diff when it changed a file, else its output."""
        self.show_state(state)
        body = diff_text(diff, limit=SHOWN_LINES * 2) if diff else output_text(output)
        self._body.update(body if body.plain else "")
        self._body.display = bool(body.plain)


_REFUSALS = (
    "The user refused",
    "The session is in plan mode",
    "The user's rule",
    "This call needs the user's approval",
)


def finished_state(ok: bool, refused: bool) -> ToolState:
    """The state a finished call is shown in."""
    if refused:
        return "refused"
    return "done" if ok else "failed"


def saved_call_widget(
    name: str, arguments: str, output: str, diff: str | None = None
) -> ToolCallWidget:
    """A call and its result read back from a saved session, with the diff of a change
    that was written, as it was shown when it ran.

    The session keeps no state beside the result text, so the state is read from how
    the loop words a refusal or an error.
    """
    from qwen_tui.tools.catalogue import call_title  # the tools load with the first call

    try:
        parsed = json.loads(arguments)
    except ValueError:
        parsed = {}
    title = call_title(name, parsed if isinstance(parsed, dict) else {})
    refused = output.startswith(_REFUSALS)
    failed = output.startswith("Error:")
    widget = ToolCallWidget(title, finished_state(not failed, refused))
    widget.finish(widget.state, output, diff)
    return widget
