"""Answers rich in Markdown and code, cut into stream pieces of about one token each."""

from __future__ import annotations

END_MARK = "ZZEND"

_SECTION = """## Step {n}: parse the input

The parser reads **tokens** one by one and keeps a `stack` of open nodes.
When it sees a closing bracket it pops the stack and *attaches* the node.

```python
def parse_{n}(tokens: list[str]) -> Node:
    stack: list[Node] = [Node("root")]
    for token in tokens:
        if token == "(":
            stack.append(Node("group"))
        elif token == ")":
            node = stack.pop()
            stack[-1].children.append(node)
        else:
            stack[-1].children.append(Leaf(token))
    return stack[0]
```

- keeps memory linear in the depth
- never recurses, so deep input is safe
- errors carry the position of the token

"""


def answer_pieces(tokens: int) -> list[str]:
    """About ``tokens`` pieces of ~4 characters, ending with :data:`END_MARK`."""
    text = ""
    n = 1
    while len(text) < tokens * 4:
        text += _SECTION.format(n=n)
        n += 1
    text = text[: tokens * 4].rstrip() + f"\n\nThe end: {END_MARK}\n"
    return [text[i : i + 4] for i in range(0, len(text), 4)]


def huge_answer(chars: int) -> str:
    """A Markdown answer of about ``chars`` characters (sections as above), ending with
    :data:`END_MARK`: sent in one chunk, it is the answer that once froze the screen."""
    section = "".join(_SECTION.format(n=n) for n in range(1, 11))
    body = (section * (chars // len(section) + 1))[:chars]
    return body[: body.rfind("\n\n")] + f"\n\nThe end: {END_MARK}\n"


def long_line(chars: int) -> str:
    """One paragraph of about ``chars`` characters without a line break, ending with
    :data:`END_MARK`."""
    words: list[str] = []
    size = 0
    index = 0
    while size < chars - len(END_MARK) - 1:
        word = f"word{index}"
        words.append(word)
        size += len(word) + 1
        index += 1
    return " ".join(words) + f" {END_MARK}"
