"""Write one settings change: checked against the schema first, then saved atomically.

The only writer of settings.json besides ``config`` itself: every caller names the
change (``Account.set_theme`` …) and the camelCase patch is built and checked here, so a
wrong key or a value the app would refuse at the next start never reaches the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from qwen_tui.config import LoadedSettings, SettingsWriteError
from qwen_tui.config.model import SettingsData
from qwen_tui.config.settings_file import deep_merge, update_settings_file


class SettingRefused(SettingsWriteError):
    """A value the settings schema does not accept; nothing was written."""


def check_patch(loaded: LoadedSettings, patch: Mapping[str, Any]) -> None:
    """Refuse ``patch`` unless settings.json with it applied is valid.

    Only what the file already holds validly is merged in, so damage elsewhere in the
    file (reported at start-up) does not block an unrelated change.

    Raises:
        SettingRefused: names the key, what is wrong, and that nothing was saved.
    """
    current = loaded.file_settings.model_dump(mode="json", by_alias=True, exclude_unset=True)
    try:
        SettingsData.model_validate(deep_merge(current, patch))
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise SettingRefused(
            f"{key} cannot be {first.get('input')!r}: {first['msg']}. Nothing was saved."
        ) from error


def write_patch(loaded: LoadedSettings, patch: Mapping[str, Any]) -> None:
    """Check ``patch`` and apply it to settings.json atomically.

    Raises:
        SettingRefused: the value is invalid (the file is untouched).
        SettingsWriteError: the file or its folder cannot be written.
    """
    check_patch(loaded, patch)
    update_settings_file(loaded.settings_file, patch)
