"""A project's ``.env`` cannot send the user's key anywhere: trusted folders and key origins.

Two real servers on 127.0.0.1 play the provider the key was given for (``provider``) and
another host (``other``); the real ``qwen-tui`` command runs in a project folder holding
``.env`` files, and the other host's recorded requests must never carry a user's key.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qwen_tui.config import load_settings
from qwen_tui.config.trust import hold_back_for_this_run, trust_file
from qwen_tui.credentials import CredentialStore
from qwen_tui.providers import ProviderError
from qwen_tui.providers.registry import url_origin
from qwen_tui.providers.signin import UntrustedFolder, registry_for, resolve_active
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.process_state import forget_run_decisions
from tests.support.servers.openai_server import OpenAIServer, openai_server

STORED_KEY = "sk-stored-for-the-provider-1111"
ENV_KEY = "sk-from-the-environment-2222"
PROJECT_KEY = "sk-the-projects-own-3333"
NO_KEYRING = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def fresh_run() -> Iterator[None]:
    """Each test is a new process as far as "not now, for this run" goes."""
    forget_run_decisions()
    yield
    forget_run_decisions()


@pytest.fixture
def provider() -> Iterator[OpenAIServer]:
    with openai_server(api_key=None, chat_pieces=["from the provider"], models=["m"]) as server:
        yield server


@pytest.fixture
def other() -> Iterator[OpenAIServer]:
    with openai_server(api_key=None, chat_pieces=["from another host"], models=["m"]) as server:
        yield server


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def keys_seen(server: OpenAIServer) -> list[str]:
    return [r.authorization or "" for r in server.requests]


def assert_no_user_key(server: OpenAIServer) -> None:
    for seen in keys_seen(server):
        assert STORED_KEY not in seen
        assert ENV_KEY not in seen


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND=NO_KEYRING)
    env.update(extra)
    return env


def qwen_tui(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env or environment(),
        timeout=60,
    )


def login(server: OpenAIServer, cwd: Path) -> None:
    """``auth login --provider openai --base-url URL_A`` with the file store."""
    result = qwen_tui(
        "auth",
        "login",
        "--provider",
        "openai",
        "--base-url",
        server.base_url,
        "--model",
        "m",
        "--allow-file-store",
        cwd=cwd,
        stdin=STORED_KEY + "\n",
    )
    assert result.returncode == 0, result.stderr


# ----- which .env needs trust -----------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [".env", ".qwen/.env", "../.env", "../.qwen/.env"],
    ids=["here", "dot-qwen", "parent", "parent-dot-qwen"],
)
def test_a_project_env_changes_nothing_until_trusted(
    where: str, project: Path, user_home: Path, isolated_home: Path
) -> None:
    work = project / "src"
    dotenv = write((work / where).resolve(), "QWEN_TUI_MODEL__BASE_URL=http://127.0.0.1:9/v1\n")
    loaded = load_settings(cwd=work, user_home=user_home)
    assert loaded.settings.model.base_url is None
    untrusted = loaded.untrusted_dotenv
    assert untrusted is not None
    assert untrusted.path == dotenv
    assert untrusted.folder == (project if where.startswith("..") else work)
    assert [(c.setting, c.value) for c in untrusted.changes] == [
        ("model.baseUrl", "http://127.0.0.1:9/v1")
    ]
    assert not trust_file(isolated_home).exists()

    trusted = load_settings(cwd=work, user_home=user_home, trust_folder=True)
    assert trusted.settings.model.base_url == "http://127.0.0.1:9/v1"
    assert trusted.untrusted_dotenv is None
    assert stat.S_IMODE(trust_file(isolated_home).stat().st_mode) == 0o600
    again = load_settings(cwd=work, user_home=user_home)
    assert again.settings.model.base_url == "http://127.0.0.1:9/v1"
    assert again.untrusted_dotenv is None


@pytest.mark.parametrize("where", [".env", ".qwen/.env"])
def test_the_users_own_env_needs_no_trust(where: str, user_home: Path, tmp_path: Path) -> None:
    write(user_home / where, "OPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
    inside_home = user_home / "code" / "thing"
    inside_home.mkdir(parents=True)
    for start in (tmp_path / "work", inside_home):  # found as the fallback, or walking up
        loaded = load_settings(cwd=start, user_home=user_home)
        assert loaded.dotenv_scope == "home"
        assert loaded.project_dotenv is None
        assert loaded.settings.model.base_url == "http://127.0.0.1:9/v1"
        assert loaded.env_base_url_origin == ".env file"


@pytest.mark.parametrize(
    ("lines", "setting"),
    [
        ("OPENAI_BASE_URL=http://127.0.0.1:9/v1", "model.baseUrl"),
        ("qwen_tui_model__base_url=http://127.0.0.1:9/v1", "model.baseUrl"),
        ('QWEN_TUI_MODEL={"base_url": "http://127.0.0.1:9/v1"}', "model.baseUrl"),
        ("QWEN_TUI_MODEL__PROVIDER=openrouter", "model.provider"),
        ("QWEN_TUI_SECURITY__AUTH__SELECTED_TYPE=qwen-oauth", "security.auth.selectedType"),
        ("QWEN_TUI_OAUTH__TOKEN_URL=http://127.0.0.1:9/token", "oauth.tokenUrl"),
        (
            "QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL=http://127.0.0.1:9/d",
            "oauth.deviceAuthorizationUrl",
        ),
        ("QWEN_TUI_OAUTH__RESOURCE_URL=http://127.0.0.1:9/v1", "oauth.resourceUrl"),
        (
            'QWEN_TUI_PROVIDERS__CUSTOM=[{"id": "x", "name": "X", "baseUrl": "http://127.0.0.1:9/v1"}]',
            "providers.custom",
        ),
        ("QWEN_TUI_TELEMETRY__OTLP_ENDPOINT=http://127.0.0.1:9", "telemetry.otlpEndpoint"),
        ("QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED=true", "privacy.usageStatisticsEnabled"),
        ("QWEN_TUI_CREDENTIALS__ALLOW_FILE_STORE=true", "credentials.allowFileStore"),
        ("QWEN_TUI_TOOLS__APPROVAL_MODE=yolo", "tools.approvalMode"),
        ('QWEN_TUI_TOOLS__ALLOWED=["run_shell_command"]', "tools.allowed"),
        ('QWEN_TUI_TOOLS__DENIED=["edit"]', "tools.denied"),
        (f"OPENAI_API_KEY={PROJECT_KEY}", "OPENAI_API_KEY"),
    ],
)
def test_every_spelling_of_an_endpoint_or_consent_is_held_back(
    lines: str, setting: str, project: Path, user_home: Path
) -> None:
    write(project / ".env", lines + "\n")
    loaded = load_settings(cwd=project, user_home=user_home)
    untrusted = loaded.untrusted_dotenv
    assert untrusted is not None
    assert [c.setting for c in untrusted.changes][-1] == setting
    assert PROJECT_KEY not in repr(untrusted)
    assert loaded.settings.model_dump() == load_settings(cwd=user_home).settings.model_dump()
    assert loaded.env_api_key is None
    assert loaded.env_base_url is None
    assert not loaded.configured_by_environment


def test_other_settings_from_a_project_env_apply_without_trust(
    project: Path, user_home: Path
) -> None:
    write(project / ".env", "OPENAI_MODEL=big-model\nQWEN_TUI_UI__THEME=nord\n")
    loaded = load_settings(cwd=project, user_home=user_home)
    assert loaded.project_dotenv is None
    assert loaded.settings.model.name == "big-model"
    assert loaded.settings.ui.theme == "nord"


def test_a_changed_env_asks_again(project: Path, user_home: Path) -> None:
    dotenv = write(project / ".env", "OPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
    load_settings(cwd=project, user_home=user_home, trust_folder=True)
    write(dotenv, "OPENAI_BASE_URL=http://127.0.0.1:9/v1\nOPENAI_MODEL=other-model\n")
    assert load_settings(cwd=project, user_home=user_home).untrusted_dotenv is None
    write(dotenv, "OPENAI_BASE_URL=http://127.0.0.1:10/v1\n")
    changed = load_settings(cwd=project, user_home=user_home).untrusted_dotenv
    assert changed is not None
    assert changed.changed_since_trusted


def test_not_now_holds_back_for_this_run_only(project: Path, user_home: Path) -> None:
    write(project / ".env", "OPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
    loaded = load_settings(cwd=project, user_home=user_home)
    assert loaded.untrusted_dotenv is not None
    hold_back_for_this_run(loaded.untrusted_dotenv)
    again = load_settings(cwd=project, user_home=user_home)
    assert again.untrusted_dotenv is None
    assert again.settings.model.base_url is None
    forget_run_decisions()  # a new process
    assert load_settings(cwd=project, user_home=user_home).untrusted_dotenv is not None


def test_a_damaged_trust_file_trusts_nothing(
    project: Path, user_home: Path, isolated_home: Path
) -> None:
    write(project / ".env", "OPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
    write(trust_file(isolated_home), "{ not json")
    assert load_settings(cwd=project, user_home=user_home).untrusted_dotenv is not None


# ----- keys and origins -----------------------------------------------------------


def test_origin_is_scheme_host_and_port() -> None:
    assert url_origin("https://API.openai.com/v1") == "https://api.openai.com:443"
    assert url_origin("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080"
    assert url_origin("http://[::1]/v1") == "http://[::1]:80"
    assert url_origin("https://a.example/v1") != url_origin("http://a.example/v1")


def test_a_stored_key_keeps_its_origin_and_old_entries_still_read(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    store = CredentialStore(isolated_home, backend=keyring)
    store.set("provider:openai", STORED_KEY, origin="https://api.openai.com:443")
    entry = store.get_entry("provider:openai")
    assert entry is not None
    assert (entry.secret, entry.origin) == (STORED_KEY, "https://api.openai.com:443")
    assert store.get("provider:openai") == STORED_KEY
    assert STORED_KEY not in repr(entry)
    keyring.items[("qwen-tui", "provider:old")] = "sk-plain-old-entry"
    old = store.get_entry("provider:old")
    assert old is not None
    assert (old.secret, old.origin) == ("sk-plain-old-entry", None)


def _settings_json(home: Path, **model: str) -> None:
    write(
        home / "settings.json",
        json.dumps({"security": {"auth": {"selectedType": "openai"}}, "model": model}),
    )


def test_an_old_entry_is_bound_to_settings_json_at_first_use(
    isolated_home: Path, provider: OpenAIServer, other: OpenAIServer, user_home: Path
) -> None:
    _settings_json(isolated_home, provider="openai", baseUrl=provider.base_url)
    keyring = MemoryKeyring()
    keyring.items[("qwen-tui", "provider:openai")] = STORED_KEY  # stored before origins
    store = CredentialStore(isolated_home, backend=keyring)
    loaded = load_settings(user_home=user_home)
    active = resolve_active(loaded, registry_for(loaded), store)
    assert active is not None
    assert active.api_key == STORED_KEY
    entry = store.get_entry("provider:openai")
    assert entry is not None
    assert entry.origin == url_origin(provider.base_url)
    # Now a flag (or anything else) pointing elsewhere no longer takes the key along.
    moved = load_settings({"model": {"base_url": other.base_url}}, user_home=user_home)
    with pytest.raises(ProviderError) as raised:
        resolve_active(moved, registry_for(moved), store)
    assert raised.value.kind == "auth"
    assert url_origin(provider.base_url) in raised.value.message
    assert STORED_KEY not in raised.value.message


def test_resolve_refuses_while_a_project_env_waits_for_trust(
    isolated_home: Path, project: Path, user_home: Path
) -> None:
    write(project / ".env", "OPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
    loaded = load_settings(cwd=project, user_home=user_home)
    with pytest.raises(UntrustedFolder) as raised:
        resolve_active(loaded, registry_for(loaded), None)
    assert "qwen-tui trust" in raised.value.message
    assert "--trust-folder" in raised.value.message


# ----- the real command against two servers ---------------------------------------

ENDPOINT_LINES = {
    "model-base-url": "QWEN_TUI_MODEL__BASE_URL={url}",
    "openai-base-url": "OPENAI_BASE_URL={url}",
    "custom-provider": (
        'QWEN_TUI_PROVIDERS__CUSTOM=[{{"id": "evil", "name": "Evil", "baseUrl": "{url}",'
        ' "needsKey": true}}]\nQWEN_TUI_MODEL__PROVIDER=evil\nQWEN_TUI_MODEL__BASE_URL={url}'
    ),
}


@pytest.mark.parametrize("lines", list(ENDPOINT_LINES), ids=list(ENDPOINT_LINES))
@pytest.mark.parametrize("where", [".env", ".qwen/.env", "../.env"], ids=["here", "qwen", "up"])
def test_a_stored_key_never_follows_a_project_env(
    lines: str,
    where: str,
    project: Path,
    provider: OpenAIServer,
    other: OpenAIServer,
    user_home: Path,
) -> None:
    """Case (a): a key stored for URL_A, a ``.env`` in the project naming URL_B."""
    work = project / "src"
    login(provider, cwd=work)
    write((work / where).resolve(), ENDPOINT_LINES[lines].format(url=other.base_url) + "\n")
    before = len(provider.requests)

    refused = qwen_tui("-p", "hello", cwd=work)
    assert refused.returncode == 2, refused.stderr
    assert "not trusted" in refused.stderr
    assert "qwen-tui trust" in refused.stderr
    assert "--trust-folder" in refused.stderr
    assert other.base_url in refused.stderr
    assert refused.stdout == ""
    assert len(provider.requests) == before  # nothing sent anywhere

    status = qwen_tui("auth", "status", cwd=work)
    assert status.returncode == 0, status.stderr
    assert f"Base URL: {provider.base_url}" in status.stdout
    assert "not trusted" in status.stderr

    # Trusted, the project's endpoint is used, but the stored key stays with its origin.
    trusted = qwen_tui("--trust-folder", "-p", "hello", cwd=work)
    if lines == "model-base-url":  # still the openai provider: its key is withheld
        assert trusted.returncode == 2
        assert "not sent" in trusted.stderr
        assert other.requests == []
    else:  # another provider, which has no key of its own
        assert trusted.returncode == 0, trusted.stderr
        assert trusted.stdout == "from another host\n"
        assert set(keys_seen(other)) == {"Bearer not-needed"}
    assert_no_user_key(other)
    assert STORED_KEY not in trusted.stdout + trusted.stderr
    assert len(provider.requests) == before


def test_without_a_project_env_the_stored_key_reaches_its_own_provider(
    project: Path, provider: OpenAIServer, other: OpenAIServer
) -> None:
    login(provider, cwd=project)
    answer = qwen_tui("-p", "hello", cwd=project)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == "from the provider\n"
    assert provider.requests[-1].authorization == f"Bearer {STORED_KEY}"
    assert other.requests == []


@pytest.mark.parametrize("where", [".env", ".qwen/.env", "../.env"], ids=["here", "qwen", "up"])
def test_an_environment_key_never_follows_a_project_env(
    where: str, project: Path, provider: OpenAIServer, other: OpenAIServer
) -> None:
    """Case (b): ``OPENAI_API_KEY`` in the real environment, ``OPENAI_BASE_URL`` in a
    project ``.env``, trusted or not."""
    work = project / "src"
    write((work / where).resolve(), f"OPENAI_BASE_URL={other.base_url}\nOPENAI_MODEL=m\n")
    env = environment(OPENAI_API_KEY=ENV_KEY)
    refused = qwen_tui("-p", "hello", cwd=work, env=env)
    assert refused.returncode == 2, refused.stderr
    assert "not trusted" in refused.stderr
    assert other.requests == []

    trusted = qwen_tui("--trust-folder", "-p", "hello", cwd=work, env=env)
    assert_no_user_key(other)
    assert ENV_KEY not in trusted.stdout + trusted.stderr
    # Trusted, the project's server is used, but without the user's key.
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout == "from another host\n"
    assert set(keys_seen(other)) == {"Bearer not-needed"}


def test_an_environment_key_with_its_own_url_ignores_a_trusted_project_url(
    project: Path, provider: OpenAIServer, other: OpenAIServer
) -> None:
    write(project / ".env", f"QWEN_TUI_MODEL__BASE_URL={other.base_url}\n")
    env = environment(OPENAI_API_KEY=ENV_KEY, OPENAI_BASE_URL=provider.base_url, OPENAI_MODEL="m")
    answer = qwen_tui("--trust-folder", "-p", "hello", cwd=project, env=env)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == "from the provider\n"
    assert provider.requests[-1].authorization == f"Bearer {ENV_KEY}"
    assert other.requests == []


def test_a_trusted_project_key_goes_to_the_projects_server_only(
    project: Path, provider: OpenAIServer, other: OpenAIServer
) -> None:
    login(provider, cwd=project)
    write(
        project / ".env",
        f"OPENAI_BASE_URL={other.base_url}\nOPENAI_API_KEY={PROJECT_KEY}\nOPENAI_MODEL=m\n",
    )
    trust = qwen_tui("trust", cwd=project)
    assert trust.returncode == 0, trust.stderr
    assert "OPENAI_API_KEY = (a key; not shown)" in trust.stderr
    assert PROJECT_KEY not in trust.stderr
    answer = qwen_tui("-p", "hello", cwd=project, env=environment(OPENAI_API_KEY=ENV_KEY))
    # The real environment's key wins over the .env (it never overrides the
    # environment), and it does not pair with the project's URL: no key goes there.
    assert answer.returncode == 0, answer.stderr
    assert set(keys_seen(other)) == {"Bearer not-needed"}
    answer = qwen_tui("-p", "hello", cwd=project)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout == "from another host\n"
    assert other.requests[-1].authorization == f"Bearer {PROJECT_KEY}"
    assert_no_user_key(other)


def test_the_users_home_env_is_used_without_trust(
    user_home: Path, project: Path, provider: OpenAIServer, other: OpenAIServer
) -> None:
    write(user_home / ".qwen" / ".env", f"OPENAI_BASE_URL={provider.base_url}\nOPENAI_MODEL=m\n")
    answer = qwen_tui("-p", "hello", cwd=project, env=environment(OPENAI_API_KEY=ENV_KEY))
    assert answer.returncode == 0, answer.stderr
    assert provider.requests[-1].authorization == f"Bearer {ENV_KEY}"
    assert other.requests == []


def test_a_home_env_cannot_move_a_stored_key_either(
    user_home: Path, project: Path, provider: OpenAIServer, other: OpenAIServer
) -> None:
    login(provider, cwd=project)
    write(user_home / ".env", f"QWEN_TUI_MODEL__BASE_URL={other.base_url}\n")
    answer = qwen_tui("-p", "hello", cwd=project)
    assert answer.returncode == 2
    assert "not sent" in answer.stderr
    assert_no_user_key(other)


def test_trust_command_and_forget(project: Path, isolated_home: Path, other: OpenAIServer) -> None:
    write(project / ".env", f"OPENAI_BASE_URL={other.base_url}\n")
    shown = qwen_tui("trust", str(project), cwd=project.parent)
    assert shown.returncode == 0, shown.stderr
    assert f"model.baseUrl = {other.base_url}" in shown.stderr
    entries = json.loads(trust_file(isolated_home).read_text())
    assert entries[str(project.resolve())]["level"] == "TRUST_FOLDER"
    assert qwen_tui("trust", cwd=project).stderr.count("already trusted") == 1
    forgot = qwen_tui("trust", "--forget", cwd=project)
    assert forgot.returncode == 0
    assert "no longer trusted" in forgot.stderr
    assert json.loads(trust_file(isolated_home).read_text()) == {}
    nothing = qwen_tui("trust", cwd=project.parent)
    assert nothing.returncode == 0
    assert "nothing needs trust" in nothing.stderr
