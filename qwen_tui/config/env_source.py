"""``QWEN_TUI_*`` variables as a nested settings layer, and the merge of layers.

This does what pydantic-settings' environment source did for qwen-tui (prefix
``QWEN_TUI_``, one ``__`` per level, names case-insensitive, JSON for sections and lists)
without importing pydantic-settings, which cost about 60 ms of every start-up before
the first frame. The result is plain dicts; :mod:`qwen_tui.config.loader` merges them
and lets pydantic validate the merged value once.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

ENV_PREFIX = "QWEN_TUI_"
NESTED_DELIMITER = "__"


_UNKNOWN: Any = object()
"""Marks a variable name that names no setting."""


def _field_type(schema: type[BaseModel], path: list[str]) -> Any:
    """The annotation of the setting at ``path`` (snake_case names), or ``_UNKNOWN``."""
    annotation: Any = schema
    for part in path:
        model = _model_in(annotation)
        if model is None or part not in model.model_fields:
            return _UNKNOWN
        annotation = model.model_fields[part].annotation
    return annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model ``annotation`` is, or is optionally, else ``None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        for argument in get_args(annotation):
            model = _model_in(argument)
            if model is not None:
                return model
    return None


def _is_complex(annotation: Any) -> bool:
    """Whether a value for ``annotation`` is written as JSON (a section, list or map)."""
    if _model_in(annotation) is not None:
        return True
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_is_complex(argument) for argument in get_args(annotation))
    return origin in (list, dict, tuple, set) or annotation in (list, dict, tuple, set)


def _decode(raw: str, annotation: Any) -> Any:
    """A variable's value: JSON for complex settings, the text itself otherwise.

    Text that is not valid JSON is passed on as it is, so that validation reports it
    as a bad value of that setting (a problem on screen, not a crash)."""
    if _is_complex(annotation):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def env_layer(values: Mapping[str, str], schema: type[BaseModel]) -> dict[str, Any]:
    """The settings that ``QWEN_TUI_<SECTION>__<KEY>`` variables in ``values`` set.

    Args:
        values: the environment, or the variables of a ``.env`` file.
        schema: the settings model, to know which names exist and which take JSON.

    Returns:
        Nested snake_case dicts, e.g. ``{"privacy": {"usage_statistics_enabled": "true"}}``;
        variables that name no setting are left out.
    """
    found: list[tuple[list[str], str]] = []
    for name, raw in values.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split(NESTED_DELIMITER)
        if all(path):
            found.append((path, raw))
    layer: dict[str, Any] = {}
    # Shallow names first, so ``QWEN_TUI_MODEL__NAME`` refines a JSON ``QWEN_TUI_MODEL``.
    for path, raw in sorted(found, key=lambda item: len(item[0])):
        annotation = _field_type(schema, path)
        if annotation is _UNKNOWN:
            continue
        node = layer
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = _decode(raw, annotation)
    return layer


def merge_layers(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge settings layers, lowest precedence first: later layers win key by key,
    sections merge recursively, and an explicit ``None`` overrides (it means "unset
    this", as ``OPENAI_BASE_URL`` does to the provider)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _merge(merged, layer)
    return merged


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in top.items():
        below = result.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            result[key] = _merge(below, value)
        elif isinstance(value, Mapping):
            result[key] = _merge({}, value)
        else:
            result[key] = value
    return result
