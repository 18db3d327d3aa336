"""The closed list of telemetry events, each field an allow-listed type.

Why this shape: the seed promises that usage statistics never contain code, prompts,
model responses or personal data. Rather than scrubbing text after the fact, no event
has a field that could hold free text at all. Every field is a number, a bool, or a
name from a closed set defined here (a ``Literal``); a value outside its set becomes
``"other"`` when the event is built, so a raw string can never pass through.

The events are frozen pydantic models whose numbers, bools and names are strict: a
value of the wrong type (a string for a number, a number for a bool) is refused with a
``ValidationError``, and the field types themselves (``Literal`` sets, bounds, lengths)
say what may be sent.

The closed sets are copies, not imports, of names that live in higher layers (slash
commands in ``ui``, failure kinds in ``chat``): telemetry sits below both. Tests check
the copies against the originals.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

from qwen_tui.telemetry.app_code import (
    OTHER,
    checked_exception_name,
    defines_function,
    is_loaded_app_module,
)

CommandName = Literal[
    "auth",
    "model",
    "clear",
    "resume",
    "approval-mode",
    "memory",
    "init",
    "undo",
    "rewind",
    "compress",
    "mcp",
    "stats",
    "copy",
    "privacy",
    "settings",
    "help",
    "quit",
    "other",
]
"""Slash commands (``qwen_tui.ui.commands.COMMANDS``)."""

ScreenName = Literal[
    "welcome",
    "qwen-signin",
    "chat",
    "settings",
    "privacy",
    "help",
    "stats",
    "sessions",
    "model-picker",
    "import-question",
    "keyring-question",
    "usage-question",
    "mcp-trust-question",
    "other",
]
"""Screens and dialogs of the TUI."""

AuthMethodName = Literal["qwen-oauth", "openai", "other"]
"""``security.auth.selectedType`` values."""

ProviderId = Literal[
    "qwen",
    "openai",
    "dashscope-intl",
    "dashscope-us",
    "dashscope-cn",
    "coding-plan-intl",
    "coding-plan-cn",
    "modelscope",
    "openrouter",
    "ollama",
    "lmstudio",
    "llamacpp",
    "vllm",
    "custom",
]
"""Built-in provider ids of the catalogue; a user-defined provider counts as ``custom``
(its id is the user's own text)."""

ErrorKind = Literal[
    "auth",
    "forbidden",
    "model_not_found",
    "rate_limit",
    "quota",
    "context_overflow",
    "bad_request",
    "server",
    "connect",
    "timeout",
    "interrupted",
    "malformed",
    "no_choices",
    "other",
]
"""``qwen_tui.chat.events.FailureKind`` plus ``other``."""

ToolName = Literal[
    "read_file",
    "list_directory",
    "glob",
    "grep_search",
    "edit",
    "write_file",
    "run_shell_command",
    "mcp",
    "other",
]
"""The coding agent's tools (``qwen_tui.tools.catalogue.SPECS``), ``mcp`` for any MCP
server's tool (never its name: that names the user's servers), and ``other``: a name
the model made up is never sent."""

ToolDecisionName = Literal["approved", "auto", "refused", "other"]
"""How a tool call was let through (``qwen_tui.agent.events.ToolDecision``)."""

AppMode = Literal["tui", "headless"]
Severity = Literal["INFO", "WARN", "ERROR", "FATAL"]

SEVERITY_NUMBERS: dict[Severity, int] = {"INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
"""OTLP ``SeverityNumber`` of each severity text."""

MAX_STACK_FRAMES = 32
MAX_NAME_LENGTH = 200
"""Longest module, function or exception name kept; a longer one becomes ``other``."""


def closed(allowed: Any, fallback: str = OTHER) -> BeforeValidator:
    """A validator that keeps a value of the ``Literal`` ``allowed`` and turns anything
    else into ``fallback``, so the raw value of an unknown name is never kept."""
    names = frozenset(get_args(allowed))

    def check(value: object) -> object:
        return value if isinstance(value, str) and value in names else fallback

    return BeforeValidator(check)


def _not_below_zero(value: object) -> object:
    """Negative numbers (a clock that went back, a server's odd count) become 0; any
    other value, infinities too, is left for the strict type check to accept or refuse."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return type(value)(0) if math.isfinite(value) and value < 0 else value


def _http_status(value: object) -> object:
    """Statuses outside 100-599 are dropped rather than refused: they say nothing."""
    if isinstance(value, int) and not isinstance(value, bool) and not 100 <= value <= 599:
        return None
    return value


def _short_name(value: object) -> object:
    return OTHER if isinstance(value, str) and len(value) > MAX_NAME_LENGTH else value


Count = Annotated[int, BeforeValidator(_not_below_zero), Strict(), Field(ge=0)]
"""A non-negative integer (token counts, line numbers); bools, floats and strings are
refused, negative numbers become 0."""

Duration = Annotated[
    float,
    BeforeValidator(_not_below_zero),
    Strict(),
    Field(ge=0, allow_inf_nan=False),
    AfterValidator(lambda number: round(number, 1)),
]
"""A finite, non-negative number of milliseconds or seconds, rounded to 0.1."""

HttpStatus = Annotated[
    Annotated[int, Strict(), Field(ge=100, le=599)] | None, BeforeValidator(_http_status)
]
"""An HTTP status code, or None when there was none (or it was not a real one)."""

Name = Annotated[str, BeforeValidator(_short_name), Strict(), Field(max_length=MAX_NAME_LENGTH)]
"""A module, function or exception name, no longer than :data:`MAX_NAME_LENGTH`."""

Flag = Annotated[bool, Strict()]
"""A real bool; truthy strings or numbers are refused."""


class _Frozen(BaseModel):
    """Immutable and closed to fields nobody declared.

    Strictness is per field type (``Count``, ``Duration``, ``Flag``, ``Name``), not for
    the whole model: a closed-set field takes any value and turns the unknown ones into
    ``other``, so its callers may pass a plain ``str``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(_Frozen):
    """Base of every event: its wire name and severity, and its fields as attributes."""

    name: ClassVar[str] = "event"
    severity: ClassVar[Severity] = "INFO"

    def attributes(self) -> dict[str, int | float | bool | str | list[dict[str, Any]]]:
        """The fields as they are exported (``None`` fields are left out)."""
        values: dict[str, int | float | bool | str | list[dict[str, Any]]] = {}
        for field_name in type(self).model_fields:
            value = getattr(self, field_name)
            if value is None:
                continue
            if isinstance(value, tuple):
                values[field_name] = [frame.model_dump() for frame in value]
            else:
                values[field_name] = value
        return values


class AppStart(Event):
    """The app started: which way, and how long it took until it was ready."""

    name: ClassVar[str] = "app_start"
    mode: Annotated[AppMode, closed(AppMode, "tui")]
    startup_ms: Duration


class AppStop(Event):
    """The app ended after ``duration_s`` seconds."""

    name: ClassVar[str] = "app_stop"
    duration_s: Duration


class CommandUsed(Event):
    """A slash command was run (from the prompt or the command palette)."""

    name: ClassVar[str] = "command_used"
    command: Annotated[CommandName, closed(CommandName)]


class ScreenOpened(Event):
    """A screen or dialog was shown."""

    name: ClassVar[str] = "screen_opened"
    screen: Annotated[ScreenName, closed(ScreenName)]


class AuthMethodChosen(Event):
    """The user picked a sign-in method."""

    name: ClassVar[str] = "auth_method_chosen"
    method: Annotated[AuthMethodName, closed(AuthMethodName)]


class ApiRequest(Event):
    """One answer asked of the provider: how fast, how big, whether it finished."""

    name: ClassVar[str] = "api_request"
    provider: Annotated[ProviderId, closed(ProviderId, "custom")]
    latency_ms: Duration
    ttft_ms: Duration | None
    prompt_tokens: Count
    completion_tokens: Count
    finished: Flag


class ErrorReport(Event):
    """An answer failed: what kind of failure, and the HTTP status if there was one."""

    name: ClassVar[str] = "error"
    severity: ClassVar[Severity] = "ERROR"
    kind: Annotated[ErrorKind, closed(ErrorKind)]
    status: HttpStatus = None


class ToolUsed(Event):
    """The coding agent ran (or refused) a tool call: which tool, how it was decided,
    how long it took, whether it worked. Never a path, an argument, a command, file
    contents or output."""

    name: ClassVar[str] = "tool_used"
    tool: Annotated[ToolName, closed(ToolName)]
    decision: Annotated[ToolDecisionName, closed(ToolDecisionName)]
    duration_ms: Duration
    success: Flag


class StackFrame(_Frozen):
    """One of the app's own frames: module, function and line, nothing else.

    Build these with :func:`qwen_tui.telemetry.crash.crash_report`; a :class:`Crash`
    checks the module and function names against the app's loaded code.
    """

    module: Name
    function: Name
    line: Count


_OTHER_FRAME = StackFrame(module=OTHER, function=OTHER, line=0)


def _checked_frame(frame: object) -> StackFrame:
    """``frame`` with names the app's own code defines; anything else is ``other``."""
    if not isinstance(frame, StackFrame) or not is_loaded_app_module(frame.module):
        return _OTHER_FRAME
    if defines_function(frame.module, frame.function):
        return frame
    return StackFrame(module=frame.module, function=OTHER, line=frame.line)


def _checked_stack(frames: object) -> object:
    """The innermost :data:`MAX_STACK_FRAMES` frames, each checked."""
    if not isinstance(frames, tuple | list):
        return frames
    return tuple(_checked_frame(frame) for frame in frames[-MAX_STACK_FRAMES:])


class Crash(Event):
    """The app crashed: the exception's type name and a scrubbed stack.

    ``exception`` is a builtin exception's name or a ``qwen_tui`` class's dotted name,
    else ``other``; the stack holds only ``qwen_tui`` frames (see :class:`StackFrame`).
    The message, file paths and locals are never part of it.
    """

    name: ClassVar[str] = "crash"
    severity: ClassVar[Severity] = "FATAL"
    exception: Annotated[Name, BeforeValidator(checked_exception_name)]
    stack: Annotated[
        tuple[StackFrame, ...],
        BeforeValidator(_checked_stack),
        Field(max_length=MAX_STACK_FRAMES),
    ] = ()


EVENT_TYPES: tuple[type[Event], ...] = (
    AppStart,
    AppStop,
    CommandUsed,
    ScreenOpened,
    AuthMethodChosen,
    ApiRequest,
    ErrorReport,
    ToolUsed,
    Crash,
)
"""Every event there is."""
