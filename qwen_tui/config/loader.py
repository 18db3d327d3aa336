"""Build the settings from every source, in the documented order.

Precedence, highest first: command-line flags, the environment (``QWEN_TUI_*`` and
``OPENAI_BASE_URL`` / ``OPENAI_MODEL``), the ``.env`` file found as Qwen Code finds it,
``$QWEN_TUI_HOME/settings.json``, defaults. Each source becomes a plain nested dict
(:mod:`qwen_tui.config.env_source` reads the variables), the dicts are merged in that
order, and pydantic validates the result once. This module decides which layers exist
and turns damage into readable problems.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from qwen_tui.config.dotenv_discovery import find_dotenv, read_dotenv
from qwen_tui.config.env_source import env_layer, merge_layers
from qwen_tui.config.model import Settings, SettingsData
from qwen_tui.config.paths import app_home, settings_path
from qwen_tui.config.settings_file import read_settings_file

EnvOrigin = Literal["environment", ".env file"]

OPENAI_ENV_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL")


def openai_env_layer(values: Mapping[str, str]) -> dict[str, Any]:
    """Map ``OPENAI_BASE_URL`` / ``OPENAI_MODEL`` to settings, as Qwen Code reads them.

    A base URL selects OpenAI-compatible auth and leaves the provider to be matched by
    host (so a DashScope URL shows DashScope's terms). ``OPENAI_API_KEY`` is a secret and
    never becomes a setting; see :class:`LoadedSettings`.
    """
    layer: dict[str, Any] = {}
    base_url = values.get("OPENAI_BASE_URL", "").strip()
    model = values.get("OPENAI_MODEL", "").strip()
    if base_url:
        layer["security"] = {"auth": {"selected_type": "openai"}}
        layer["model"] = {"base_url": base_url, "provider": None}
    if model:
        layer.setdefault("model", {})["name"] = model
    return layer


def _environment_layers(dotenv: Mapping[str, str]) -> list[dict[str, Any]]:
    """The layers that come from variables, lowest precedence first: the ``.env``
    file, then the real environment; in each, ``QWEN_TUI_*`` beats ``OPENAI_*``."""
    environ = dict(os.environ)
    return [
        openai_env_layer(dotenv),
        env_layer(dotenv, Settings),
        openai_env_layer(environ),
        env_layer(environ, Settings),
    ]


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus what the app must know about where they came from.

    Attributes:
        settings: the merged settings.
        home: the state folder (``QWEN_TUI_HOME``).
        problems: one plain sentence per problem found (broken file, bad variable).
        dotenv_path: the ``.env`` file that was read, if any.
        env_api_key: ``OPENAI_API_KEY`` from the environment or ``.env``; kept out of
            ``repr`` and out of :class:`Settings` so it can never be saved.
        env_api_key_origin: where that key came from.
        env_base_url_origin: where ``OPENAI_BASE_URL`` came from, if set.
        env_base_url: its value, to send ``OPENAI_API_KEY`` only there.
    """

    settings: Settings
    home: Path
    problems: tuple[str, ...] = ()
    dotenv_path: Path | None = None
    env_api_key: str | None = field(default=None, repr=False)
    env_api_key_origin: EnvOrigin | None = None
    env_base_url_origin: EnvOrigin | None = None
    env_base_url: str | None = None

    @property
    def settings_file(self) -> Path:
        """settings.json inside the state folder."""
        return settings_path(self.home)

    @property
    def configured_by_environment(self) -> bool:
        """True when the environment or ``.env`` already picks an OpenAI-compatible
        provider, so the welcome screen is not needed."""
        return self.env_base_url_origin is not None or self.env_api_key_origin is not None


def _env_origin(name: str, dotenv: Mapping[str, str]) -> EnvOrigin | None:
    if os.environ.get(name, "").strip():
        return "environment"
    if dotenv.get(name, "").strip():
        return ".env file"
    return None


def _env_value(name: str, origin: EnvOrigin | None, dotenv: Mapping[str, str]) -> str | None:
    """The value of ``name`` from where :func:`_env_origin` found it."""
    if origin == "environment":
        return os.environ[name].strip()
    if origin == ".env file":
        return dotenv[name].strip()
    return None


def _env_problem(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        dotted = ".".join(str(part) for part in error["loc"])
        variable = "QWEN_TUI_" + "__".join(str(part).upper() for part in error["loc"])
        problems.append(
            f"Setting {dotted} from the environment or .env ({variable}) is invalid: "
            f"{error['msg']}. The environment is ignored for this run."
        )
    return problems


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    home: Path | None = None,
    cwd: Path | None = None,
    user_home: Path | None = None,
) -> LoadedSettings:
    """Load the settings for this run. Never raises for bad input; it reports it.

    Args:
        flags: values from the command line, nested like the settings (snake_case).
        home: the state folder; default ``$QWEN_TUI_HOME`` or the platform's.
        cwd: where ``.env`` discovery starts; default the working folder.
        user_home: the user's home for ``~/.qwen/.env``; a parameter for tests.
    """
    state_home = home or app_home()
    dotenv_path = find_dotenv(cwd, user_home)
    dotenv: dict[str, str] = read_dotenv(dotenv_path) if dotenv_path else {}
    file_read = read_settings_file(settings_path(state_home), SettingsData.model_validate)
    problems = list(file_read.problems)
    file_layer = SettingsData.model_validate(file_read.data).model_dump(exclude_unset=True)
    top = dict(flags or {})
    try:
        settings = Settings.model_validate(
            merge_layers(file_layer, *_environment_layers(dotenv), top)
        )
    except ValidationError as exc:
        problems += _env_problem(exc)
        settings = Settings.model_validate(merge_layers(file_layer, top))
    key_origin = _env_origin("OPENAI_API_KEY", dotenv)
    url_origin = _env_origin("OPENAI_BASE_URL", dotenv)
    return LoadedSettings(
        settings=settings,
        home=state_home,
        problems=tuple(problems),
        dotenv_path=dotenv_path,
        env_api_key=_env_value("OPENAI_API_KEY", key_origin, dotenv),
        env_api_key_origin=key_origin,
        env_base_url_origin=url_origin,
        env_base_url=_env_value("OPENAI_BASE_URL", url_origin, dotenv),
    )
