"""Which tool calls run at once, which ask, and which are refused: one place for it.

The modes are Qwen Code's. ``plan`` runs the read-only tools and refuses every change;
``default`` asks before edits and commands; ``auto-edit`` runs edits and asks before
commands; ``yolo`` runs everything. Remembered rules (``tools.allowed`` and
``tools.denied`` in settings, or "yes always" for this session) sit on top: a denied
rule wins over everything, an allowed one turns an "ask" into "run", and neither can
make ``plan`` change anything. When no sandbox can be had, a command runs with the
user's full rights: then the modes that ask before commands (``default`` and
``auto-edit``) ask before every one, and allowed rules no longer skip the question.

A rule is a tool name (``edit``, or an MCP tool's ``server__tool``), or
``run_shell_command(PREFIX)`` for the commands that start with that prefix as whole
words: ``run_shell_command(git status)`` covers ``git status -s`` but not
``git statusx`` or ``git push``. A command chained with ``;``, ``&&``, ``|`` or the
like is only covered when every part is.

An MCP server's tool is not in the catalogue: the caller says its kind (``read`` when
the server marks it read-only, else ``execute``), and it is decided like a built-in
tool of that kind.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

from qwen_tui.tools.catalogue import BY_NAME, ToolKind

ApprovalMode = Literal["plan", "default", "auto-edit", "yolo"]
APPROVAL_MODES: tuple[ApprovalMode, ...] = get_args(ApprovalMode)
Decision = Literal["run", "ask", "refuse"]

_SHELL = "run_shell_command"
_MCP_SEPARATOR = "__"
_CHAINING = re.compile(r"\|\||&&|[;|&\n]|\$\(|`")


def next_mode(mode: ApprovalMode) -> ApprovalMode:
    """The mode after ``mode`` in the Shift+Tab cycle."""
    return APPROVAL_MODES[(APPROVAL_MODES.index(mode) + 1) % len(APPROVAL_MODES)]


@dataclass(frozen=True)
class Rule:
    """A remembered allow or deny rule (see the module docstring)."""

    tool: str
    prefix: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Rule:
        """``edit`` or ``run_shell_command(git status)``.

        Raises:
            ValueError: not a known tool, or a prefix on a tool other than the shell.
        """
        text = text.strip()
        match = re.fullmatch(r"([A-Za-z0-9_-]+)(?:\((.*)\))?", text, re.DOTALL)
        if match is None or not (match.group(1) in BY_NAME or _MCP_SEPARATOR in match.group(1)):
            raise ValueError(f"{text!r} is not a tool rule (e.g. edit or {_SHELL}(git status))")
        tool, prefix = match.group(1), match.group(2)
        if prefix is None:
            return cls(tool)
        if tool != _SHELL:
            raise ValueError(f"only {_SHELL} takes a command prefix, not {tool}")
        words = tuple(_words(prefix))
        if not words:
            raise ValueError(f"{text!r} has an empty command prefix")
        return cls(tool, words)

    def covers(self, tool: str, command: str | None) -> bool:
        """Whether this rule applies to a call of ``tool`` (with ``command`` for the shell)."""
        if tool != self.tool:
            return False
        if not self.prefix:
            return True
        if command is None:
            return False
        return all(
            tuple(_words(part))[: len(self.prefix)] == self.prefix
            for part in _CHAINING.split(command)
            if part.strip()
        ) and any(part.strip() for part in _CHAINING.split(command))

    def __str__(self) -> str:
        return f"{self.tool}({' '.join(self.prefix)})" if self.prefix else self.tool


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def command_prefix(command: str, words: int = 2) -> Rule:
    """The rule a "yes, always for this command" answer remembers: the first words of
    the command (its program and, when there is one, its sub-command)."""
    parts = _words(_CHAINING.split(command)[0])
    kept = parts[:1]
    if len(parts) > 1 and not parts[1].startswith("-") and words > 1:
        kept = parts[:2]
    return Rule(_SHELL, tuple(kept))


@dataclass
class ApprovalPolicy:
    """The mode and the rules of one session.

    Attributes:
        mode: the current approval mode.
        allowed: rules that turn "ask" into "run" (settings, then this session's).
        denied: rules that refuse, whatever the mode.
        sandboxed: whether shell commands run in a sandbox (see the module docstring).
    """

    mode: ApprovalMode = "default"
    allowed: list[Rule] = field(default_factory=list)
    denied: list[Rule] = field(default_factory=list)
    sandboxed: bool = True

    @classmethod
    def from_settings(
        cls,
        mode: ApprovalMode,
        allowed: Iterable[str],
        denied: Iterable[str],
        *,
        sandboxed: bool = True,
    ) -> ApprovalPolicy:
        """A policy from the settings' texts; unreadable rules are skipped (the settings
        model refuses them before they get here)."""
        return cls(mode, _parsed(allowed), _parsed(denied), sandboxed)

    def decide(
        self, tool: str, command: str | None = None, kind: ToolKind | None = None
    ) -> Decision:
        """What to do with a call of ``tool`` (``command``: a shell call's command;
        ``kind``: an MCP tool's kind, which the catalogue does not know)."""
        kind = kind or _kind(tool)
        if kind is None:
            return "refuse"
        if any(rule.covers(tool, command) for rule in self.denied):
            return "refuse"
        if kind == "read":
            return "run"
        if self.mode == "plan":
            return "refuse"
        if self.mode == "yolo":
            return "run"
        if kind == "edit" and self.mode == "auto-edit":
            return "run"
        if tool == _SHELL and not self.sandboxed:  # only shell commands run in a sandbox
            return "ask"
        if any(rule.covers(tool, command) for rule in self.allowed):
            return "run"
        return "ask"

    def why_refused(
        self, tool: str, command: str | None = None, kind: ToolKind | None = None
    ) -> str:
        """What the model is told when :meth:`decide` said "refuse"."""
        if (kind or _kind(tool)) is None:
            return f"There is no tool named {tool!r}."
        for rule in self.denied:
            if rule.covers(tool, command):
                return f"The user's rule {rule} refuses this call."
        return (
            "The session is in plan mode: only reading and searching are allowed. "
            "Describe the change you propose instead of making it."
        )

    def allow_for_session(self, rule: Rule) -> None:
        """Remember a "yes, always" answer for the rest of the session."""
        if rule not in self.allowed:
            self.allowed.append(rule)


def _kind(tool: str) -> ToolKind | None:
    spec = BY_NAME.get(tool)
    return None if spec is None else spec.kind


def _parsed(texts: Iterable[str]) -> list[Rule]:
    rules = []
    for text in texts:
        try:
            rules.append(Rule.parse(text))
        except ValueError:
            continue
    return rules
