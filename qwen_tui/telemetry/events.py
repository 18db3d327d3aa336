"""The closed list of telemetry events, each field an allow-listed type.

Why this shape: the seed promises that usage statistics never contain code, prompts,
model responses or personal data. Rather than scrubbing text after the fact, no event
has a field that could hold free text at all. Every field is a number, a bool, or a
name from a closed set defined here (a ``Literal``); a value outside its set becomes
``"other"`` when the event is built, so a raw string can never pass through.

The closed sets are copies, not imports, of names that live in higher layers (slash
commands in ``ui``, failure kinds in ``chat``): telemetry sits below both. Tests check
the copies against the originals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal, get_args

Other = Literal["other"]

CommandName = Literal[
    "auth",
    "model",
    "clear",
    "resume",
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
    "other",
]
"""Screens and dialogs of the TUI."""

AuthMethodName = Literal["qwen-oauth", "openai", "other"]
"""``security.auth.selectedType`` values."""

ProviderId = Literal[
    "qwen",
    "openai",
    "dashscope-intl",
    "dashscope-cn",
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

AppMode = Literal["tui", "headless"]
Severity = Literal["INFO", "WARN", "ERROR", "FATAL"]

SEVERITY_NUMBERS: dict[Severity, int] = {"INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
"""OTLP ``SeverityNumber`` of each severity text."""

MAX_STACK_FRAMES = 32


def closed(value: object, allowed: Any, fallback: str = "other") -> Any:
    """``value`` when it is one of the ``Literal`` ``allowed``, else ``fallback``.

    Used by every identifier field, so the raw value of an unknown name is never kept.
    """
    return value if isinstance(value, str) and value in get_args(allowed) else fallback


def count(value: object) -> int:
    """A non-negative integer (token counts, line numbers); anything else is an error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int, got {type(value).__name__}")
    return max(0, value)


def duration(value: object) -> float:
    """A finite, non-negative number of milliseconds or seconds, rounded to 0.1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("expected a finite number")
    return round(max(0.0, number), 1)


def optional_duration(value: object) -> float | None:
    """:func:`duration`, or None (for "never happened", such as no first token)."""
    return None if value is None else duration(value)


def flag(value: object) -> bool:
    """A real bool; truthy strings or numbers are refused."""
    if not isinstance(value, bool):
        raise TypeError(f"expected a bool, got {type(value).__name__}")
    return value


def http_status(value: object) -> int | None:
    """An HTTP status code (100-599) or None."""
    if value is None:
        return None
    status = count(value)
    return status if 100 <= status <= 599 else None


def _set(event: object, name: str, value: object) -> None:
    object.__setattr__(event, name, value)


@dataclass(frozen=True)
class Event:
    """Base of every event: its wire name and severity, and its fields as attributes."""

    name: ClassVar[str] = "event"
    severity: ClassVar[Severity] = "INFO"

    def attributes(self) -> dict[str, int | float | bool | str | list[dict[str, Any]]]:
        """The fields as they are exported (``None`` fields are left out)."""
        values: dict[str, int | float | bool | str | list[dict[str, Any]]] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            if isinstance(value, tuple):
                values[item.name] = [frame.as_dict() for frame in value]
            else:
                values[item.name] = value
        return values


@dataclass(frozen=True)
class AppStart(Event):
    """The app started: which way, and how long it took until it was ready."""

    name: ClassVar[str] = "app_start"
    mode: AppMode
    startup_ms: float

    def __post_init__(self) -> None:
        _set(self, "mode", closed(self.mode, AppMode, "tui"))
        _set(self, "startup_ms", duration(self.startup_ms))


@dataclass(frozen=True)
class AppStop(Event):
    """The app ended after ``duration_s`` seconds."""

    name: ClassVar[str] = "app_stop"
    duration_s: float

    def __post_init__(self) -> None:
        _set(self, "duration_s", duration(self.duration_s))


@dataclass(frozen=True)
class CommandUsed(Event):
    """A slash command was run (from the prompt or the command palette)."""

    name: ClassVar[str] = "command_used"
    command: CommandName

    def __post_init__(self) -> None:
        _set(self, "command", closed(self.command, CommandName))


@dataclass(frozen=True)
class ScreenOpened(Event):
    """A screen or dialog was shown."""

    name: ClassVar[str] = "screen_opened"
    screen: ScreenName

    def __post_init__(self) -> None:
        _set(self, "screen", closed(self.screen, ScreenName))


@dataclass(frozen=True)
class AuthMethodChosen(Event):
    """The user picked a sign-in method."""

    name: ClassVar[str] = "auth_method_chosen"
    method: AuthMethodName

    def __post_init__(self) -> None:
        _set(self, "method", closed(self.method, AuthMethodName))


@dataclass(frozen=True)
class ApiRequest(Event):
    """One answer asked of the provider: how fast, how big, whether it finished."""

    name: ClassVar[str] = "api_request"
    provider: ProviderId
    latency_ms: float
    ttft_ms: float | None
    prompt_tokens: int
    completion_tokens: int
    finished: bool

    def __post_init__(self) -> None:
        _set(self, "provider", closed(self.provider, ProviderId, "custom"))
        _set(self, "latency_ms", duration(self.latency_ms))
        _set(self, "ttft_ms", optional_duration(self.ttft_ms))
        _set(self, "prompt_tokens", count(self.prompt_tokens))
        _set(self, "completion_tokens", count(self.completion_tokens))
        _set(self, "finished", flag(self.finished))


@dataclass(frozen=True)
class ErrorReport(Event):
    """An answer failed: what kind of failure, and the HTTP status if there was one."""

    name: ClassVar[str] = "error"
    severity: ClassVar[Severity] = "ERROR"
    kind: ErrorKind
    status: int | None = None

    def __post_init__(self) -> None:
        _set(self, "kind", closed(self.kind, ErrorKind))
        _set(self, "status", http_status(self.status))


@dataclass(frozen=True)
class StackFrame:
    """One of the app's own frames: module, function and line, nothing else.

    Build these with :func:`qwen_tui.telemetry.crash.crash_report`, which checks the
    module and function names against the app's loaded code.
    """

    module: str
    function: str
    line: int

    def as_dict(self) -> dict[str, Any]:
        """The frame as exported."""
        return {"module": self.module, "function": self.function, "line": self.line}


@dataclass(frozen=True)
class Crash(Event):
    """The app crashed: the exception's type name and a scrubbed stack.

    ``exception`` is a builtin exception's name or a ``qwen_tui`` class's dotted name,
    else ``other``; the stack holds only ``qwen_tui`` frames (see :class:`StackFrame`).
    The message, file paths and locals are never part of it.
    """

    name: ClassVar[str] = "crash"
    severity: ClassVar[Severity] = "FATAL"
    exception: str
    stack: tuple[StackFrame, ...] = ()

    def __post_init__(self) -> None:
        from qwen_tui.telemetry.crash import checked_exception_name, checked_frame

        _set(self, "exception", checked_exception_name(self.exception))
        frames = tuple(self.stack)[-MAX_STACK_FRAMES:]
        _set(self, "stack", tuple(checked_frame(frame) for frame in frames))


EVENT_TYPES: tuple[type[Event], ...] = (
    AppStart,
    AppStop,
    CommandUsed,
    ScreenOpened,
    AuthMethodChosen,
    ApiRequest,
    ErrorReport,
    Crash,
)
"""Every event there is."""
