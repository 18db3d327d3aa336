"""Crash reports with nothing of the user's in them.

A traceback carries file paths (with the user's name), locals and a message that may
quote code or a prompt. A crash report keeps only what points at the app's own code:
the exception's type name (when it is a builtin or a ``qwen_tui`` class) and, per
``qwen_tui`` frame, the module name, function name and line number. Names are checked
against the code actually loaded, so a forged name cannot smuggle text in.
"""

from __future__ import annotations

import builtins
import sys
import traceback
import types
from collections.abc import Iterator
from functools import lru_cache

from qwen_tui.telemetry.events import MAX_STACK_FRAMES, Crash, StackFrame

APP_PACKAGE = "qwen_tui"
OTHER = "other"

_SYNTHETIC_NAMES = frozenset(
    {"<module>", "<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}
)


def _is_app_module(name: object) -> bool:
    return isinstance(name, str) and (name == APP_PACKAGE or name.startswith(APP_PACKAGE + "."))


@lru_cache(maxsize=1)
def _builtin_exception_names() -> frozenset[str]:
    return frozenset(
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    )


def exception_name(kind: type[BaseException]) -> str:
    """The reportable name of an exception class: builtin name, ``qwen_tui`` dotted
    name, or ``other`` (a library's or the user's class)."""
    module = getattr(kind, "__module__", "")
    if module == "builtins":
        return checked_exception_name(kind.__name__)
    if _is_app_module(module):
        return checked_exception_name(f"{module}.{kind.__qualname__}")
    return OTHER


def checked_exception_name(name: object) -> str:
    """``name`` if it names a builtin exception or a loaded ``qwen_tui`` exception class."""
    if not isinstance(name, str):
        return OTHER
    if name in _builtin_exception_names():
        return name
    module_name, _, qualname = name.rpartition(".")
    while _is_app_module(module_name):
        module = sys.modules.get(module_name)
        if module is not None:
            value: object = module
            for part in qualname.split("."):
                value = getattr(value, part, None)
            if isinstance(value, type) and issubclass(value, BaseException):
                return name
            return OTHER
        module_name, _, outer = module_name.rpartition(".")
        qualname = f"{outer}.{qualname}"
    return OTHER


@lru_cache(maxsize=256)
def _function_names(module_name: str) -> frozenset[str]:
    """Every function name defined in a loaded ``qwen_tui`` module (nested ones too)."""
    module = sys.modules.get(module_name)
    if module is None:
        return frozenset()
    names: set[str] = set(_SYNTHETIC_NAMES)
    seen: set[int] = set()

    def walk_code(code: types.CodeType) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        names.add(code.co_name)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                walk_code(const)

    def walk(value: object, depth: int) -> None:
        if depth > 4:
            return
        target = value
        for _ in range(8):  # functools.wraps chains
            inner = getattr(target, "__wrapped__", None)
            if inner is None:
                break
            target = inner
        code = getattr(target, "__code__", None)
        if isinstance(code, types.CodeType):
            walk_code(code)
        for attribute in ("fget", "fset", "fdel", "__func__"):
            inner = getattr(value, attribute, None)
            if inner is not None:
                walk(inner, depth + 1)
        if isinstance(value, type) and value.__module__ == module_name:
            for member in vars(value).values():
                walk(member, depth + 1)

    for member in list(vars(module).values()):
        if getattr(member, "__module__", module_name) == module_name:
            walk(member, 0)
    return frozenset(names)


def checked_frame(frame: object) -> StackFrame:
    """A :class:`StackFrame` whose names are the app's own, else ``other``."""
    if not isinstance(frame, StackFrame):
        return StackFrame(OTHER, OTHER, 0)
    module = frame.module if _is_app_module(frame.module) and frame.module in sys.modules else None
    if module is None:
        return StackFrame(OTHER, OTHER, 0)
    function = frame.function if frame.function in _function_names(module) else OTHER
    line = frame.line if isinstance(frame.line, int) and not isinstance(frame.line, bool) else 0
    return StackFrame(module, function, max(0, line))


def _app_frames(error: BaseException) -> Iterator[StackFrame]:
    for frame, line in traceback.walk_tb(error.__traceback__):
        module = frame.f_globals.get("__name__")
        if _is_app_module(module):
            yield StackFrame(str(module), frame.f_code.co_name, line)


def crash_report(error: BaseException) -> Crash:
    """The :class:`Crash` event for an uncaught exception (innermost frames kept)."""
    frames = tuple(_app_frames(error))[-MAX_STACK_FRAMES:]
    return Crash(exception=exception_name(type(error)), stack=frames)
