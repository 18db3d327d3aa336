"""Text from outside, made ready for a widget: literal, with controls made visible.

Every string that did not come from this program (answers, reasoning, server errors,
model ids, provider names, file contents, tool output) is put on screen through
:func:`plain`. Textual reads a ``str`` given to ``Static``, ``notify``, an option list
or a border title as content markup, so ``[@click=app.quit]`` in a model id would
become an action; and the terminal obeys any escape sequence in a segment's text. A
:class:`~textual.content.Content` built here is neither: no markup is parsed, and the
control characters are already replaced by :func:`qwen_tui.text.neutralise`.
"""

from __future__ import annotations

from textual.content import Content

from qwen_tui.text import neutralise


def plain(text: str) -> Content:
    """``text`` as literal content, safe for the terminal."""
    return Content(neutralise(text))
