"""Read and update ``settings.json`` without ever losing what is in it.

The file may be edited by hand or by other tools, so reading tolerates damage (a broken
file is backed up and reported, never silently replaced), and writing patches only the
keys the app changes, keeping every key it does not know.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from qwen_tui.config.atomic import write_private_atomic
from qwen_tui.text.errors import UserFacingError


class SettingsWriteError(UserFacingError):
    """settings.json could not be written; the message names the file and the cause."""


@dataclass
class FileRead:
    """What was read from settings.json: usable data and the problems found on the way."""

    data: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    backup: Path | None = None


def _backup(path: Path) -> Path:
    """Copy a damaged settings file aside so the user's text is never lost.

    The copy is byte for byte, so a file that is not even valid UTF-8 is kept as it
    was. A start-up with the same damaged file reuses the earlier copy instead of adding
    one per run.
    """
    text = path.read_bytes()
    for earlier in sorted(path.parent.glob(f"{path.name}.broken-*")):
        if earlier.read_bytes() == text:
            return earlier
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.name}.broken-{stamp}-{counter}")
        counter += 1
    write_private_atomic(target, text)
    return target


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _drop_path(data: dict[str, Any], loc: tuple[int | str, ...]) -> None:
    """Remove the value at ``loc`` so the rest of the file can still be used."""
    node: Any = data
    for part in loc[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
            continue
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            continue
        return
    last = loc[-1] if loc else None
    if isinstance(node, dict) and last in node:
        del node[last]
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node.pop(last)


def read_settings_file(path: Path, validate: Any) -> FileRead:
    """Read ``path``, keeping every valid value and reporting every invalid one.

    Args:
        path: settings.json.
        validate: a callable that validates a dict and raises ``ValidationError``
            (``Settings.model_validate``); passed in so this module does not depend on
            the schema.

    Returns:
        The usable data; ``problems`` holds one plain sentence per problem, naming the
        file and the field, and ``backup`` the copy made of a damaged file.
    """
    result = FileRead()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return result
    except UnicodeDecodeError as exc:
        where = f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        try:
            result.backup = _backup(path)
        except OSError as copy_error:
            result.problems.append(
                f"{path} is not valid UTF-8 text ({where}) and could not be copied aside "
                f"({copy_error.strerror or copy_error}); defaults are used until it is fixed."
            )
            return result
        result.problems.append(
            f"{path} is not valid UTF-8 text ({where}). It was copied to "
            f"{result.backup.name}; defaults are used until it is fixed."
        )
        return result
    except OSError as exc:
        result.problems.append(f"Could not read {path}: {exc}. Using defaults.")
        return result
    if not text.strip():
        return result
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        result.backup = _backup(path)
        result.problems.append(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            f"It was copied to {result.backup.name}; defaults are used until it is fixed."
        )
        return result
    if not isinstance(raw, dict):
        result.backup = _backup(path)
        result.problems.append(
            f"{path} must hold a JSON object, not {type(raw).__name__}. "
            f"It was copied to {result.backup.name}; defaults are used."
        )
        return result
    data: dict[str, Any] = raw
    for _ in range(20):
        try:
            validate(data)
            break
        except ValidationError as exc:
            if result.backup is None:
                result.backup = _backup(path)
            for error in exc.errors():
                loc = tuple(error["loc"])
                shown = json.dumps(error.get("input"), default=str)
                if len(shown) > 60:
                    shown = shown[:57] + "..."
                result.problems.append(
                    f"{path}: {_dotted(loc)} is invalid ({error['msg']}; found {shown}). "
                    f"That value is ignored; the file was copied to {result.backup.name}."
                )
                _drop_path(data, loc)
    result.data = data
    return result


def deep_merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``base``; a ``None`` value in the patch deletes a key."""
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = deep_merge({}, value)
        else:
            merged[key] = value
    return merged


def dotted_patch(dotted_key: str, value: Any) -> dict[str, Any]:
    """Turn ``"privacy.usageStatisticsEnabled", True`` into a nested patch."""
    patch: dict[str, Any] = {}
    node = patch
    parts = dotted_key.split(".")
    for part in parts[:-1]:
        node[part] = {}
        node = node[part]
    node[parts[-1]] = value
    return patch


def update_settings_file(path: Path, patch: Mapping[str, Any]) -> dict[str, Any]:
    """Apply ``patch`` (camelCase keys) to settings.json atomically and return the new data.

    Unknown keys already in the file are kept. A file that is not valid JSON (or not
    UTF-8) is copied aside first (the copy made when it was read is reused); it is then
    replaced by the patch alone rather than refusing to save the user's choice.

    Raises:
        SettingsWriteError: the file or its folder cannot be written.
    """
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(current, dict):
            current = {}
    except FileNotFoundError:
        current = {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        current = {}
        try:
            _backup(path)
        except OSError as exc:
            raise SettingsWriteError(
                f"{path} is damaged and could not be copied aside before saving "
                f"({exc.strerror or exc}); it was left as it is."
            ) from exc
    except OSError as exc:
        raise SettingsWriteError(
            f"Could not read {path} to update it: {exc.strerror or exc}. "
            "Check that the folder is writable, or point QWEN_TUI_HOME to one that is."
        ) from exc
    merged = deep_merge(current, patch)
    try:
        write_private_atomic(path, json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise SettingsWriteError(
            f"Could not save settings to {path}: {exc.strerror or exc}. "
            "Check that the folder is writable, or point QWEN_TUI_HOME to one that is."
        ) from exc
    return merged
