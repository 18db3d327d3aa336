"""Build the settings from every source, in the documented order.

Precedence, highest first: command-line flags, the environment (``QWEN_TUI_*`` and
``OPENAI_BASE_URL`` / ``OPENAI_MODEL``), the ``.env`` file found as Qwen Code finds it,
``$QWEN_TUI_HOME/settings.json``, defaults. pydantic-settings merges the layers; this
module only decides which layers exist and turns damage into readable problems.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_snake
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsError,
)

from qwen_tui.config.dotenv_discovery import find_dotenv, read_dotenv
from qwen_tui.config.first_look import FirstLook
from qwen_tui.config.model import Settings, SettingsData
from qwen_tui.config.paths import app_home, settings_path, tighten_home
from qwen_tui.config.project_limits import strictest_sandbox
from qwen_tui.config.settings_file import read_settings_file
from qwen_tui.config.trust import (
    API_KEY_VARIABLE,
    GUARDED_SETTINGS,
    HIDDEN_VALUE,
    DotenvChange,
    ProjectDotenv,
    fingerprint,
    held_back_this_run,
    project_folder,
    remember_trust,
    trust_state,
)

EnvOrigin = Literal["environment", ".env file"]
DotenvScope = Literal["home", "project"]


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
    real_environment: bool = True


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
            if context.real_environment:
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
        dotenv_scope: ``"home"`` for the user's own ``~/.env`` / ``~/.qwen/.env``,
            ``"project"`` for any other, ``None`` without a ``.env``.
        project_dotenv: a project ``.env`` that changes guarded settings (see
            :mod:`qwen_tui.config.trust`), trusted or not; ``None`` when there is none.
            Untrusted, its changes (and its ``OPENAI_API_KEY``/``OPENAI_BASE_URL``) are
            left out of everything above.
        file_settings: what settings.json alone says: the user's own saved choice.
    """

    settings: Settings
    home: Path
    problems: tuple[str, ...] = ()
    dotenv_path: Path | None = None
    env_api_key: str | None = field(default=None, repr=False)
    env_api_key_origin: EnvOrigin | None = None
    env_base_url_origin: EnvOrigin | None = None
    env_base_url: str | None = None
    dotenv_scope: DotenvScope | None = None
    project_dotenv: ProjectDotenv | None = None
    file_settings: SettingsData = field(default_factory=SettingsData)

    @property
    def untrusted_dotenv(self) -> ProjectDotenv | None:
        """The project ``.env`` whose changes wait for the user's decision, if any.

        ``None`` once the folder is trusted, or once the user chose, in this process, to
        go on without those changes.
        """
        project = self.project_dotenv
        if project is None or project.trusted or held_back_this_run(project):
            return None
        return project

    @property
    def settings_file(self) -> Path:
        """settings.json inside the state folder."""
        return settings_path(self.home)

    @property
    def configured_by_environment(self) -> bool:
        """True when the environment or ``.env`` already picks an OpenAI-compatible
        provider, so the welcome screen is not needed."""
        return self.env_base_url_origin is not None or self.env_api_key_origin is not None

    @property
    def first_look(self) -> FirstLook:
        """What decides the first screen, as :func:`first_look` reads it early."""
        return FirstLook(
            home=self.home,
            theme=self.settings.ui.theme,
            provider_chosen=self.settings.security.auth.selected_type is not None
            or self.configured_by_environment,
        )


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


def _build(context: _LoadContext, dotenv: Mapping[str, str]) -> tuple[Settings, list[str]]:
    """The settings of one set of layers; a broken environment is left out and reported."""
    try:
        with _context(context):
            return LayeredSettings(), []
    except ValidationError as exc:
        problems = _env_problem(exc)
    except SettingsError as exc:
        problems = [_json_problem(exc, dotenv)]
    with _context(_LoadContext(**{**context.__dict__, "use_environment": False})):
        return LayeredSettings(), problems


def _path(setting: str) -> tuple[str, ...]:
    return tuple(to_snake(part) for part in setting.split("."))


def _value_at(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        node = getattr(node, part)
    return node


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _replaced(node: BaseModel, path: tuple[str, ...], value: Any) -> Any:
    """A copy of ``node`` with the field at ``path`` set to ``value``."""
    if len(path) == 1:
        return node.model_copy(update={path[0]: value})
    child = getattr(node, path[0])
    return node.model_copy(update={path[0]: _replaced(child, path[1:], value)})


def _shown(value: Any) -> str:
    """A guarded value in plain words for the trust question."""
    plain = _plain(value)
    if plain is None:
        return "(unset)"
    if isinstance(plain, list):
        entries = [
            f"{entry.get('id')} at {entry.get('baseUrl')}"
            if isinstance(entry, dict)
            else str(entry)
            for entry in plain
        ]
        return "[" + ", ".join(entries) + "]"
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain) if str(plain) else "(empty)"


def _dotenv_changes(
    with_dotenv: SettingsData, without: SettingsData, dotenv_key: str | None
) -> list[tuple[str, Any, Any]]:
    """The guarded settings the ``.env`` changes: ``(setting, raw value, shown value)``."""
    changes: list[tuple[str, Any, Any]] = []
    for setting in GUARDED_SETTINGS:
        path = _path(setting)
        new, old = _value_at(with_dotenv, path), _value_at(without, path)
        if _plain(new) != _plain(old):
            shown = _shown(new)
            if setting == "model.provider" and new is None:
                shown = "(the one the base URL belongs to)"
            changes.append((setting, _plain(new), shown))
    if dotenv_key is not None:
        changes.append((API_KEY_VARIABLE, dotenv_key, HIDDEN_VALUE))
    return changes


def _held_back(with_dotenv: Settings, without: Settings, settings: list[str]) -> Settings:
    """``with_dotenv`` with every setting in ``settings`` as it is without the ``.env``."""
    result: Any = with_dotenv
    for setting in settings:
        path = _path(setting)
        result = _replaced(result, path, _value_at(without, path))
    return result  # type: ignore[no-any-return]


def _file_changes(context: _LoadContext, dotenv: Mapping[str, str]) -> list[tuple[str, Any, Any]]:
    """The guarded settings the ``.env`` file itself sets, whatever the environment and
    settings.json say: what the user is asked to trust, and what the trust is bound to
    (so a different shell, or an edited settings.json, does not ask again)."""
    bare = _LoadContext(
        flags={},
        dotenv_path=None,
        dotenv_values={},
        file_data={},
        use_environment=True,
        real_environment=False,
    )
    alone, _ = _build(
        _LoadContext(
            **{**bare.__dict__, "dotenv_path": context.dotenv_path, "dotenv_values": dotenv}
        ),
        dotenv,
    )
    key = dotenv.get(API_KEY_VARIABLE, "").strip() or None
    return _dotenv_changes(alone, SettingsData(), key)


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    home: Path | None = None,
    cwd: Path | None = None,
    user_home: Path | None = None,
    trust_folder: bool = False,
) -> LoadedSettings:
    """Load the settings for this run. Never raises for bad input; it reports it.

    A ``.env`` inside a project folder changes the guarded settings (see
    :mod:`qwen_tui.config.trust`) only when the user trusted that folder; otherwise they
    are held back and ``project_dotenv`` says what was held back. It never loosens the
    shell sandbox, trusted or not (:mod:`qwen_tui.config.project_limits`).

    Args:
        flags: values from the command line, nested like the settings (snake_case).
        home: the state folder; default ``$QWEN_TUI_HOME`` or the platform's.
        cwd: where ``.env`` discovery starts; default the working folder.
        user_home: the user's home for ``~/.qwen/.env``; a parameter for tests.
        trust_folder: the user trusts the project ``.env`` found (``--trust-folder``):
            its changes apply and the trust is remembered.
    """
    state_home = home or app_home()
    own_home = user_home if user_home is not None else Path.home()
    dotenv_path = find_dotenv(cwd, own_home)
    dotenv: dict[str, str] = read_dotenv(dotenv_path) if dotenv_path else {}
    file_read = read_settings_file(settings_path(state_home), SettingsData.model_validate)
    problems = list(file_read.problems) + tighten_home(state_home)
    file_data = SettingsData.model_validate(file_read.data)
    context = _LoadContext(
        flags=flags or {},
        dotenv_path=dotenv_path,
        dotenv_values=dotenv,
        file_data=file_data.model_dump(exclude_unset=True),
        use_environment=True,
    )
    settings, env_problems = _build(context, dotenv)
    problems += env_problems
    key_origin = _env_origin(API_KEY_VARIABLE, dotenv)
    url_origin = _env_origin("OPENAI_BASE_URL", dotenv)
    folder = project_folder(dotenv_path, own_home) if dotenv_path else None
    scope: DotenvScope | None = (
        None if dotenv_path is None else "home" if folder is None else "project"
    )
    project: ProjectDotenv | None = None
    if dotenv_path is not None and folder is not None:
        without, _ = _build(
            _LoadContext(**{**context.__dict__, "dotenv_path": None, "dotenv_values": {}}), {}
        )
        sandbox, refused = strictest_sandbox(
            settings.tools.sandbox, without.tools.sandbox, dotenv_path
        )
        settings = _replaced(settings, ("tools", "sandbox"), sandbox)
        problems += refused
        dotenv_key = dotenv[API_KEY_VARIABLE].strip() if key_origin == ".env file" else None
        effective = _dotenv_changes(settings, without, dotenv_key)
        if effective:
            changes = _file_changes(context, dotenv)
            print_ = fingerprint([(name, json.dumps(raw, default=str)) for name, raw, _ in changes])
            trusted, other = trust_state(state_home, folder, print_)
            project = ProjectDotenv(
                path=dotenv_path,
                folder=folder,
                changes=tuple(DotenvChange(name, shown) for name, _, shown in changes),
                fingerprint=print_,
                trusted=trusted or trust_folder,
                changed_since_trusted=other and not trusted,
            )
            if trust_folder and not trusted:
                try:
                    remember_trust(state_home, project)
                except OSError as exc:
                    problems.append(
                        f"Could not remember that you trust {folder}: {exc.strerror or exc}. "
                        "It is trusted for this run only."
                    )
            if not project.trusted:
                guarded = [name for name, _, _ in effective if name != API_KEY_VARIABLE]
                settings = _held_back(settings, without, guarded)
                key_origin = None if key_origin == ".env file" else key_origin
                url_origin = None if url_origin == ".env file" else url_origin
    return LoadedSettings(
        settings=settings,
        home=state_home,
        problems=tuple(problems),
        dotenv_path=dotenv_path,
        env_api_key=_env_value(API_KEY_VARIABLE, key_origin, dotenv),
        env_api_key_origin=key_origin,
        env_base_url_origin=url_origin,
        env_base_url=_env_value("OPENAI_BASE_URL", url_origin, dotenv),
        dotenv_scope=scope,
        project_dotenv=project,
        file_settings=file_data,
    )
