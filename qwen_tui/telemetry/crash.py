"""Crash reports with nothing of the user's in them.

A traceback carries file paths (with the user's name), locals and a message that may
quote code or a prompt. A crash report keeps only what points at the app's own code:
the exception's type name (when it is a builtin or a ``qwen_tui`` class) and, per
``qwen_tui`` frame, the module name, function name and line number. Names are checked
against the code actually loaded (:mod:`qwen_tui.telemetry.app_code`), so a forged name
cannot smuggle text in.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator

from qwen_tui.telemetry.app_code import OTHER, checked_exception_name, is_app_module
from qwen_tui.telemetry.events import MAX_STACK_FRAMES, Crash, StackFrame


def exception_name(kind: type[BaseException]) -> str:
    """The reportable name of an exception class: builtin name, ``qwen_tui`` dotted
    name, or ``other`` (a library's or the user's class)."""
    module = getattr(kind, "__module__", "")
    if module == "builtins":
        return checked_exception_name(kind.__name__)
    if is_app_module(module):
        return checked_exception_name(f"{module}.{kind.__qualname__}")
    return OTHER


def _app_frames(error: BaseException) -> Iterator[StackFrame]:
    for frame, line in traceback.walk_tb(error.__traceback__):
        module = frame.f_globals.get("__name__")
        if is_app_module(module):
            yield StackFrame(module=str(module), function=frame.f_code.co_name, line=line or 0)


def crash_report(error: BaseException) -> Crash:
    """The :class:`Crash` event for an uncaught exception (innermost frames kept)."""
    frames = tuple(_app_frames(error))[-MAX_STACK_FRAMES:]
    return Crash(exception=exception_name(type(error)), stack=frames)
