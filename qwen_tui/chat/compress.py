"""``/compress``: the older turns of a conversation replaced by a summary the model writes.

One request, without tools: the older part of the conversation as it would be sent,
then an instruction to summarise it. The summary takes the place of those turns as a
user message and a short acknowledgement from the assistant (so roles still alternate
for servers whose chat templates insist), both marked :attr:`ChatMessage.summary`. The
most recent turns stay as they were, every tool call with its result: the cut is
always at the start of a user turn, so no call is parted from what answered it, and a
call still waiting for its result is in the part that is kept.

Front ends call :func:`compress_conversation` and save the result with
:meth:`qwen_tui.chat.sessions.Session.compress`, so ``/resume`` continues from the
compressed state.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qwen_tui.chat.answer import AnswerAccumulator
from qwen_tui.chat.conversation import api_messages
from qwen_tui.chat.events import ChatFailure
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.tokens import conversation_tokens, estimate_tokens
from qwen_tui.text.errors import UserFacingError

if TYPE_CHECKING:
    from qwen_tui.chat.service import ChatService

KEEP_TURNS = 2
"""User turns at the end of the conversation kept as they are (with their answers and
tool calls)."""

SUMMARY_INSTRUCTION = (
    "The conversation above is about to be replaced by a summary, because the context "
    "is filling up. Write that summary now, for yourself to continue from. "
    "Keep: the user's goals and requests, decisions taken and why, the files read, "
    "created or changed (with their paths and what changed), commands run and what "
    "they showed, errors met and how they were solved, and what is still to be done. "
    "Be complete but concise; plain text or Markdown, no preamble. Do not call tools."
)
"""What the summarising request asks of the model."""

SUMMARY_INTRO = "Summary of the earlier part of this conversation (replaced by /compress):\n\n"
SUMMARY_ACK = "Understood; I will continue from this summary."


REQUEST_SHARE = 0.75
"""Share of the context window the summarising request may fill (the rest is for the
summary and for the estimate's error)."""

MIN_CUT = 2000
"""Contents shorter than this (characters) are not cut further."""

CUT_MARK = "\n[… cut here to fit the summarising request …]\n"


def fit_request(request: list[dict[str, Any]], budget: int) -> None:
    """Cut the longest contents of ``request`` (tool output, attached files) in the
    middle, keeping their start and end, until its estimate is within ``budget``
    tokens. The system prompt and the instruction (the last message) are left whole."""
    cuttable = [m for m in request[:-1] if m.get("role") != "system"]

    def length(message: dict[str, Any]) -> int:
        return len(str(message.get("content") or ""))

    while cuttable and sum(estimate_tokens(str(m.get("content") or "")) for m in request) > budget:
        longest = max(cuttable, key=length)
        text = str(longest.get("content") or "")
        if len(text) < MIN_CUT:
            return
        keep = len(text) // 4
        longest["content"] = text[:keep] + CUT_MARK + text[-keep:]


class NothingToCompress(UserFacingError):
    """The conversation is too short to have older turns to replace."""


class CompressFailed(UserFacingError):
    """The summarising request failed; the conversation is unchanged."""

    def __init__(self, failure: ChatFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


@dataclass(frozen=True)
class Compressed:
    """A conversation with its older turns summarised.

    Attributes:
        replaced: how many messages at the start the summary stands for.
        turns_replaced: how many user turns they held (an earlier summary counts).
        summary: the messages standing for them (summary and acknowledgement).
        messages: the whole new conversation: ``summary``, then the kept messages.
        tokens_before: the conversation's tokens before (see ``conversation_tokens``).
        tokens_after: its tokens after (estimated).
    """

    replaced: int
    turns_replaced: int
    summary: tuple[ChatMessage, ...]
    messages: list[ChatMessage]
    tokens_before: int
    tokens_after: int


def cut_index(messages: Sequence[ChatMessage], keep_turns: int = KEEP_TURNS) -> int:
    """Where the kept part starts: the ``keep_turns``-th last user message (at least
    the last one is kept). 0 when there is nothing before it to replace."""
    starts = [i for i, m in enumerate(messages) if m.role == "user" and not m.summary]
    if not starts:
        return 0
    keep = min(keep_turns, len(starts))
    cut = starts[-keep]
    if cut == 0 and keep > 1:
        cut = starts[-keep + 1]
    return cut


async def compress_conversation(
    chat: ChatService,
    messages: Sequence[ChatMessage],
    *,
    system_prompt: str | None = None,
    keep_turns: int = KEEP_TURNS,
    context_window: int | None = None,
) -> Compressed:
    """Ask the model to summarise the older turns of ``messages`` (see the module
    docstring); ``messages`` itself is not changed. With ``context_window``, the
    request is fitted into :data:`REQUEST_SHARE` of it (see :func:`fit_request`): a
    conversation is usually compressed because it no longer fits.

    Raises:
        NothingToCompress: there are no older turns (one user turn, or none).
        CompressFailed: the request failed or brought no summary.
    """
    cut = cut_index(messages, keep_turns)
    older = [m for m in messages[:cut] if not (m.summary and m.role == "assistant")]
    if cut == 0 or not any(m.content.strip() and not m.summary for m in older):
        raise NothingToCompress(
            "Nothing to compress yet: the conversation has no older turns to replace "
            f"(the last {keep_turns} are kept as they are)."
        )
    request = api_messages(older, system_prompt=system_prompt)
    request.append({"role": "user", "content": SUMMARY_INSTRUCTION})
    if context_window:
        fit_request(request, int(context_window * REQUEST_SHARE))
    answer = AnswerAccumulator()
    async for event in chat.stream(request):
        answer.feed(event)
    if answer.failure is not None:
        raise CompressFailed(answer.failure)
    text = "".join(answer.text).strip()
    if not answer.finished or not text:
        raise CompressFailed(
            ChatFailure("malformed", "The model wrote no summary; nothing was replaced.")
        )
    now = time.time()
    summary = (
        ChatMessage("user", SUMMARY_INTRO + text, summary=True, created=now),
        ChatMessage(
            "assistant",
            SUMMARY_ACK,
            summary=True,
            created=now,
            model=chat.model,
            usage=answer.usage,
        ),
    )
    overhead = estimate_tokens(system_prompt or "")
    kept = list(messages[cut:])
    result = [*summary, *kept]
    return Compressed(
        replaced=cut,
        turns_replaced=sum(1 for m in older if m.role == "user"),
        summary=summary,
        messages=result,
        tokens_before=conversation_tokens(messages, overhead),
        tokens_after=conversation_tokens(result, overhead),
    )
