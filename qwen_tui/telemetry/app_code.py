"""Whether a name belongs to the app's own loaded code.

A crash report may name an exception class, a module and a function, and nothing
else. Each name is kept only if the code actually loaded defines it, so a forged or
user-made name cannot carry text out. The event schema and the crash reporter both
ask here; neither needs the other for it.
"""

from __future__ import annotations

import builtins
import sys
import types
from functools import lru_cache

APP_PACKAGE = "qwen_tui"
OTHER = "other"

_SYNTHETIC_NAMES = frozenset(
    {"<module>", "<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>"}
)


def is_app_module(name: object) -> bool:
    """``name`` is ``qwen_tui`` or one of its submodules (loaded or not)."""
    return isinstance(name, str) and (name == APP_PACKAGE or name.startswith(APP_PACKAGE + "."))


def is_loaded_app_module(name: object) -> bool:
    """``name`` is an app module that this process has imported."""
    return is_app_module(name) and name in sys.modules


@lru_cache(maxsize=1)
def _builtin_exception_names() -> frozenset[str]:
    return frozenset(
        name
        for name, value in vars(builtins).items()
        if isinstance(value, type) and issubclass(value, BaseException)
    )


def checked_exception_name(name: object) -> str:
    """``name`` if it names a builtin exception or a loaded ``qwen_tui`` exception class,
    else ``other``."""
    if not isinstance(name, str):
        return OTHER
    if name in _builtin_exception_names():
        return name
    module_name, _, qualname = name.rpartition(".")
    while is_app_module(module_name):
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


def defines_function(module_name: str, function: object) -> bool:
    """The loaded app module ``module_name`` defines a function called ``function``."""
    return isinstance(function, str) and function in _function_names(module_name)


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
