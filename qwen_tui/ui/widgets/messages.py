"""The transcript's building blocks: a user message, an assistant answer, and (read
back from a session) the tool calls an answer made."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from qwen_tui.chat.events import ToolCall
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.ui.plain import plain
from qwen_tui.ui.widgets.history import HistoryEntry
from qwen_tui.ui.widgets.streaming_markdown import StreamingMarkdown, estimate_height
from qwen_tui.ui.widgets.tall import TallContainer
from qwen_tui.ui.widgets.tool_call import SHOWN_LINES, saved_call_widget

STOPPED_NOTICE = "(stopped before the end)"


class UserMessage(Static):
    """What the user sent, shown verbatim (no Markdown, no markup)."""

    def __init__(self, text: str) -> None:
        super().__init__(plain(text), classes="user-message")
        self.border_title = "You"


class ReasoningCollapsible(TallContainer, Collapsible):
    """The reasoning's collapsible, laid out at a cost that does not grow with a
    multi-megabyte reasoning's height (see :mod:`.tall`)."""

    class Contents(TallContainer, Collapsible.Contents):
        pass


class AssistantMessage(TallContainer, Vertical):
    """One answer: reasoning apart and collapsed, the Markdown answer, and a notice line
    for what went wrong (the partial answer above it stays)."""

    def __init__(self, text: str = "", reasoning: str = "", *, model: str | None = None) -> None:
        super().__init__(classes="assistant-message")
        self.border_title = plain(model) if model else "Assistant"
        self._has_reasoning = bool(reasoning)
        self._reasoning_words = len(reasoning.split())
        self._reasoning_last = reasoning[-1:]
        self._reasoning_changed = False
        self.body = StreamingMarkdown(text)
        # Plain text, shown in bounded segments: a multi-megabyte reasoning is drawn
        # only where it is on screen.
        self._reasoning_view = StreamingMarkdown(reasoning, classes="reasoning-text", plain=True)
        self._reasoning = ReasoningCollapsible(
            self._reasoning_view, title=self._reasoning_title(), collapsed=True
        )
        # A saved answer without reasoning never gets any: leave the (hidden) reasoning
        # widgets out, which keeps a long resumed conversation lighter to mount.
        self._with_reasoning = bool(reasoning) or not text
        self._notice = Static("", classes="answer-notice")
        self.initial_notice = ""

    def compose(self) -> ComposeResult:
        if self._with_reasoning:
            yield self._reasoning
        yield self.body
        yield self._notice

    def on_mount(self) -> None:
        self._reasoning.display = self._has_reasoning
        self.show_notice(self.initial_notice, severity="warning")

    def _reasoning_title(self) -> str:
        return f"Reasoning ({self._reasoning_words} words)"

    @property
    def text(self) -> str:
        """The answer text received so far."""
        return self.body.text

    @property
    def reasoning(self) -> str:
        """The reasoning received so far."""
        return self._reasoning_view.text

    def append_text(self, text: str) -> None:
        """Add answer text (shown at the next :meth:`flush`)."""
        self.body.append(text)

    def append_reasoning(self, text: str) -> None:
        """Add reasoning text (shown at the next :meth:`flush`)."""
        if not text:
            return
        self._reasoning_view.append(text)
        # Words counted as they come: counting the whole text every frame would cost
        # as much as the text is long.
        self._reasoning_words += len(text.split())
        if self._reasoning_last.strip() and text[0].strip():
            self._reasoning_words -= 1  # a word continued from the last piece
        self._reasoning_last = text[-1]
        self._has_reasoning = True
        self._reasoning_changed = True

    def flush(self, *, final: bool = False) -> None:
        """Show what arrived since the last frame."""
        self.body.flush(final=final)
        if not self._with_reasoning:
            return
        if self._reasoning_changed:
            self._reasoning_changed = False
            self._reasoning.display = True
            self._reasoning.title = self._reasoning_title()
        if not self._reasoning.collapsed or final:
            self._reasoning_view.flush(final=final)

    def show_notice(self, message: str, *, severity: str = "error") -> None:
        """Show a line under the answer (an error, or that it was stopped)."""
        self._notice.update(plain(message))
        self._notice.set_classes(f"answer-notice {severity}")
        self._notice.display = bool(message)
        # Nothing arrived (a failed attempt): the notice is the whole answer.
        self.set_class(bool(message) and not self.text and not self.reasoning, "-notice-only")

    def on_collapsible_expanded(self) -> None:
        self._reasoning_view.flush()


def history_entry(message: ChatMessage) -> HistoryEntry | None:
    """How a saved message is shown in the transcript (``None``: it is not shown).

    The estimate mirrors the widgets: a user message is its text; an answer is its
    Markdown, plus the collapsed reasoning title and the notice line when it has them.
    """
    if message.role == "user":
        text = message.content
        return HistoryEntry(
            build=lambda: UserMessage(text),
            estimate=lambda width: estimate_height(text, width),
            classes="user-message",
        )
    if message.role != "assistant":
        return None
    if message.tool_calls and not (message.content or message.reasoning or message.partial):
        return None  # an answer that only made calls: its calls show instead
    notice = (message.error or STOPPED_NOTICE) if message.partial else ""

    def build() -> AssistantMessage:
        answer = AssistantMessage(message.content, message.reasoning, model=message.model)
        answer.initial_notice = notice
        return answer

    def estimate(width: int) -> int:
        lines = estimate_height(message.content, width)
        if message.reasoning:
            lines += 1
        if notice:
            lines += 1 + estimate_height(notice, width)
        return lines

    return HistoryEntry(build=build, estimate=estimate, classes="assistant-message")


def history_entries(messages: list[ChatMessage]) -> list[HistoryEntry]:
    """How a saved conversation is shown: its messages, and each tool result as the
    compact widget of the call it answers."""
    calls: dict[str, ToolCall] = {call.id: call for m in messages for call in m.tool_calls}
    entries: list[HistoryEntry] = []
    for message in messages:
        if message.role == "tool":
            call = calls.get(message.tool_call_id or "")
            if call is not None:
                entries.append(_tool_entry(call, message.content, message.diff))
        elif (entry := history_entry(message)) is not None:
            entries.append(entry)
    return entries


def _tool_entry(call: ToolCall, output: str, diff: str | None) -> HistoryEntry:
    shown = diff or output
    limit = SHOWN_LINES * 2 if diff else SHOWN_LINES
    lines = min(shown.count("\n") + 1, limit + 1)
    return HistoryEntry(
        build=lambda: saved_call_widget(call.name, call.arguments, output, diff),
        estimate=lambda width: 1 + (lines if shown else 0),
        classes="tool-call",
    )
