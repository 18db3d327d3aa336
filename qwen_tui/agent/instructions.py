"""What the model is told before the conversation: how to work here, and the project's
own instructions.

The instruction files are Qwen Code's and the wider convention's: ``QWEN.md`` and
``AGENTS.md`` at the workspace root, and the user's own ``~/.qwen/QWEN.md`` for every
project. They are read fresh for each task (a file edited meanwhile counts), each cut
at :data:`MAX_INSTRUCTION_CHARS`, and sent only to the active provider, as part of the
system message. :func:`instruction_files` lists what is used, for ``/memory``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qwen_tui.tools.workspace import Workspace

PROJECT_FILES = ("QWEN.md", "AGENTS.md")
USER_FILE = Path(".qwen") / "QWEN.md"
MAX_INSTRUCTION_CHARS = 40_000

BASE_PROMPT = """\
You are qwen-tui, a coding assistant working in the user's project at {root}.
Use the tools to look before you answer: read files, list folders, search with glob and
grep_search. Paths are relative to that folder; nothing outside it can be read or
changed. Change files with edit (exact old_string, with enough context to match once)
or write_file, and run commands with run_shell_command (no input can be typed). Each
change and command may need the user's approval; a refused call comes back with the
reason: adapt to it rather than retrying the same call. Keep changes small and focused
on what was asked, check your work (run the tests when there are any), and end with a
short summary of what you changed.
The approval mode is {mode}.{plan_note}"""

INIT_PROMPT = (
    "Look at this project (its layout, build and test commands, conventions) and write "
    "a concise QWEN.md at the workspace root for future tasks: what the project is, how "
    "to build, test and lint it, the code style, and anything a newcomer must know. "
    "Read before you write; keep it under 80 lines."
)
"""What ``/init`` asks the model to do."""

PLAN_NOTE = (
    " In plan mode nothing can be changed: read and search, then describe the change"
    " you propose, step by step, without making it."
)


@dataclass(frozen=True)
class InstructionFile:
    """One instruction file in use: where it is, and whether it was cut."""

    path: Path
    text: str
    cut: bool


def instruction_files(workspace: Workspace, user_home: Path | None = None) -> list[InstructionFile]:
    """The instruction files that exist: the user's first, then the project's."""
    candidates = [(user_home or Path.home()) / USER_FILE]
    candidates += [workspace.root / name for name in PROJECT_FILES]
    found: list[InstructionFile] = []
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            continue
        if not text.strip():
            continue
        cut = len(text) > MAX_INSTRUCTION_CHARS
        found.append(InstructionFile(path, text[:MAX_INSTRUCTION_CHARS], cut))
    return found


def system_prompt(workspace: Workspace, mode: str, *, user_home: Path | None = None) -> str:
    """The system message: how to work in this workspace, then the instruction files."""
    prompt = BASE_PROMPT.format(
        root=workspace.root, mode=mode, plan_note=PLAN_NOTE if mode == "plan" else ""
    )
    for file in instruction_files(workspace, user_home):
        where = "your own" if file.path.parent.name == ".qwen" else "the project's"
        prompt += f"\n\n# Instructions from {where} {file.path.name} ({file.path})\n\n"
        prompt += file.text.rstrip("\n")
        if file.cut:
            prompt += f"\n[… cut at {MAX_INSTRUCTION_CHARS} characters]"
    return prompt
