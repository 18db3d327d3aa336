"""The welcome screen, driven from the keyboard against a real loopback server."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from keyring.errors import NoKeyringError
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Select, Static

from qwen_tui.providers.registry import url_origin
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.keyring_question import KeyringFallbackQuestion
from qwen_tui.ui.screens.welcome import WelcomeScreen
from tests.support.credentials_fixtures import MemoryKeyring, RaisingKeyring
from tests.support.servers.openai_server import ScriptedError, openai_server
from tests.support.ui_helpers import (
    choose_custom_provider,
    closed_local_ports,
    holds_for,
    make_app,
    wait_until,
)

KEY = "sk-test-key"


def text_of(screen: WelcomeScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def fill_custom(screen: WelcomeScreen, pilot: Pilot[Any], base_url: str, key: str) -> None:
    await choose_custom_provider(pilot, screen)
    screen.query_one("#base-url", Input).value = base_url
    screen.query_one("#api-key", Input).value = key
    await pilot.pause()


async def save_without_keyring(pilot: Pilot[Any], screen: WelcomeScreen, base_url: str) -> None:
    """Check the key, then save it, up to the question about the file store."""
    await fill_custom(screen, pilot, base_url, KEY)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: screen.query_one("#model-select").display)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, KeyringFallbackQuestion))


async def test_first_start_shows_welcome_and_env_configuration_skips_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))


async def test_verify_then_save_stores_key_in_keyring_only(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    with openai_server(api_key=KEY, models=["alpha", "beta"]) as server:
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await fill_custom(screen, pilot, server.base_url, KEY)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: screen.query_one("#model-select").display)
            models = screen.query_one("#model-select", Select)
            assert models.value == "alpha"
            assert "2 models" in text_of(screen, "#status")
            models.value = "beta"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
            chat = app.screen
            # Connected: the chat is ready, and still on top: no statistics question came.
            await wait_until(pilot, lambda: getattr(chat, "chat", None) is not None)
            await holds_for(
                pilot, lambda: app.screen is chat, 0.3, "no statistics question for an API key"
            )
        assert server.requests[0].authorization == f"Bearer {KEY}"
    assert list(keyring.items) == [("qwen-tui", "provider:custom")]
    bound = {"qwen-tui": 1, "origin": url_origin(server.base_url), "secret": KEY}
    assert json.loads(keyring.items[("qwen-tui", "provider:custom")]) == bound
    settings_text = (isolated_home / "settings.json").read_text()
    assert KEY not in settings_text
    saved = json.loads(settings_text)
    assert saved["security"]["auth"]["selectedType"] == "openai"
    assert saved["model"] == {"provider": "custom", "baseUrl": server.base_url, "name": "beta"}


async def test_wrong_key_is_shown_beside_the_field_and_kept(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    with openai_server(api_key=KEY) as server:
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await fill_custom(screen, pilot, server.base_url, "sk-wrong-key")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: bool(text_of(screen, "#key-error")))
            assert "401" in text_of(screen, "#key-error")
            assert "sk-wrong-key" not in text_of(screen, "#key-error")
            assert screen.query_one("#api-key", Input).value == "sk-wrong-key"
            assert isinstance(app.screen, WelcomeScreen)
    assert keyring.items == {}
    assert not (isolated_home / "settings.json").exists()


async def preset_checked(pilot: Pilot[Any], provider: str, url: str) -> WelcomeScreen:
    """Pick a preset, point it at the loopback server, type the key and check it, up to
    the model list."""
    screen = pilot.app.screen
    assert isinstance(screen, WelcomeScreen)
    screen.query_one("#provider", Select).value = provider
    await wait_until(pilot, lambda: "aliyuncs.com" in screen.query_one("#base-url", Input).value)
    screen.query_one("#base-url", Input).value = url
    screen.query_one("#api-key", Input).value = KEY
    await pilot.pause()
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: screen.query_one("#model-select").display)
    return screen


async def test_save_asks_the_model_first_and_a_refusal_keeps_the_form(
    isolated_home: Path,
) -> None:
    """The key check passes (GET /models), but the account is in arrears: the one-token
    request at Save says so beside the key, which stays in its field; nothing is saved."""
    keyring = MemoryKeyring()
    with openai_server(api_key=KEY, models=["qwen3-coder-plus"]) as server:
        server.options.errors["/v1/chat/completions"] = ScriptedError(
            400,
            "Access denied, please make sure your account is in good standing.",
            type="Arrearage",
            code="Arrearage",
        )
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=(110, 45)) as pilot:
            screen = await preset_checked(pilot, "dashscope-intl", server.base_url)
            assert "pay-as-you-go key made in Singapore" in text_of(screen, "#key-hint")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: bool(text_of(screen, "#key-error")))
            assert "in arrears" in text_of(screen, "#key-error")
            assert "good standing" in text_of(screen, "#key-error")
            assert screen.query_one("#api-key", Input).value == KEY
            assert app.focused is screen.query_one("#api-key")
            assert isinstance(app.screen, WelcomeScreen)
        (test_request,) = [r for r in server.requests if r.method == "POST"]
        assert test_request.json()["model"] == "qwen3-coder-plus"
    assert keyring.items == {}
    assert not (isolated_home / "settings.json").exists()


async def test_a_coding_plan_model_outside_the_plan_is_shown_at_the_model(
    isolated_home: Path,
) -> None:
    """Coding Plan lists no models: the key is proven by one token from the default
    model, the plan's models are offered, and one the server will not run is said at
    the model list; another model then saves."""
    keyring = MemoryKeyring()
    served = ["qwen3-coder-plus", "qwen3.5-plus"]
    with openai_server(api_key=KEY, models=served, strict_model=True) as server:
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=(110, 45)) as pilot:
            screen = await preset_checked(pilot, "coding-plan-intl", server.base_url)
            assert "sk-sp-" in text_of(screen, "#key-hint")
            models = screen.query_one("#model-select", Select)
            assert models.value == "qwen3-coder-plus"
            models.value = "kimi-k2.5"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: bool(text_of(screen, "#model-error")))
            assert "will not run the model 'kimi-k2.5'" in text_of(screen, "#model-error")
            assert text_of(screen, "#key-error") == ""
            models.value = "qwen3.5-plus"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        asked = [r.json()["model"] for r in server.requests]
    assert asked[:3] == ["qwen3-coder-plus", "kimi-k2.5", "qwen3.5-plus"]
    assert not any(r.path.endswith("/models") for r in server.requests)
    saved = json.loads((isolated_home / "settings.json").read_text())
    assert saved["model"]["provider"] == "coding-plan-intl"
    assert saved["model"]["name"] == "qwen3.5-plus"


async def test_html_instead_of_api_is_reported_at_the_url() -> None:
    with openai_server(mode="html") as server:
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await fill_custom(screen, pilot, server.base_url, KEY)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: bool(text_of(screen, "#url-error")))
            assert "web page" in text_of(screen, "#url-error")


async def test_url_without_scheme_is_refused() -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(110, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, WelcomeScreen)
        await fill_custom(screen, pilot, "example.com/v1", KEY)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(text_of(screen, "#url-error")))
        assert "http" in text_of(screen, "#url-error")


async def test_no_keyring_asks_before_using_the_file(isolated_home: Path) -> None:
    dead = RaisingKeyring(lambda: NoKeyringError("No recommended backend was available."))
    with openai_server(api_key=KEY) as server:
        app = make_app(keyring_backend=dead)
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await save_without_keyring(pilot, screen, server.base_url)
            assert not (isolated_home / "credentials.json").exists()
            await pilot.press("y")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    secrets_file = isolated_home / "credentials.json"
    (entry,) = json.loads(secrets_file.read_text()).values()
    assert json.loads(entry) == {
        "qwen-tui": 1,
        "origin": url_origin(server.base_url),
        "secret": KEY,
    }
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    saved = json.loads((isolated_home / "settings.json").read_text())
    assert saved["credentials"]["allowFileStore"] is True
    assert KEY not in (isolated_home / "settings.json").read_text()


async def test_declining_the_file_store_saves_nothing(isolated_home: Path) -> None:
    dead = RaisingKeyring(lambda: NoKeyringError("No recommended backend was available."))
    with openai_server(api_key=KEY) as server:
        app = make_app(keyring_backend=dead)
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await save_without_keyring(pilot, screen, server.base_url)
            await pilot.press("n")
            await wait_until(pilot, lambda: bool(text_of(screen, "#key-error")))
            assert screen.query_one("#api-key", Input).value == KEY
    assert not (isolated_home / "credentials.json").exists()
    assert not (isolated_home / "settings.json").exists()


async def test_running_local_server_is_offered_first() -> None:
    with openai_server(api_key=None, models=["llama3"]) as server:
        port = int(server.base_url.split(":")[2].split("/")[0])
        # A generous bound: the test server shares the test's process and a busy CI machine.
        app = make_app(
            keyring_backend=MemoryKeyring(),
            local_ports=closed_local_ports(ollama=port),
            local_probe_timeout=5.0,
        )
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await wait_until(pilot, lambda: "Found running" in text_of(screen, "#local-status"))
            select = screen.query_one("#provider", Select)
            assert select.value == "ollama"
            assert screen.query_one("#base-url", Input).value.endswith(f":{port}/v1")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: screen.query_one("#model-select").display)
            assert screen.query_one("#model-select", Select).value == "llama3"


def shown(screen: WelcomeScreen, *selectors: str) -> bool:
    return all(screen.query_one(selector).display for selector in selectors)


def hidden(screen: WelcomeScreen, *selectors: str) -> bool:
    return not any(screen.query_one(selector).display for selector in selectors)


async def test_the_form_shows_what_the_step_needs() -> None:
    with openai_server(api_key=KEY, models=[]) as server:
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await wait_until(
                pilot,
                lambda: (
                    shown(screen, "#openai-panel", "#verify", "#model-select")
                    and hidden(screen, "#qwen-panel", "#save", "#model-input", "#status")
                ),
            )
            await fill_custom(screen, pilot, server.base_url, KEY)
            await pilot.press("ctrl+s")
            # No model listed: the model is typed, and Ctrl+S now saves.
            await wait_until(
                pilot,
                lambda: (
                    shown(screen, "#save", "#model-input", "#status")
                    and hidden(screen, "#verify", "#model-select")
                ),
            )
            screen.query_one("#api-key", Input).value = KEY + "-other"
            await wait_until(pilot, lambda: shown(screen, "#verify") and hidden(screen, "#save"))
            screen.query_one("#method-qwen", RadioButton).value = True
            await wait_until(
                pilot, lambda: shown(screen, "#qwen-panel") and hidden(screen, "#openai-panel")
            )


async def test_the_chat_is_the_base_of_its_own_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing lies under the chat: no blank screen a stray pop could bring up."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.current_mode == "chat"
        assert app.screen_stack == [app.screen]
        app.action_settings()
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert app.screen_stack == [app.screen]


async def test_a_rate_limited_test_request_is_said_in_the_status_line() -> None:
    """No field is wrong when the model is only busy: the URL and key stay as they are."""
    with openai_server(api_key=KEY, models=["qwen3-coder-plus"]) as server:
        server.options.errors["/v1/chat/completions"] = ScriptedError(
            429,
            "Requests rate limit exceeded, please try again later.",
            type="Throttling.RateQuota",
            code="Throttling.RateQuota",
        )
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(110, 45)) as pilot:
            screen = await preset_checked(pilot, "dashscope-cn", server.base_url)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: "rate-limiting" in text_of(screen, "#status"))
            assert text_of(screen, "#url-error") == text_of(screen, "#key-error") == ""
            assert isinstance(app.screen, WelcomeScreen)


async def qwen_choice_label() -> str:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(110, 45)):
        screen = app.screen
        assert isinstance(screen, WelcomeScreen)
        return str(screen.query_one("#method-qwen", RadioButton).label)


async def test_qwen_oauth_names_another_sign_in_server_set_in_oauth_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The free tier that ended is Qwen's; another RFC 8628 server is named instead."""
    assert (await qwen_choice_label()).endswith("(free tier discontinued on 2026-04-15)")
    url = "https://sso.example.com/oauth2/device/code"
    monkeypatch.setenv("QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL", url)
    assert await qwen_choice_label() == "Qwen OAuth: sign in at sso.example.com (set in oauth.*)"
