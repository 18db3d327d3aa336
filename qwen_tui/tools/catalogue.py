"""The tools offered to the model: names (Qwen Code's), JSON schemas, and dispatch.

Each tool has a kind that approval modes are written in terms of: ``read`` tools never
change anything, ``edit`` tools change files (and are prepared first, see
:mod:`.changes`), ``execute`` runs a command. Arguments arrive as the JSON text the
model streamed; they are checked here against the schema's required fields and types,
and a bad call is answered with a :class:`~.errors.ToolError` the model can correct.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from qwen_tui.tools import reading, search
from qwen_tui.tools.changes import PendingChange, prepare_edit, prepare_write
from qwen_tui.tools.errors import ToolError
from qwen_tui.tools.sandbox import Sandbox
from qwen_tui.tools.shell import DEFAULT_TIMEOUT, MAX_TIMEOUT, ShellOutcome, run_command
from qwen_tui.tools.workspace import Workspace

ToolKind = Literal["read", "edit", "execute"]


@dataclass(frozen=True)
class ToolSpec:
    """One tool as the model sees it."""

    name: str
    kind: ToolKind
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry for this tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": self.properties,
                    "required": list(self.required),
                },
            },
        }


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _integer(description: str) -> dict[str, Any]:
    return {"type": "integer", "description": description}


_PATH = "Path of the file, relative to the workspace root (absolute paths inside it work too)."

SPECS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "read_file",
        "read",
        "Reads a text file of the workspace. Long files are cut, with a first line saying "
        "which lines are shown; use offset and limit to read a range.",
        {
            "file_path": _string(_PATH),
            "offset": _integer("0-based line to start from."),
            "limit": _integer("How many lines to read (default 2000)."),
        },
        ("file_path",),
    ),
    ToolSpec(
        "list_directory",
        "read",
        "Lists the files and folders directly in a folder of the workspace, folders "
        "first. Entries matched by .gitignore or .qwenignore are left out.",
        {
            "path": _string("Folder, relative to the workspace root (default: the root)."),
            "ignore": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Glob patterns of names to leave out.",
            },
        },
    ),
    ToolSpec(
        "glob",
        "read",
        "Finds files by path pattern, such as **/*.py or src/**/*.{ts,tsx}, newest first. "
        "A pattern without **/ matches in the given folder only.",
        {
            "pattern": _string("The glob pattern."),
            "path": _string("Folder to search in (default: the workspace root)."),
        },
        ("pattern",),
    ),
    ToolSpec(
        "grep_search",
        "read",
        "Searches file contents for a regular expression (Python syntax) and returns "
        "path:line: text. Case-insensitive unless the pattern has a capital letter.",
        {
            "pattern": _string("The regular expression."),
            "path": _string("Folder or file to search (default: the workspace root)."),
            "glob": _string("Only files matching this glob, e.g. *.py or src/**/*.ts."),
            "limit": _integer("Most matching lines to return (default 200)."),
        },
        ("pattern",),
    ),
    ToolSpec(
        "edit",
        "edit",
        "Replaces old_string by new_string in a file. old_string must be the exact text "
        "(with its indentation and a few lines of context) and occur exactly once, "
        "unless replace_all is true. With old_string empty, creates a new file.",
        {
            "file_path": _string(_PATH),
            "old_string": _string("The exact text to replace."),
            "new_string": _string("The text to put in its place."),
            "replace_all": {"type": "boolean", "description": "Replace every occurrence."},
        },
        ("file_path", "old_string", "new_string"),
    ),
    ToolSpec(
        "write_file",
        "edit",
        "Writes a whole file: creates it, or replaces all of its content.",
        {"file_path": _string(_PATH), "content": _string("The complete new content.")},
        ("file_path", "content"),
    ),
    ToolSpec(
        "run_shell_command",
        "execute",
        "Runs a command with bash in the workspace (or a folder inside it) and returns "
        "its exit code and output. No input can be typed; the command is stopped at its "
        f"timeout (default {DEFAULT_TIMEOUT:g} s) together with everything it started.",
        {
            "command": _string("The command line."),
            "description": _string("One sentence for the user: what this does and why."),
            "directory": _string("Folder to run in, relative to the workspace root."),
            "timeout": _integer(f"Timeout in milliseconds (at most {MAX_TIMEOUT * 1000:g})."),
        },
        ("command",),
    ),
)

BY_NAME: dict[str, ToolSpec] = {spec.name: spec for spec in SPECS}
READ_ONLY: frozenset[str] = frozenset(spec.name for spec in SPECS if spec.kind == "read")

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "array": list,
}


def call_title(name: str, arguments: dict[str, Any]) -> str:
    """A one-line summary of a call for the transcript (``read_file src/a.py``)."""
    for key in ("file_path", "command", "pattern", "path"):
        value = arguments.get(key)
        if isinstance(value, str) and value:
            first = value.splitlines()[0] if value.splitlines() else value
            return f"{name} {first[:120]}"
    return name


def arguments_object(name: str, arguments: str) -> dict[str, Any]:
    """The arguments of a call to ``name`` as the JSON object they must be (empty: none).

    Raises:
        ToolError: not JSON, or not an object.
    """
    try:
        values = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as error:
        raise ToolError(f"The arguments of {name} are not valid JSON: {error}.") from None
    if not isinstance(values, dict):
        raise ToolError(f"The arguments of {name} must be a JSON object.")
    return values


def parse_arguments(name: str, arguments: str) -> dict[str, Any]:
    """The arguments of a call to ``name``, checked against its schema.

    Raises:
        ToolError: unknown tool, arguments that are not a JSON object, a missing
            required argument, an unknown one, or one of the wrong type.
    """
    spec = BY_NAME.get(name)
    if spec is None:
        raise ToolError(f"There is no tool named {name!r}; the tools are: {', '.join(BY_NAME)}.")
    values = arguments_object(name, arguments)
    for key in spec.required:
        if key not in values:
            raise ToolError(f"{name} needs {key!r}.")
    for key, value in list(values.items()):
        if key not in spec.properties:
            raise ToolError(
                f"{name} has no argument {key!r}; it takes {', '.join(spec.properties)}."
            )
        if value is None and key not in spec.required:
            del values[key]
            continue
        wanted = _TYPES[spec.properties[key]["type"]]
        if not isinstance(value, wanted) or (wanted is int and isinstance(value, bool)):
            raise ToolError(f"{name}: {key!r} must be a {spec.properties[key]['type']}.")
    return values


@dataclass
class Toolbox:
    """The tools bound to one workspace, and what a subprocess must not see.

    Attributes:
        workspace: where every path is resolved.
        secrets: the keys and tokens the app knows, kept out of commands' environment.
        sandbox: where shell commands run; ``None``: unsandboxed.
    """

    workspace: Workspace
    secrets: Callable[[], Iterable[str]] = field(default=lambda: ())
    sandbox: Sandbox | None = None

    def run_read(self, name: str, arguments: dict[str, Any]) -> str:
        """Run a read-only tool; its result for the model."""
        workspace = self.workspace
        if name == "read_file":
            return reading.read_file(workspace, **arguments)
        if name == "list_directory":
            return reading.list_directory(workspace, **arguments)
        if name == "glob":
            return search.glob(workspace, **arguments)
        if name == "grep_search":
            return search.grep_search(workspace, **arguments)
        raise ToolError(f"{name} is not a read-only tool.")

    def prepare_change(self, name: str, arguments: dict[str, Any]) -> PendingChange:
        """Prepare an ``edit`` or ``write_file`` without writing anything."""
        if name == "edit":
            return prepare_edit(self.workspace, **arguments)
        if name == "write_file":
            return prepare_write(self.workspace, **arguments)
        raise ToolError(f"{name} does not change files.")

    def shell_folder(self, arguments: dict[str, Any]) -> str:
        """Where a ``run_shell_command`` runs, relative to the root (checked)."""
        folder = self.workspace.resolve(arguments.get("directory"))
        if not folder.is_dir():
            raise ToolError(f"{self.workspace.relative(folder)} is not a folder.")
        return self.workspace.relative(folder)

    async def run_shell(self, arguments: dict[str, Any]) -> tuple[ShellOutcome, str]:
        """Run a ``run_shell_command``; the outcome and its text for the model."""
        folder = self.workspace.resolve(arguments.get("directory"))
        shown = self.shell_folder(arguments)
        timeout_ms = arguments.get("timeout")
        timeout = DEFAULT_TIMEOUT if timeout_ms is None else timeout_ms / 1000
        command = arguments["command"]
        outcome = await run_command(
            command, folder, timeout=timeout, secrets=self.secrets(), sandbox=self.sandbox
        )
        limits = self.sandbox.limits() if self.sandbox is not None else None
        return outcome, outcome.for_model(command, shown, timeout, limits)
