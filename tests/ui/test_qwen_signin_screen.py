"""The Qwen OAuth sign-in view, driven with the pilot against a real device-flow server."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.errors import NoKeyringError
from textual.pilot import Pilot
from textual.widgets import Static

from qwen_tui.providers.qwen_oauth import TOKEN_NAME
from qwen_tui.providers.qwen_oauth.import_qwen_code import OFFER_MARKER
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.screens import qwen_signin
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.import_question import ImportQuestion
from qwen_tui.ui.screens.keyring_question import KeyringFallbackQuestion
from qwen_tui.ui.screens.qwen_signin import (
    CHROME_HEIGHT,
    TEXT_MIN_WIDTH,
    QwenSignInScreen,
    countdown,
    qr_code,
)
from qwen_tui.ui.screens.usage_question import UsageStatisticsQuestion
from qwen_tui.ui.screens.welcome import WelcomeScreen
from tests.support.credentials_fixtures import MemoryKeyring, RaisingKeyring
from tests.support.servers.device_flow_server import (
    DeviceFlowServer,
    device_flow_server,
    device_flow_with_api,
)
from tests.support.servers.openai_server import ScriptedError, closed_port, openai_server
from tests.support.ui_helpers import holds_for, make_app, wait_until
from tests.support.waiting import PATIENCE

SIZE = (100, 40)

QWEN_CODE_FILE = {
    "access_token": "qc-access-123456",
    "refresh_token": "qc-refresh-123456",
    "token_type": "Bearer",
    "resource_url": "portal.qwen.ai",
    "expiry_date": 4_000_000_000_000,
}


@pytest.fixture(autouse=True)
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """No graphical browser, and never a real one opened; yields the URLs 'opened'."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    opened: list[str] = []

    def fake_open(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(qwen_signin, "open_browser", fake_open)
    yield opened


def use_server(monkeypatch: pytest.MonkeyPatch, server: DeviceFlowServer) -> None:
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def device_requests(server: DeviceFlowServer) -> int:
    return sum(1 for request in server.requests if request.path == "/device/code")


def token_polls(server: DeviceFlowServer) -> int:
    return sum(1 for request in server.requests if request.path == "/token")


async def choose_qwen(pilot: Pilot[Any], key: str = "enter") -> QwenSignInScreen:
    """On the welcome screen: pick Qwen OAuth, then Enter (or Ctrl+S) on its button."""
    app = pilot.app
    await until_screen(pilot, WelcomeScreen)
    await pilot.press("shift+tab")  # from the provider list up to the method choice
    assert app.focused is app.screen.query_one("#method")
    await pilot.press("down", "enter")  # the highlight starts on the chosen method
    await wait_until(pilot, lambda: app.screen.query_one("#qwen-panel").display)
    await pilot.press(key)
    await wait_until(pilot, lambda: any(isinstance(s, QwenSignInScreen) for s in app.screen_stack))
    return next(s for s in app.screen_stack if isinstance(s, QwenSignInScreen))


async def until_screen(pilot: Pilot[Any], kind: type) -> None:
    """Wait until ``kind`` is on top, and let it finish mounting."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    await pilot.pause()


async def until_state(pilot: Pilot[Any], screen: QwenSignInScreen, state: str) -> None:
    await wait_until(pilot, lambda: screen.state == state)
    await pilot.pause()


def write_qwen_code_file(resource_url: str = "portal.qwen.ai") -> Path:
    path = Path.home() / ".qwen" / "oauth_creds.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({**QWEN_CODE_FILE, "resource_url": resource_url}))
    return path


# ----------------------------------------------------------------------- approval


async def test_approve_stores_one_keyring_entry_and_opens_the_chat(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    keyring = MemoryKeyring()
    with device_flow_with_api(interval=0.2) as (server, api):
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=SIZE) as pilot:
            await holds_for(
                pilot,
                lambda: server.requests == [],
                0.3,
                "no network before the user chose Qwen OAuth",
            )
            screen = await choose_qwen(pilot)
            await until_state(pilot, screen, "waiting")
            device = next(iter(server.devices.values()))
            complete = f"{server.url}/activate?user_code={device.user_code}"
            assert text_of(screen, "#signin-link") == complete
            assert text_of(screen, "#signin-code") == " ".join(device.user_code)
            assert "Open this link on any device" in text_of(screen, "#signin-browser")
            # The code lives 10 minutes; the countdown may have ticked on a slow machine.
            left = re.search(r"expires in (\d+):(\d\d)", text_of(screen, "#signin-countdown"))
            assert left is not None
            assert 600 - PATIENCE <= int(left[1]) * 60 + int(left[2]) <= 600
            await wait_until(pilot, lambda: screen.query_one("#signin-qr").display)
            server.approve()  # only now: the waiting screen was seen, however slow the machine
            await until_screen(pilot, UsageStatisticsQuestion)
            await pilot.press("n")
            await until_screen(pilot, ChatScreen)
    grant = server.grants[0]
    (test_request,) = api.requests
    assert test_request.json()["max_tokens"] == 1, "one token asked before storing"
    assert test_request.authorization == f"Bearer {grant.access_tokens[0]}"
    assert list(keyring.items) == [("qwen-tui", TOKEN_NAME)]
    stored = json.loads(keyring.items[("qwen-tui", TOKEN_NAME)])
    assert stored["access_token"] == grant.access_tokens[0]
    assert stored["refresh_token"] == grant.refresh_token
    settings_text = (isolated_home / "settings.json").read_text()
    assert grant.access_tokens[0] not in settings_text
    assert grant.refresh_token not in settings_text
    settings = json.loads(settings_text)
    assert settings["security"]["auth"]["selectedType"] == "qwen-oauth"
    assert settings["model"]["provider"] == "qwen"
    assert settings["privacy"]["usageStatisticsEnabled"] is False
    assert "telemetry" not in settings, "no install id without consent"
    assert not (isolated_home / "credentials.json").exists()


async def test_a_sign_in_the_api_refuses_is_reported_and_nothing_is_stored(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    keyring = MemoryKeyring()
    with device_flow_with_api(interval=0.2, auto_approve_after=1) as (server, api):
        api.options.errors["/v1/chat/completions"] = ScriptedError(
            429,
            "Qwen OAuth free tier quota exceeded. Note: Qwen OAuth free tier will be "
            "discontinued on 2026-04-15.",
            code="insufficient_quota",
        )
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot)
            await until_state(pilot, screen, "failed")
            assert text_of(screen, "#signin-headline") == "The Qwen API refuses this account"
            message = text_of(screen, "#signin-message")
            assert "discontinued on 2026-04-15" in message
            assert "Coding Plan" in message and "Nothing was stored." in message
            assert "Press Enter to try again" in text_of(screen, "#signin-hint")
    assert keyring.items == {}
    assert not (isolated_home / "settings.json").exists()


async def test_ctrl_s_also_starts_it_and_the_browser_is_opened_where_there_is_one(
    monkeypatch: pytest.MonkeyPatch, browser: list[str]
) -> None:
    monkeypatch.setattr(qwen_signin, "browser_available", lambda: True)
    with device_flow_server(interval=600) as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot, key="ctrl+s")
            await until_state(pilot, screen, "waiting")
            assert "Opened the link in your browser" in text_of(screen, "#signin-browser")
            device = next(iter(server.devices.values()))
            assert browser == [f"{server.url}/activate?user_code={device.user_code}"]


async def test_no_browser_means_the_link_is_shown_and_c_copies_it(
    monkeypatch: pytest.MonkeyPatch, browser: list[str]
) -> None:
    with device_flow_server(interval=600) as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=MemoryKeyring())
        copied: list[str] = []
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot)
            await until_state(pilot, screen, "waiting")
            assert browser == []
            assert "Press c to copy the link" in text_of(screen, "#signin-browser")
            await pilot.press("c")
            await wait_until(pilot, lambda: bool(copied))
            assert copied == [screen.authorization.browser_url if screen.authorization else ""]


# ------------------------------------------------------------------------ failures


async def test_deny_says_so_and_enter_asks_for_a_new_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring = MemoryKeyring()
    with device_flow_server(interval=0.2, auto_deny_after=1) as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot)
            await until_state(pilot, screen, "failed")
            assert "refused" in text_of(screen, "#signin-headline")
            assert "access denied" in text_of(screen, "#signin-message")
            assert "Press Enter to try again, Esc to go back" in text_of(screen, "#signin-hint")
            await wait_until(pilot, lambda: not screen.query_one("#signin-body").display)
            first_code = screen.authorization.user_code if screen.authorization else ""
            assert device_requests(server) == 1

            server.options.auto_deny_after = None
            await pilot.press("enter")
            await until_state(pilot, screen, "waiting")
            assert device_requests(server) == 2
            second_code = screen.authorization.user_code if screen.authorization else ""
            assert second_code != first_code
            assert text_of(screen, "#signin-code") == " ".join(second_code)

            await pilot.press("escape")
            await until_screen(pilot, WelcomeScreen)
    assert keyring.items == {}


async def test_expired_code_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    with device_flow_server(interval=0.2, expires_in=0.7) as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot)
            await until_state(pilot, screen, "failed")
            assert text_of(screen, "#signin-headline") == "The code expired"
            assert "expired before it was approved" in text_of(screen, "#signin-message")
            assert "Press Enter to try again" in text_of(screen, "#signin-hint")


async def test_unreachable_server_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv(
        "QWEN_TUI_OAUTH__DEVICE_AUTHORIZATION_URL", f"http://127.0.0.1:{port}/device/code"
    )
    monkeypatch.setenv("QWEN_TUI_OAUTH__TOKEN_URL", f"http://127.0.0.1:{port}/token")
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        screen = await choose_qwen(pilot)
        await until_state(pilot, screen, "failed")
        assert text_of(screen, "#signin-headline") == "Cannot reach the sign-in server"
        assert f"127.0.0.1:{port}" in text_of(screen, "#signin-message")
        await pilot.press("escape")
        await until_screen(pilot, WelcomeScreen)


async def test_a_web_page_instead_of_the_api_is_explained(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with device_flow_server(mode="html") as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot)
            await until_state(pilot, screen, "failed")
            assert "did not answer as expected" in text_of(screen, "#signin-headline")


# -------------------------------------------------------------------------- cancel


async def test_escape_cancels_and_no_more_polls_reach_the_server(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    keyring = MemoryKeyring()
    with device_flow_server(interval=0.2) as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot)
            await wait_until(pilot, lambda: token_polls(server) >= 2)
            worker = screen._worker
            await pilot.press("escape")
            await until_screen(pilot, WelcomeScreen)
            # The sign-in has ended and no poll is open; from now on nothing may reach
            # the server (a window of five intervals shows it).
            await wait_until(pilot, lambda: worker is None or worker.is_finished)
            await wait_until(pilot, lambda: server.open_polls == 0)
            polls = token_polls(server)
            await holds_for(pilot, lambda: token_polls(server) == polls, 1.0)
            assert not screen.is_attached
            server.approve()
            await holds_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), 0.5)
    assert keyring.items == {}
    assert not (isolated_home / "settings.json").exists()


async def test_escape_closes_a_poll_that_is_still_waiting_for_an_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with device_flow_server(interval=0.2, mode="hang") as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=SIZE) as pilot:
            await choose_qwen(pilot)
            await wait_until(pilot, lambda: server.open_polls == 1)
            await pilot.press("escape")
            await wait_until(pilot, lambda: server.hangups == 1 and server.open_polls == 0)
            await holds_for(pilot, lambda: token_polls(server) == 1, 0.6)


# ------------------------------------------------------------------ keyring trouble


async def test_no_keyring_asks_before_the_file_store(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    dead = RaisingKeyring(lambda: NoKeyringError("No recommended backend was available."))
    with device_flow_with_api(interval=0.2, auto_approve_after=1) as (server, _):
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=dead)
        async with app.run_test(size=SIZE) as pilot:
            screen = await choose_qwen(pilot)
            await until_screen(pilot, KeyringFallbackQuestion)
            assert not (isolated_home / "credentials.json").exists()
            await pilot.press("n")
            await until_state(pilot, screen, "failed")
            assert "not stored" in text_of(screen, "#signin-headline")
            assert "Press Enter to try saving again" in text_of(screen, "#signin-hint")
            await pilot.press("enter")  # saves the same tokens: no new code
            await until_screen(pilot, KeyringFallbackQuestion)
            await pilot.press("y")
            await until_screen(pilot, UsageStatisticsQuestion)
            await pilot.press("escape")
            await until_screen(pilot, ChatScreen)
    assert device_requests(server) == 1
    secrets_file = isolated_home / "credentials.json"
    stored = json.loads(json.loads(secrets_file.read_text())[TOKEN_NAME])
    assert stored["access_token"] == server.grants[0].access_tokens[0]
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    settings_text = (isolated_home / "settings.json").read_text()
    settings = json.loads(settings_text)
    assert settings["credentials"]["allowFileStore"] is True
    assert settings["security"]["auth"]["selectedType"] == "qwen-oauth"
    assert "privacy" not in settings, "Esc leaves the question unanswered: statistics stay off"
    assert server.grants[0].access_tokens[0] not in settings_text


# ------------------------------------------------------------- Qwen Code import


async def test_import_offer_yes_imports_and_names_the_file_to_delete(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    keyring = MemoryKeyring()
    access_token = str(QWEN_CODE_FILE["access_token"])
    with (
        device_flow_server(interval=0.2) as server,
        openai_server(api_key=access_token, models=["qwen3-coder-plus"]) as api,
    ):
        path = write_qwen_code_file(api.base_url)
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=SIZE) as pilot:
            await choose_qwen(pilot)
            await until_screen(pilot, ImportQuestion)
            offer_text = text_of(app.screen, "#import-offer")
            assert "~/.qwen/oauth_creds.json" in offer_text
            assert "qc-access" not in offer_text
            await pilot.press("y")
            await until_screen(pilot, UsageStatisticsQuestion)
            await pilot.press("n")
            await until_screen(pilot, QwenSignInScreen)
            screen = app.screen
            assert isinstance(screen, QwenSignInScreen)
            await until_state(pilot, screen, "imported")
            message = text_of(screen, "#signin-message")
            assert "~/.qwen/oauth_creds.json" in message
            assert "delete it now" in message
            assert "Press Enter to start chatting" in text_of(screen, "#signin-hint")
            # Only the outcome shows: no lead asking to approve, no code, no spinner.
            await wait_until(
                pilot,
                lambda: (
                    not any(
                        screen.query_one(part).display
                        for part in ("#signin-lead", "#signin-body", "#signin-busy")
                    )
                ),
            )
            assert screen.query_one("#signin-headline").display
            await pilot.press("enter")
            await until_screen(pilot, ChatScreen)
    assert server.requests == [], "an import needs no sign-in"
    (test_request,) = api.requests
    assert test_request.authorization == f"Bearer {access_token}", "tried once before kept"
    stored = json.loads(keyring.items[("qwen-tui", TOKEN_NAME)])
    assert stored["access_token"] == "qc-access-123456"
    assert path.exists(), "the user deletes the plain file, not us"
    assert (isolated_home / OFFER_MARKER).exists()
    settings = json.loads((isolated_home / "settings.json").read_text())
    assert settings["security"]["auth"]["selectedType"] == "qwen-oauth"


async def test_import_offer_no_is_remembered_and_starts_the_device_flow(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    write_qwen_code_file()
    keyring = MemoryKeyring()
    with device_flow_server(interval=600) as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=SIZE) as pilot:
            await choose_qwen(pilot)
            await until_screen(pilot, ImportQuestion)
            await pilot.press("n")
            await until_screen(pilot, QwenSignInScreen)
            screen = app.screen
            assert isinstance(screen, QwenSignInScreen)
            await until_state(pilot, screen, "waiting")
            assert device_requests(server) == 1
            assert (isolated_home / OFFER_MARKER).exists()
            await pilot.press("escape")
            await until_screen(pilot, WelcomeScreen)
            # Asked once: the next attempt goes straight to the device flow.
            await pilot.press("enter")
            await until_screen(pilot, QwenSignInScreen)
            screen = app.screen
            assert isinstance(screen, QwenSignInScreen)
            await until_state(pilot, screen, "waiting")
            assert device_requests(server) == 2
    assert keyring.items == {}


async def test_import_offer_escape_goes_back_and_asks_again_later(
    monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    write_qwen_code_file()
    with device_flow_server(interval=600) as server:
        use_server(monkeypatch, server)
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=SIZE) as pilot:
            await choose_qwen(pilot)
            await until_screen(pilot, ImportQuestion)
            await pilot.press("escape")
            await until_screen(pilot, WelcomeScreen)
    assert server.requests == []
    assert not (isolated_home / OFFER_MARKER).exists()


# --------------------------------------------------------------- QR code and sizes


def decode_half_blocks(text: str) -> list[list[bool]]:
    """Turn the half-block drawing back into rows of modules (True = dark)."""
    rows: list[list[bool]] = []
    for line in text.split("\n"):
        rows.append([char in "▀█" for char in line])
        rows.append([char in "▄█" for char in line])
    return rows


@pytest.mark.parametrize(
    "url",
    [
        "https://chat.qwen.ai/authorize?user_code=ABCD-EFGH&client=qwen-code",
        "http://127.0.0.1:8765/activate?user_code=1234-5678",
    ],
)
def test_qr_code_holds_every_module_and_fits_a_100x40_terminal(url: str) -> None:
    import segno

    drawing = qr_code(url)
    expected = [[bool(m) for m in row] for row in segno.make(url).matrix_iter(border=2)]
    decoded = decode_half_blocks(drawing.plain)
    assert decoded[: len(expected)] == expected
    assert not any(decoded[len(expected) :][0]) if len(decoded) > len(expected) else True
    width = len(drawing.plain.split("\n")[0])
    height = len(drawing.plain.split("\n"))
    assert width + TEXT_MIN_WIDTH <= 100
    assert height + CHROME_HEIGHT <= 40
    assert str(drawing.style) == "#000000 on #ffffff"


def test_countdown_rounds_up() -> None:
    assert countdown(600) == "10:00"
    assert countdown(599.2) == "10:00"
    assert countdown(61) == "1:01"
    assert countdown(0.1) == "0:01"
    assert countdown(-3) == "0:00"


async def test_qr_code_is_hidden_where_it_does_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    with device_flow_server(interval=600) as server:
        use_server(monkeypatch, server)
        app: QwenTuiApp = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await choose_qwen(pilot)
            await until_state(pilot, screen, "waiting")
            await wait_until(
                pilot,
                lambda: (
                    screen.query_one("#signin-link").display
                    and screen.query_one("#signin-code").display
                ),
            )
            assert not screen.query_one("#signin-qr").display
            await pilot.resize_terminal(100, 40)
            await wait_until(pilot, lambda: screen.query_one("#signin-qr").display)
