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


_HELD_OUT_SECTION = """### {n}. Cache the lookups

Each request asked the *registry* again; a small cache keeps the answers for
`ttl` seconds and counts its **hits**:

| setting | default | effect |
| --- | --- | --- |
| `ttl` | 30 | seconds an entry lives |
| `size` | 256 | entries kept at most |
| `stale_ok` | false | serve an old entry when the registry is down |

```python
class Cache_{n}:
    def __init__(self, ttl: float = 30.0, size: int = 256) -> None:
        self.ttl, self.size = ttl, size
        self.entries: dict[str, tuple[float, object]] = {{}}

    def get(self, key: str, now: float) -> object | None:
        found = self.entries.get(key)
        if found is None or now - found[0] > self.ttl:
            return None
        return found[1]
```

Try it from the shell:

```bash
export CACHE_TTL=60
python -m cache_demo --size 512 --runs {n} | tee run-{n}.log
grep -c hit run-{n}.log
```

1. measure the hit rate first
2. raise `size` only if entries are evicted early
   - check the logs for `evicted`
   - then compare the latency

"""


def _pieces(section: str, tokens: int) -> list[str]:
    """``section`` repeated (numbered) to about ``tokens`` pieces of ~4 characters,
    ending with :data:`END_MARK`."""
    text = ""
    n = 1
    while len(text) < tokens * 4:
        text += section.format(n=n)
        n += 1
    text = text[: tokens * 4].rstrip() + f"\n\nThe end: {END_MARK}\n"
    return [text[i : i + 4] for i in range(0, len(text), 4)]


def answer_pieces(tokens: int) -> list[str]:
    """About ``tokens`` pieces of ~4 characters, ending with :data:`END_MARK`."""
    return _pieces(_SECTION, tokens)


def held_out_pieces(tokens: int) -> list[str]:
    """An answer the streaming code was not tuned on: headings, a table, Python and
    shell blocks, numbered and nested lists; about ``tokens`` pieces, as above."""
    return _pieces(_HELD_OUT_SECTION, tokens)


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
