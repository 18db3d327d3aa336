"""The first look at the settings (read without pydantic, before the first frame) never
disagrees with the full load, answers in the ordinary cases, and keeps pydantic out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, get_args
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qwen_tui.config import AuthType, load_settings
from qwen_tui.config.first_look import AUTH_TYPES, DEFAULT_THEME, SECTIONS, FirstLook, first_look
from qwen_tui.config.model import SettingsData, UiSettings

OPENAI_FLAGS = {"security": {"auth": {"selected_type": "openai"}}, "model": {"provider": "x"}}

_VALUES: st.SearchStrategy[object] = st.sampled_from(
    ["openai", "qwen-oauth", None, "OpenAI", " openai", 3, [], {}, True]
)
_THEMES = st.sampled_from(["nord", "textual-light", DEFAULT_THEME, "", None, 7, ["nord"]])


def _section_of(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A section as a file may hold it: mostly an object, sometimes something else."""
    return st.one_of(inner, inner, inner, st.sampled_from([None, "x", 1, []]))


_AUTH = st.fixed_dictionaries(
    {}, optional={"selectedType": _VALUES, "selected_type": _VALUES, "other": _VALUES}
)
_FILE_DATA = st.fixed_dictionaries(
    {},
    optional={
        "security": _section_of(st.fixed_dictionaries({"auth": _section_of(_AUTH)})),
        "ui": _section_of(st.fixed_dictionaries({}, optional={"theme": _THEMES})),
        "model": _section_of(
            st.fixed_dictionaries(
                {}, optional={"requestTimeout": st.sampled_from([30, -1, "x"]), "name": _VALUES}
            )
        ),
        "privacy": st.sampled_from([{"usageStatisticsEnabled": True}, {"x": 1}, "no"]),
    },
)
_FILE_TEXT = st.one_of(
    _FILE_DATA.map(json.dumps),
    st.none(),  # no settings.json
    st.sampled_from(["", "  \n", "[]", '"x"', "{broken", "\udcff"]),
)
_ENVIRONMENT = st.fixed_dictionaries(
    {},
    optional={
        "OPENAI_BASE_URL": st.sampled_from(["", "  ", "http://127.0.0.1:9/v1", "not a url"]),
        "OPENAI_API_KEY": st.sampled_from(["", " ", "sk-test"]),
        "OPENAI_MODEL": st.sampled_from(["", "m"]),
        "QWEN_TUI_UI__THEME": st.sampled_from(["nord", ""]),
        "qwen_tui_security__auth__selected_type": st.sampled_from(["openai", "bogus"]),
        "QWEN_TUI_MODEL": st.sampled_from(["{}", "not json"]),
        "QWEN_TUI_REQUIRE_SYSTEM_TESTS": st.just("1"),
        "QWEN_TUI_UI_THEME": st.just("nord"),
    },
)
_DOTENV = st.sampled_from([None, "home", "project"])


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def _both(
    folder: Path,
    file_text: str | None,
    environment: dict[str, str],
    dotenv: str | None,
    flags: dict[str, Any],
) -> tuple[FirstLook | None, FirstLook]:
    """The first look and the full load's, for one set of inputs."""
    home, user_home, work = folder / "state", folder / "user", folder / "user" / "project"
    work.mkdir(parents=True)
    if file_text is not None:
        _write(home / "settings.json", file_text)
    if dotenv is not None:
        where = user_home if dotenv == "home" else work
        _write(where / ".env", "OPENAI_BASE_URL=http://127.0.0.1:9/v1\nOPENAI_API_KEY=sk-env\n")
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(("QWEN_", "OPENAI_"))}
    with mock.patch.dict(os.environ, {**clean, **environment}, clear=True):
        early = first_look(flags, home=home, cwd=work, user_home=user_home)
        full = load_settings(flags, home=home, cwd=work, user_home=user_home).first_look
    return early, full


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file_text=_FILE_TEXT,
    environment=_ENVIRONMENT,
    dotenv=_DOTENV,
    flags=st.sampled_from([{}, OPENAI_FLAGS]),
)
def test_the_first_look_never_disagrees_with_the_full_load(
    file_text: str | None, environment: dict[str, str], dotenv: str | None, flags: dict[str, Any]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        early, full = _both(Path(folder), file_text, environment, dotenv, flags)
    assert early is None or early == full


SAVED_SIGN_IN = json.dumps(
    {
        "security": {"auth": {"selectedType": "openai"}},
        "model": {"provider": "openai", "baseUrl": "http://127.0.0.1:9/v1", "name": "m"},
        "ui": {"theme": "nord"},
        "credentials": {"allowFileStore": True},
    }
)


@pytest.mark.parametrize(
    ("file_text", "environment", "flags", "chosen", "theme"),
    [
        (None, {}, {}, False, DEFAULT_THEME),  # a first start: the welcome screen
        (SAVED_SIGN_IN, {}, {}, True, "nord"),  # a returning user: the chat
        ('{"security": {"auth": {"selectedType": null}}}', {}, {}, False, DEFAULT_THEME),
        ("{}", {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}, {}, True, DEFAULT_THEME),
        ("{}", {"OPENAI_API_KEY": "sk-test"}, {}, True, DEFAULT_THEME),
        (None, {}, OPENAI_FLAGS, True, DEFAULT_THEME),  # --provider on the command line
        # Settings the first screen does not depend on, valid or not, change nothing.
        ('{"model": {"requestTimeout": -1}, "ui": {"theme": "nord"}}', {}, {}, False, "nord"),
        (SAVED_SIGN_IN, {"QWEN_TUI_REQUIRE_SYSTEM_TESTS": "1"}, {}, True, "nord"),
    ],
)
def test_the_first_look_answers_the_ordinary_cases(
    tmp_path: Path,
    file_text: str | None,
    environment: dict[str, str],
    flags: dict[str, Any],
    chosen: bool,
    theme: str,
) -> None:
    early, full = _both(tmp_path, file_text, environment, None, flags)
    assert early == full
    assert early == FirstLook(home=tmp_path / "state", theme=theme, provider_chosen=chosen)


@pytest.mark.parametrize(
    ("file_text", "environment", "dotenv"),
    [
        (SAVED_SIGN_IN, {}, "home"),  # a .env may set anything
        (SAVED_SIGN_IN, {}, "project"),  # and a project's may wait for the user's trust
        (SAVED_SIGN_IN, {"QWEN_TUI_UI__THEME": "nord"}, None),
        (SAVED_SIGN_IN, {"qwen_tui_model": "{}"}, None),
        ("{broken", {}, None),  # the full load backs it up and reports it
        ('{"security": {"auth": {"selectedType": "bogus"}}}', {}, None),
        ('{"security": {"auth": {"selected_type": "openai"}}}', {}, None),
        ('{"ui": {"theme": 3}}', {}, None),
        ('{"ui": []}', {}, None),
    ],
)
def test_what_only_the_full_load_can_tell_is_left_to_it(
    tmp_path: Path, file_text: str, environment: dict[str, str], dotenv: str | None
) -> None:
    early, _ = _both(tmp_path, file_text, environment, dotenv, {})
    assert early is None


def test_the_first_look_names_what_the_settings_model_names() -> None:
    assert set(get_args(AuthType)) - {None} == set(AUTH_TYPES)
    assert set(SettingsData.model_fields) == set(SECTIONS)
    assert UiSettings().theme == DEFAULT_THEME


def test_the_first_look_makes_the_state_folder_private(tmp_path: Path) -> None:
    home = tmp_path / "state"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    assert first_look({}, home=home, cwd=tmp_path, user_home=tmp_path) is not None
    assert home.stat().st_mode & 0o777 == 0o700


def test_the_first_look_imports_no_pydantic(tmp_path: Path) -> None:
    _write(tmp_path / "state" / "settings.json", SAVED_SIGN_IN)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from qwen_tui.config.first_look import first_look\n"
        f"look = first_look({{}}, home=Path({str(tmp_path / 'state')!r}))\n"
        "assert look is not None and look.provider_chosen, look\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pydantic')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip() == "[]"
