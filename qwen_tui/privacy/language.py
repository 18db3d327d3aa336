"""The language of the privacy and terms texts: the ``ui.language`` setting, else the
locale, else English."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

Language = Literal["en", "ru"]

_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def pick_language(setting: str | None, environ: Mapping[str, str] | None = None) -> Language:
    """The language to show.

    Args:
        setting: ``ui.language`` (``"en"``, ``"ru"`` or unset).
        environ: the environment to read the locale from (default: the process's).

    Returns:
        The setting when it names a supported language; otherwise Russian when the
        first locale variable that is set (in POSIX order of precedence) is Russian;
        otherwise English.
    """
    if setting in ("en", "ru"):
        return "ru" if setting == "ru" else "en"
    env = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        value = env.get(name, "").strip()
        if value and value not in ("C", "POSIX"):
            return "ru" if value.lower().startswith("ru") else "en"
    return "en"
