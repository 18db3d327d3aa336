"""Build the settings from every source, in the documented order.

Precedence, highest first: command-line flags, the environment (``QWEN_TUI_*`` and
``OPENAI_BASE_URL`` / ``OPENAI_MODEL``), the ``.env`` file found as Qwen Code finds it,
``$QWEN_TUI_HOME/settings.json``, defaults. pydantic-settings merges the layers; this
module only decides which layers exist and turns damage into readable problems.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsError,
)

from qwen_tui.config.dotenv_discovery import find_dotenv, read_dotenv
from qwen_tui.config.model import Settings, SettingsData
from qwen_tui.config.paths import app_home, settings_path, tighten_home
from qwen_tui.config.settings_file import read_settings_file

EnvOrigin = Literal["environment", ".env file"]

OPENAI_ENV_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL")


class _MappingSource(PydanticBaseSettingsSource):
    """A source that returns a dict computed before the settings are built."""

    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = dict(data)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


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


@dataclass(frozen=True)
class _LoadContext:
    flags: Mapping[str, Any]
    dotenv_path: Path | None
    dotenv_values: Mapping[str, str]
    file_data: Mapping[str, Any]
    use_environment: bool


_CONTEXT: ContextVar[_LoadContext | None] = ContextVar("qwen_tui_settings_context", default=None)


class LayeredSettings(Settings):
    """:class:`Settings` wired to the sources of one :func:`load_settings` call."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        context = _CONTEXT.get()
        if context is None:
            return (init_settings, env_settings)
        sources: list[PydanticBaseSettingsSource] = [
            InitSettingsSource(settings_cls, init_kwargs=dict(context.flags))
        ]
        if context.use_environment:
            sources += [
                EnvSettingsSource(settings_cls),
                _MappingSource(settings_cls, openai_env_layer(os.environ)),
            ]
            if context.dotenv_path is not None:
                sources += [
                    DotEnvSettingsSource(settings_cls, env_file=context.dotenv_path),
                    _MappingSource(settings_cls, openai_env_layer(context.dotenv_values)),
                ]
        sources.append(_MappingSource(settings_cls, context.file_data))
        return tuple(sources)


@contextmanager
def _context(value: _LoadContext) -> Iterator[None]:
    token = _CONTEXT.set(value)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


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


def _json_problem(exc: SettingsError, dotenv: Mapping[str, str]) -> str:
    """Name the variables behind a value that should have been JSON (a section or list).

    pydantic-settings only names the top-level field; the person needs the variable.
    """
    match = re.search(r'field "([^"]+)"', str(exc))
    section = f"QWEN_TUI_{match.group(1).upper()}" if match else "QWEN_TUI_"
    names = sorted(
        name
        for name in {*os.environ, *dotenv}
        if name.upper() == section or name.upper().startswith(section + "__")
    )
    where = ", ".join(names) or section
    return (
        f"{where} in the environment or .env is not valid JSON, which this setting takes "
        "(see docs/configuration.md). The environment is ignored for this run."
    )


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
    problems = list(file_read.problems) + tighten_home(state_home)
    context = _LoadContext(
        flags=flags or {},
        dotenv_path=dotenv_path,
        dotenv_values=dotenv,
        file_data=SettingsData.model_validate(file_read.data).model_dump(exclude_unset=True),
        use_environment=True,
    )
    try:
        with _context(context):
            settings: Settings = LayeredSettings()
    except ValidationError as exc:
        problems += _env_problem(exc)
        with _context(_LoadContext(**{**context.__dict__, "use_environment": False})):
            settings = LayeredSettings()
    except SettingsError as exc:
        problems.append(_json_problem(exc, dotenv))
        with _context(_LoadContext(**{**context.__dict__, "use_environment": False})):
            settings = LayeredSettings()
        with _context(_LoadContext(**{**context.__dict__, "use_environment": False})):
            settings = LayeredSettings()
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
