"""Settings, paths and ``.env`` discovery. Imports no textual and nothing heavy.

The names below are imported on first use: importing the package (or one of its light
modules, such as :mod:`qwen_tui.config.first_look`) does not import pydantic, which
the settings model and loader need and the first frame does not.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qwen_tui.config.loader import LoadedSettings, load_settings
    from qwen_tui.config.model import AuthType, CustomProvider, Settings
    from qwen_tui.config.paths import app_home, ensure_private_dir, sessions_dir, settings_path
    from qwen_tui.config.settings_file import (
        SettingsWriteError,
        dotted_patch,
        update_settings_file,
    )

_HOMES = {
    "LoadedSettings": "loader",
    "load_settings": "loader",
    "AuthType": "model",
    "CustomProvider": "model",
    "Settings": "model",
    "app_home": "paths",
    "ensure_private_dir": "paths",
    "sessions_dir": "paths",
    "settings_path": "paths",
    "SettingsWriteError": "settings_file",
    "dotted_patch": "settings_file",
    "update_settings_file": "settings_file",
}


def __getattr__(name: str) -> object:
    """Import an exported name from its module when it is first asked for."""
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AuthType",
    "CustomProvider",
    "LoadedSettings",
    "Settings",
    "SettingsWriteError",
    "app_home",
    "dotted_patch",
    "ensure_private_dir",
    "load_settings",
    "sessions_dir",
    "settings_path",
    "update_settings_file",
]
