"""Usage statistics from a whole TUI session, checked at a real OTLP collector on 127.0.0.1.

The collector sees zero requests with the switch off or under an OpenAI-compatible
provider; with the switch on under Qwen OAuth it sees only allow-listed events, none of
which carries the prompt or the answer. The switch works without a restart.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Switch

from qwen_tui.config import load_settings, update_settings_file
from qwen_tui.providers.qwen_oauth import OAuthTokens
from qwen_tui.telemetry import EVENT_TYPES
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.settings import SettingsScreen
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from tests.support.account_helpers import store_qwen_sign_in
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.device_flow_server import device_flow_server
from tests.support.servers.openai_server import OpenAIServer, openai_server
from tests.support.servers.otlp_collector import OTLPCollector, otlp_collector
from tests.support.ui_helpers import make_app, wait_until
from tests.ui.test_settings_screen import tab_content_focused

SIZE = (100, 36)
PROMPT = "PROMPT-7731 please refactor def secret_function(user='alice')"
ANSWER = ["ANSWER-9911 ", "here is ", "`secret_function` ", "rewritten."]
ALLOWED_NAMES = {f"qwen_tui.{event.name}" for event in EVENT_TYPES}
KEY = "sk-telemetry-tui-4242"


@dataclass
class Session:
    api: OpenAIServer
    collector: OTLPCollector
    keyring: MemoryKeyring
    home: Path


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[OTLPCollector]:
    with otlp_collector() as running:
        monkeypatch.setenv("QWEN_TUI_TELEMETRY__OTLP_ENDPOINT", running.url)
        yield running


@pytest.fixture
def qwen_session(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, collector: OTLPCollector
) -> Iterator[Session]:
    """Signed in with Qwen OAuth (tokens in an in-memory keyring), chat API on loopback."""
    with openai_server(api_key="nobody-yet", models=["qwen3-coder-plus"]) as api:

        def hand_over(token: str) -> None:
            api.options.api_key = token

        with device_flow_server(resource_url=api.base_url, on_issue=hand_over) as oauth:
            for name, value in oauth.environment().items():
                monkeypatch.setenv(name, value)
            keyring = MemoryKeyring()
            tokens = OAuthTokens.from_token_response(oauth.issue_tokens())
            store_qwen_sign_in(load_settings(), tokens, keyring)
            api.options.chat_pieces = list(ANSWER)
            yield Session(api, collector, keyring, isolated_home)


def allow_statistics(home: Path, allowed: bool) -> None:
    update_settings_file(home / "settings.json", {"privacy": {"usageStatisticsEnabled": allowed}})


async def chat_once(pilot: Pilot[Any]) -> ChatScreen:
    """Ask one question, wait for the whole answer, and run two slash commands."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    screen = app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.chat is not None)
    count = len(screen.query(AssistantMessage))
    screen.query_one(PromptInput).load_text(PROMPT)
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: len(screen.query(AssistantMessage)) > count and not screen._answering,
    )
    assert "rewritten." in list(screen.query(AssistantMessage))[-1].text
    for command in ("/stats", "/help"):
        screen.query_one(PromptInput).load_text(command)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.query_one(PromptInput).text == "")
    return screen


async def run_session(app: QwenTuiApp) -> None:
    """A whole run as ``qwen-tui`` does it: the app, then the exit flush."""
    async with app.run_test(size=SIZE) as pilot:
        await chat_once(pilot)
    app.services.close_telemetry()


def everything_sent(collector: OTLPCollector) -> str:
    return "\n".join(request.body.decode() for request in collector.requests)


async def test_switch_off_under_qwen_oauth_sends_nothing(qwen_session: Session) -> None:
    allow_statistics(qwen_session.home, False)
    await run_session(make_app(keyring_backend=qwen_session.keyring))
    assert qwen_session.api.requests, "the session really talked to the API"
    assert qwen_session.collector.requests == []
    assert not (qwen_session.home / "telemetry.jsonl").exists()


async def test_never_asked_under_qwen_oauth_sends_nothing(qwen_session: Session) -> None:
    await run_session(make_app(keyring_backend=qwen_session.keyring))
    assert qwen_session.collector.requests == []


async def test_an_api_key_provider_sends_nothing_even_with_the_switch_on(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, collector: OTLPCollector
) -> None:
    allow_statistics(isolated_home, True)
    update_settings_file(isolated_home / "settings.json", {"telemetry": {"installId": "0" * 32}})
    with openai_server(api_key=KEY, models=["m1"]) as api:
        api.options.chat_pieces = list(ANSWER)
        monkeypatch.setenv("OPENAI_BASE_URL", api.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_MODEL", "m1")
        await run_session(make_app(keyring_backend=MemoryKeyring()))
        assert api.requests
    assert collector.requests == []
    assert not (isolated_home / "telemetry.jsonl").exists()


async def test_switch_on_under_qwen_oauth_sends_only_allow_listed_events(
    qwen_session: Session,
) -> None:
    allow_statistics(qwen_session.home, True)
    app = make_app(keyring_backend=qwen_session.keyring)
    await run_session(app)
    collector = qwen_session.collector
    assert collector.wait_for_requests(1)
    names = collector.event_names()
    assert set(names) <= ALLOWED_NAMES
    for expected in ("app_start", "screen_opened", "api_request", "command_used", "app_stop"):
        assert f"qwen_tui.{expected}" in names, names
    commands = [
        attribute["value"]["stringValue"]
        for record in collector.log_records()
        for attribute in record["attributes"]
        if attribute["key"] == "command"
    ]
    assert commands == ["stats", "help"]
    sent = everything_sent(collector)
    local = (qwen_session.home / "telemetry.jsonl").read_text()
    for text in ("PROMPT-7731", "secret_function", "alice", "ANSWER-9911", "rewritten"):
        assert text not in sent and text not in local, text
    for token in qwen_session.keyring.items.values():
        assert json.loads(token)["access_token"] not in sent
    assert str(qwen_session.home) not in sent, "no file paths"


async def test_the_switch_works_without_a_restart(qwen_session: Session) -> None:
    app = make_app(keyring_backend=qwen_session.keyring)
    collector = qwen_session.collector
    async with app.run_test(size=SIZE) as pilot:
        await chat_once(pilot)  # not asked yet: nothing recorded
        assert app.services.telemetry.recent() == []
        await app.run_action("privacy")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: tab_content_focused(app.screen))
        settings = app.screen
        switch = settings.query_one("#usage-stats", Switch)
        switch.focus()
        await pilot.press("enter")  # on
        await wait_until(pilot, lambda: app.services.telemetry.active)
        await pilot.press("escape")
        await chat_once(pilot)
        recorded = [event["body"]["stringValue"] for event in app.services.telemetry.recent()]
        assert "qwen_tui.api_request" in recorded
        assert collector.wait_until(lambda: bool(collector.accepted()))
        await app.run_action("privacy")
        await wait_until(pilot, lambda: isinstance(app.screen, SettingsScreen))
        await wait_until(pilot, lambda: tab_content_focused(app.screen))
        switch = app.screen.query_one("#usage-stats", Switch)
        switch.focus()
        await pilot.press("enter")  # off again
        await wait_until(pilot, lambda: not app.services.telemetry.active)
        switched_off = time.time_ns()
        await pilot.press("escape")
        await chat_once(pilot)
    app.services.close_telemetry()
    times = [int(record["timeUnixNano"]) for record in collector.log_records()]
    assert times and max(times) < switched_off, "nothing recorded once switched off"
    api_requests = collector.event_names().count("qwen_tui.api_request")
    assert api_requests == 1, "only the answer asked while the switch was on"
