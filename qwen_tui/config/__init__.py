"""Settings, paths and ``.env`` discovery. Imports no textual and nothing heavy."""

from qwen_tui.config.loader import LoadedSettings, load_settings
from qwen_tui.config.model import AuthType, CustomProvider, Settings
from qwen_tui.config.paths import app_home, ensure_private_dir, sessions_dir, settings_path
from qwen_tui.config.settings_file import SettingsWriteError, dotted_patch, update_settings_file

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
