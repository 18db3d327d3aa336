"""Shell-style glob patterns (``src/**/*.py``, ``*.{ts,tsx}``) as regular expressions.

Python 3.11's ``fnmatch`` lets ``*`` cross ``/`` and knows neither ``**`` nor braces,
and ``glob.translate`` only arrives in 3.13, so the small translation is written here:
``**/`` is any number of folders, ``*`` and ``?`` stay within one path part, ``[...]``
is a character class and ``{a,b}`` an alternative, as in the glob libraries that Qwen
Code's and Claude Code's tools use.
"""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A compiled regex matching whole ``/``-separated relative paths to ``pattern``."""
    return re.compile(_translate(pattern) + r"\Z", re.DOTALL)


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    depth = 0  # open braces
    while i < n:
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    out.append(")" * depth)
    return "".join(out)
