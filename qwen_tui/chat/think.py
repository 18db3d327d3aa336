"""Split ``<think>…</think>`` out of streamed text, across arbitrary chunk boundaries.

Some servers (Qwen, DeepSeek and others behind vLLM or Ollama) put the model's reasoning
inline in the answer between think tags instead of in ``reasoning_content``. A tag can
be cut anywhere by the stream (``"<thi"`` + ``"nk>"``), so the splitter holds back a
possible tag prefix until the next chunk decides it.
"""

from __future__ import annotations

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


def _held_prefix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ThinkSplitter:
    """Feed chunks in, get ``(answer_text, reasoning_text)`` pieces out.

    Only a think block at the start of the answer (after optional whitespace), or any
    later one, is treated as reasoning; text outside tags is the answer.
    """

    def __init__(self) -> None:
        self._inside = False
        self._pending = ""

    def feed(self, chunk: str) -> tuple[str, str]:
        """Process ``chunk``; returns the answer and reasoning text now certain."""
        text = self._pending + chunk
        self._pending = ""
        answer: list[str] = []
        reasoning: list[str] = []
        while text:
            tag = CLOSE_TAG if self._inside else OPEN_TAG
            index = text.find(tag)
            target = reasoning if self._inside else answer
            if index >= 0:
                target.append(text[:index])
                text = text[index + len(tag) :]
                self._inside = not self._inside
                continue
            held = _held_prefix(text, tag)
            target.append(text[: len(text) - held])
            self._pending = text[len(text) - held :]
            break
        return "".join(answer), "".join(reasoning)

    def flush(self) -> tuple[str, str]:
        """End of stream: release anything held back."""
        pending, self._pending = self._pending, ""
        return ("", pending) if self._inside else (pending, "")
