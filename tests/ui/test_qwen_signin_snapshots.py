"""How the Qwen OAuth sign-in view and the Qwen Code import question look.

The device-flow server is real; only what changes from run to run is pinned: the user
code (the server's random numbers), the link (the server's port) and the countdown (the
flow's clock is frozen, so it shows the full lifetime). Run ``pytest --snapshot-update``
after a deliberate change of look, and review the SVGs.
"""

from __future__ import annotations

import itertools
import json
import secrets
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import RadioButton

from qwen_tui.providers.qwen_oauth import DeviceFlow
from qwen_tui.ui.screens import qwen_signin
from qwen_tui.ui.screens.import_question import ImportQuestion
from qwen_tui.ui.screens.qwen_signin import QwenSignInScreen
from qwen_tui.ui.screens.welcome import WelcomeScreen
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers import device_flow_server as server_module
from tests.support.servers.device_flow_server import DeviceFlowServer, device_flow_server
from tests.support.servers.openai_server import ScriptedError, openai_server
from tests.support.ui_helpers import make_app, wait_until

SIZE = (100, 40)
SHOWN_URL = "http://127.0.0.1:8765"
"""The server's address as the screen shows it (the real port changes every run)."""


@pytest.fixture(autouse=True)
def steady(monkeypatch: pytest.MonkeyPatch) -> None:
    """No browser, a fixed user code, and a frozen countdown."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(qwen_signin, "open_browser", lambda url: False)
    digits = itertools.cycle([4821, 7306])
    fixed = types.SimpleNamespace(
        randbelow=lambda _: next(digits), token_urlsafe=secrets.token_urlsafe
    )
    monkeypatch.setattr(server_module, "secrets", fixed)

    def frozen_flow(self: QwenSignInScreen) -> DeviceFlow:
        return DeviceFlow(self.services.loaded.settings.oauth, clock=lambda: 1000.0)

    monkeypatch.setattr(QwenSignInScreen, "_new_flow", frozen_flow)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DeviceFlowServer]:
    with device_flow_server(interval=600) as running:
        for name, value in running.environment().items():
            monkeypatch.setenv(name, value)
        yield running


def app_for(server: DeviceFlowServer) -> Any:
    app = make_app(keyring_backend=MemoryKeyring())
    server.url = SHOWN_URL  # what the device answers name; requests use the real port
    return app


async def open_sign_in(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
    app.screen.query_one("#method-qwen", RadioButton).value = True
    await wait_until(pilot, lambda: app.screen.query_one("#qwen-panel").display)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, WelcomeScreen))


def in_state(pilot: Pilot[Any], state: str) -> bool:
    screen = pilot.app.screen
    return isinstance(screen, QwenSignInScreen) and screen.state == state


def test_waiting_for_approval(snap_compare: Any, server: DeviceFlowServer) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_sign_in(pilot)
        await wait_until(pilot, lambda: in_state(pilot, "waiting"))
        await pilot.pause()

    assert snap_compare(app_for(server), terminal_size=SIZE, run_before=run_before)


def test_waiting_for_approval_small_terminal(snap_compare: Any, server: DeviceFlowServer) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_sign_in(pilot)
        await wait_until(pilot, lambda: in_state(pilot, "waiting"))
        await pilot.pause()

    assert snap_compare(app_for(server), terminal_size=(80, 24), run_before=run_before)


def test_refused(snap_compare: Any, server: DeviceFlowServer) -> None:
    server.options.auto_deny_after = 1
    server.options.interval = 0.2

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, WelcomeScreen)
        await open_sign_in(pilot)
        await wait_until(pilot, lambda: in_state(pilot, "failed"))
        await pilot.pause()

    # A real clock here: the frozen one never reaches the first poll.
    def real_flow(self: QwenSignInScreen) -> DeviceFlow:
        return DeviceFlow(self.services.loaded.settings.oauth)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QwenSignInScreen, "_new_flow", real_flow)
        assert snap_compare(app_for(server), terminal_size=SIZE, run_before=run_before)


def test_the_api_refuses_the_account(snap_compare: Any, server: DeviceFlowServer) -> None:
    """Approved, but the API answers the one-token request as Qwen's does since its free
    tier ended: said at sign-in, nothing stored."""
    server.options.auto_approve_after = 1
    server.options.interval = 0.2

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_sign_in(pilot)
        await wait_until(pilot, lambda: in_state(pilot, "failed"))
        await pilot.pause()

    def real_flow(self: QwenSignInScreen) -> DeviceFlow:
        return DeviceFlow(self.services.loaded.settings.oauth)

    refusal = ScriptedError(401, "invalid access token or token expired", code="401")
    with openai_server(api_key=None, errors={"/v1/chat/completions": refusal}) as api:
        server.options.resource_url = api.base_url
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(QwenSignInScreen, "_new_flow", real_flow)
            assert snap_compare(app_for(server), terminal_size=SIZE, run_before=run_before)


def test_import_question(snap_compare: Any, server: DeviceFlowServer) -> None:
    path = Path.home() / ".qwen" / "oauth_creds.json"
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "access_token": "qc-access-123456",
                "refresh_token": "qc-refresh-123456",
                "resource_url": "portal.qwen.ai",
                "expiry_date": 1_000_000_000_000,  # expired: the text does not age
            }
        )
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_sign_in(pilot)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ImportQuestion))
        await pilot.pause()

    assert snap_compare(app_for(server), terminal_size=SIZE, run_before=run_before)
