"""``@path`` in a prompt: the file (or a folder's listing) is sent along with it.

A mention is ``@`` at the start of the prompt or after a space, followed by a path
inside the workspace (a space in the path written as ``\\ ``). It is read with the same
tool and the same limits as the model's own ``read_file`` and ``list_directory``, so
an attachment can never reach outside the workspace or past a size cap either. What
is not a path in the workspace (``@here``, an e-mail address, ``@../secret``) is left
as typed, with a note saying why, and nothing is attached for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qwen_tui.chat.tokens import estimate_tokens
from qwen_tui.tools import reading
from qwen_tui.tools.errors import OutsideWorkspace, ToolError
from qwen_tui.tools.workspace import Workspace

_MENTION = re.compile(r"(?:(?<=\s)|^)@((?:\\ |[^\s])+)")
_TYPING = re.compile(r"(?:(?<=\s)|^)@((?:\\ |[^\s])*)$")


@dataclass(frozen=True)
class Attachment:
    """One attached file or folder: its path in the workspace and what was read."""

    path: str
    text: str
    is_folder: bool


@dataclass
class Expanded:
    """A prompt with its mentions read.

    Attributes:
        text: what is sent: the prompt as typed, then each attachment.
        attachments: what was attached.
        notes: mentions that were not attached, and why (for the user).
    """

    text: str
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def mentioned_paths(prompt: str) -> list[str]:
    """The paths mentioned in ``prompt``, in order, each once."""
    seen: list[str] = []
    for match in _MENTION.finditer(prompt):
        path = match.group(1).replace("\\ ", " ").rstrip(".,;:!?)")
        if path and path not in seen:
            seen.append(path)
    return seen


def typed_mention(before_cursor: str) -> tuple[str, int] | None:
    """The mention being typed, when the text up to the cursor ends in one: the path so
    far (``@src/ma`` gives ``src/ma``, ``@`` alone ``""``) and how many characters the
    mention takes before the cursor, ``@`` and escapes included; else ``None``.

    Only the cursor's line is searched (a mention never spans lines): a long pasted
    prompt does not slow down each key."""
    line = before_cursor.rpartition("\n")[2]
    match = _TYPING.search(line)
    if match is None:
        return None
    return match.group(1).replace("\\ ", " "), len(match.group(0))


def mention_text(path: str) -> str:
    """``@path`` as it is typed: a space in the path written ``\\ ``."""
    return "@" + path.replace(" ", "\\ ")


def expand_mentions(prompt: str, workspace: Workspace) -> Expanded:
    """Read every ``@path`` of ``prompt`` (see the module docstring)."""
    expanded = Expanded(prompt)
    for path in mentioned_paths(prompt):
        try:
            resolved = workspace.resolve(path)
        except OutsideWorkspace:
            expanded.notes.append(f"@{path} is outside the workspace; it was not attached.")
            continue
        except ToolError as error:
            expanded.notes.append(f"@{path}: {error}")
            continue
        if not resolved.exists():
            continue  # not a path at all (a handle, a decorator): nothing to say
        shown = workspace.relative(resolved)
        try:
            if resolved.is_dir():
                text = reading.list_directory(workspace, shown)
            else:
                text = reading.read_file(workspace, shown)
        except ToolError as error:
            expanded.notes.append(f"@{path}: {error}")
            continue
        expanded.attachments.append(Attachment(shown, text, resolved.is_dir()))
    if expanded.attachments:
        blocks = [
            f"Content of @{a.path}{' (a folder)' if a.is_folder else ''}:\n{a.text.rstrip()}"
            for a in expanded.attachments
        ]
        expanded.text = (
            prompt
            + "\n\n--- Attached by the user ---\n\n"
            + "\n\n".join(blocks)
            + "\n\n--- End of attachments ---"
        )
    return expanded


def estimate_prompt(prompt: str, workspace: Workspace) -> int:
    """Tokens ``prompt`` would send, its attachments read as :func:`expand_mentions`
    reads them (an estimate: see :mod:`qwen_tui.chat.tokens`). Reads files: call it off
    the event loop."""
    return estimate_tokens(expand_mentions(prompt, workspace).text)
