"""What the first screen needs from the settings, read before pydantic is imported.

Importing pydantic and pydantic-settings and building the settings' validators takes
about as long as the rest of start-up up to the first frame. The first screen needs
three things only: the state folder, the theme, and whether a provider is chosen (the
chat screen) or not (the welcome screen). :func:`first_look` reads them from the same
sources, and answers only where its reading cannot differ from
:func:`qwen_tui.config.load_settings`'s, which stays the one settings reader: it runs
right after the first frame and everything else (the provider, the key, every
problem to report) comes from it. Where the answer is not certain (a ``.env`` file,
a ``QWEN_TUI_<SECTION>…`` variable, a value pydantic might reject or read otherwise)
:func:`first_look` returns ``None`` and the full load runs before the first frame, as
it always did. A test holds the two readers to the same answers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_tui.config.dotenv_discovery import find_dotenv
from qwen_tui.config.paths import app_home, settings_path, tighten_home

if TYPE_CHECKING:
    from qwen_tui.config.loader import LoadedSettings

DEFAULT_THEME = "textual-dark"
"""``ui.theme`` when nothing sets it (the settings model's default too)."""

AUTH_TYPES = ("qwen-oauth", "openai")
"""The values of ``security.auth.selectedType`` (``AuthType`` in the settings model)."""

SECTIONS = (
    "security",
    "model",
    "privacy",
    "telemetry",
    "ui",
    "tools",
    "credentials",
    "oauth",
    "providers",
    "mcp_servers",
)
"""The settings' top-level sections: ``QWEN_TUI_<SECTION>`` and
``QWEN_TUI_<SECTION>__<KEY>`` are the variables pydantic-settings reads."""

SETTINGS_ENV_PREFIX = "QWEN_TUI_"
OPENAI_BASE_URL = "OPENAI_BASE_URL"
OPENAI_API_KEY = "OPENAI_API_KEY"


@dataclass(frozen=True)
class FirstLook:
    """What decides the first screen and how it looks.

    Attributes:
        home: the state folder (``QWEN_TUI_HOME``).
        theme: ``ui.theme``.
        provider_chosen: a sign-in method is selected, or the environment picks an
            OpenAI-compatible provider: the chat screen opens, not the welcome screen.
    """

    home: Path
    theme: str
    provider_chosen: bool


@dataclass(frozen=True)
class DeferredSettings:
    """Settings whose full load waits until the first frame is on screen.

    Attributes:
        look: what the first screen needs, from :func:`first_look`.
        load: loads the settings with :func:`qwen_tui.config.load_settings`.
    """

    look: FirstLook
    load: Callable[[], LoadedSettings]


class _Unsure(Exception):
    """The full settings load might read this input otherwise."""


def _is_setting_variable(name: str) -> bool:
    """Whether pydantic-settings reads ``name`` (it matches names in any case)."""
    upper = name.upper()
    if not upper.startswith(SETTINGS_ENV_PREFIX):
        return False
    return upper[len(SETTINGS_ENV_PREFIX) :].split("__")[0].lower() in SECTIONS


def _section(node: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """``node[name]`` when it is an object; absent counts as empty."""
    value = node.get(name, {})
    if not isinstance(value, dict):
        raise _Unsure
    return value


def _value(node: Mapping[str, Any], camel: str, snake: str) -> Any:
    """The value under the JSON (camelCase) name; the Python name, which pydantic also
    takes, is left to pydantic."""
    if snake != camel and snake in node:
        raise _Unsure
    return node.get(camel)


def _file_choices(path: Path) -> tuple[str | None, str]:
    """``security.auth.selectedType`` and ``ui.theme`` from settings.json."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, DEFAULT_THEME
    except (OSError, UnicodeDecodeError) as error:
        raise _Unsure from error
    if not text.strip():
        return None, DEFAULT_THEME
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Unsure from error
    if not isinstance(data, dict):
        raise _Unsure
    auth = _section(_section(data, "security"), "auth")
    selected = _value(auth, "selectedType", "selected_type")
    if selected is not None and selected not in AUTH_TYPES:
        raise _Unsure
    theme = _value(_section(data, "ui"), "theme", "theme")
    if theme is None and "theme" in _section(data, "ui"):
        raise _Unsure  # null is not a theme: pydantic reports it and uses the default
    if theme is not None and not isinstance(theme, str):
        raise _Unsure
    return selected, DEFAULT_THEME if theme is None else theme


def _flag_selection(flags: Mapping[str, Any]) -> str | None:
    """The sign-in method the command line selects (``--provider``/``--base-url``)."""
    security = flags.get("security", {})
    auth = security.get("auth", {}) if isinstance(security, Mapping) else None
    if not isinstance(auth, Mapping):
        raise _Unsure
    selected = auth.get("selected_type")
    if selected is not None and selected not in AUTH_TYPES:
        raise _Unsure
    return selected if isinstance(selected, str) else None


def first_look(
    flags: Mapping[str, Any] | None = None,
    *,
    home: Path | None = None,
    cwd: Path | None = None,
    user_home: Path | None = None,
) -> FirstLook | None:
    """The first screen's settings, or ``None`` when only the full load can tell.

    Arguments as for :func:`qwen_tui.config.load_settings`. Like it, this makes an
    existing state folder private first; its warnings, if any, are reported by the full
    load.
    """
    env = os.environ
    if any(_is_setting_variable(name) for name in env):
        return None  # pydantic-settings reads these, and drops them all if one is invalid
    own_home = user_home if user_home is not None else Path.home()
    if find_dotenv(cwd, own_home) is not None:
        return None  # a .env may set anything, and a project's may need the user's trust
    state_home = home or app_home()
    tighten_home(state_home)
    try:
        from_flags = _flag_selection(flags or {})
        from_file, theme = _file_choices(settings_path(state_home))
    except _Unsure:
        return None
    base_url = env.get(OPENAI_BASE_URL, "").strip()
    selected = from_flags or ("openai" if base_url else None) or from_file
    by_environment = bool(base_url or env.get(OPENAI_API_KEY, "").strip())
    return FirstLook(
        home=state_home, theme=theme, provider_chosen=selected is not None or by_environment
    )
