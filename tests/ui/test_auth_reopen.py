"""``/auth`` starts from the sign-in in use: its provider, its configured base URL and,
after the check, its model."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Select

from qwen_tui.ui.screens.welcome import WelcomeScreen
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import openai_server
from tests.support.ui_helpers import make_app, wait_until


def write_settings(home: Path, settings: dict[str, object]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.json").write_text(json.dumps(settings))


async def test_auth_opens_on_the_provider_url_and_model_in_use(isolated_home: Path) -> None:
    with openai_server(api_key=None, models=["other-model", "my-model"]) as server:
        write_settings(
            isolated_home,
            {
                "security": {"auth": {"selectedType": "openai"}},
                "model": {"provider": "vllm", "baseUrl": server.base_url, "name": "my-model"},
            },
        )
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(110, 40)) as pilot:
            await pilot.app.run_action("sign_in")
            await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
            screen = app.screen
            await wait_until(pilot, lambda: bool(screen.query("#base-url")))
            assert screen.query_one("#provider", Select).value == "vllm"
            assert screen.query_one("#base-url", Input).value == server.base_url
            await pilot.press("ctrl+s")  # check: a local server needs no key
            select = screen.query_one("#model-select", Select)
            await wait_until(pilot, lambda: select.display and select.value != Select.BLANK)
            assert select.value == "my-model"
            status = str(screen.query_one("#status").render())
            assert "Connected; 2 models available" in status


async def test_the_first_start_still_opens_on_the_first_preset() -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        screen = app.screen
        assert isinstance(screen, WelcomeScreen)
        first = screen._providers[0]
        assert screen.query_one("#provider", Select).value == first.id
        assert screen.query_one("#base-url", Input).value == first.base_url
