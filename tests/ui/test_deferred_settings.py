"""A returning user's start: the chat screen comes first and the settings are loaded
after it, with the same outcome as loading them first (provider, model, problems)."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Static

from qwen_tui.account import Account, sign_in_with_key
from qwen_tui.config import LoadedSettings, load_settings
from qwen_tui.config.first_look import DeferredSettings, first_look
from qwen_tui.providers.signin import registry_for
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.services import AppServices
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import openai_server
from tests.support.ui_helpers import closed_local_ports, wait_until

KEY = "sk-deferred-key"


async def sign_in(
    home: Path, keyring: MemoryKeyring, base_url: str, extra: dict[str, object]
) -> None:
    """Leave ``home`` as signing in with a key does, plus ``extra`` in settings.json."""
    account = Account(load_settings({}, home=home), keyring_backend=keyring)
    provider = registry_for(account.loaded).get("openai")

    async def no_file_store(reason: str) -> bool:
        return False

    await sign_in_with_key(account, provider, base_url, KEY, "test-model", no_file_store)
    path = home / "settings.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **extra}))


def deferred_services(home: Path, keyring: MemoryKeyring) -> tuple[AppServices, list[int]]:
    """Services built as the command builds them for the app, counting full loads."""
    look = first_look({})
    assert look is not None and look.home == home
    loads: list[int] = []

    def load() -> LoadedSettings:
        loads.append(1)
        return load_settings({}, home=home)

    services = AppServices(
        DeferredSettings(look, load),
        keyring_backend=keyring,
        local_ports=closed_local_ports(),
    )
    return services, loads


def status(app: QwenTuiApp) -> str:
    return str(app.screen.query_one("#status-line", Static).render())


async def test_the_chat_opens_first_and_connects_once_the_settings_are_loaded(
    isolated_home: Path,
) -> None:
    keyring = MemoryKeyring()
    with openai_server(api_key=KEY) as server:
        await sign_in(isolated_home, keyring, server.base_url, {"ui": {"theme": "nord"}})
        services, loads = deferred_services(isolated_home, keyring)
        assert services.settings_pending
        assert services.home == isolated_home
        app = QwenTuiApp(services)
        async with app.run_test(size=(100, 30)) as pilot:
            assert isinstance(app.screen, ChatScreen)
            assert app.theme == "nord"
            await wait_until(pilot, lambda: "test-model" in status(app))
            assert not services.settings_pending
            assert services.loaded.settings.model.name == "test-model"
            assert status(app).startswith("OpenAI · test-model")
    assert loads == [1]


async def test_problems_found_by_the_later_load_are_still_reported(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    with openai_server(api_key=KEY) as server:
        await sign_in(isolated_home, keyring, server.base_url, {"privacy": "yes"})
        services, _ = deferred_services(isolated_home, keyring)
        app = QwenTuiApp(services)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: bool(app._notifications))
            messages = [n.message for n in app._notifications]
            await wait_until(pilot, lambda: "test-model" in status(app))
    assert any("privacy is invalid" in message for message in messages), messages
    assert services.loaded.problems == tuple(messages)


async def test_deferred_settings_load_on_first_use(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    await sign_in(isolated_home, keyring, "http://127.0.0.1:9/v1", {})
    services, loads = deferred_services(isolated_home, keyring)
    assert services.first_look.provider_chosen
    assert loads == []
    assert services.loaded.settings.security.auth.selected_type == "openai"
    assert services.loaded is services.loaded
    assert loads == [1]
    assert services.first_look == services.loaded.first_look
