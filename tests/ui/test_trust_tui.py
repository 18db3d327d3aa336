"""The trust question in the TUI: asked once before connecting, remembered when trusted,
and the user's own endpoint (with the user's key) when declined. Two real servers on
127.0.0.1 play the user's provider and the host a project's ``.env`` points at."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from qwen_tui.config.trust import trust_file
from qwen_tui.credentials import CredentialStore
from qwen_tui.providers.registry import url_origin
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.chat_view import SystemNote
from qwen_tui.ui.screens.trust_question import TrustQuestion
from qwen_tui.ui.screens.welcome import WelcomeScreen
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.process_state import forget_run_decisions
from tests.support.servers.openai_server import OpenAIServer, openai_server
from tests.support.ui_helpers import make_app, wait_until

STORED_KEY = "sk-stored-for-the-provider-1111"
PROJECT_KEY = "sk-the-projects-own-3333"
SIZE = (100, 36)


@pytest.fixture(autouse=True)
def fresh_run() -> Iterator[None]:
    forget_run_decisions()
    yield
    forget_run_decisions()


@pytest.fixture
def provider() -> Iterator[OpenAIServer]:
    with openai_server(api_key=STORED_KEY, chat_pieces=["from the provider"]) as server:
        yield server


@pytest.fixture
def other() -> Iterator[OpenAIServer]:
    with openai_server(api_key=None, chat_pieces=["from another host"]) as server:
        yield server


@pytest.fixture
def keyring(isolated_home: Path, provider: OpenAIServer) -> MemoryKeyring:
    """Signed in to ``provider`` as the app does it: key bound to its origin."""
    backend = MemoryKeyring()
    store = CredentialStore(isolated_home, backend=backend)
    store.set("provider:openai", STORED_KEY, origin=url_origin(provider.base_url))
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.json").write_text(
        json.dumps(
            {
                "security": {"auth": {"selectedType": "openai"}},
                "model": {"provider": "openai", "baseUrl": provider.base_url, "name": "m"},
            }
        )
    )
    return backend


def question(app: QwenTuiApp) -> TrustQuestion | None:
    found = [s for s in app.screen_stack if isinstance(s, TrustQuestion)]
    return found[0] if found else None


async def chat_answer(pilot: Pilot[Any], text: str) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.chat is not None)
    screen.query_one(PromptInput).load_text(text)
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: bool(list(screen.query(AssistantMessage))) and not screen._answering,
    )
    return "".join(m.text for m in screen.query(AssistantMessage))


def keys_seen(server: OpenAIServer) -> set[str]:
    return {r.authorization or "" for r in server.requests}


async def test_not_now_uses_the_users_own_endpoint_and_asks_again_next_run(
    keyring: MemoryKeyring, provider: OpenAIServer, other: OpenAIServer, isolated_home: Path
) -> None:
    dotenv = Path.cwd() / ".env"
    dotenv.write_text(f"QWEN_TUI_MODEL__BASE_URL={other.base_url}\n")
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, TrustQuestion))
        shown = str(app.screen.query_one("#trust-changes", Static).render())
        assert str(dotenv) in shown
        assert f"model.baseUrl = {other.base_url}" in shown
        assert provider.requests == []  # nothing connects before the answer
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert await chat_answer(pilot, "hello") == "from the provider"
        app.services.reload()  # a settings change later in the run does not ask again
        assert app.services.loaded.untrusted_dotenv is None
    assert provider.requests[-1].authorization == f"Bearer {STORED_KEY}"
    assert other.requests == []
    assert not trust_file(isolated_home).exists()

    forget_run_decisions()  # the next run
    again = make_app(keyring_backend=keyring)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(again.screen, TrustQuestion))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(again.screen, ChatScreen))
    assert other.requests == []


async def test_trusting_is_asked_once_and_remembered_and_keeps_the_stored_key_home(
    keyring: MemoryKeyring, provider: OpenAIServer, other: OpenAIServer, isolated_home: Path
) -> None:
    (Path.cwd() / ".qwen").mkdir()
    (Path.cwd() / ".qwen" / ".env").write_text(
        f"OPENAI_BASE_URL={other.base_url}\nOPENAI_API_KEY={PROJECT_KEY}\nOPENAI_MODEL=m\n"
    )
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, TrustQuestion))
        shown = str(app.screen.query_one("#trust-changes", Static).render())
        assert "OPENAI_API_KEY = (a key; not shown)" in shown
        assert PROJECT_KEY not in shown
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert await chat_answer(pilot, "hello") == "from another host"
    entries = json.loads(trust_file(isolated_home).read_text())
    assert entries[str(Path.cwd().resolve())]["level"] == "TRUST_FOLDER"
    assert keys_seen(other) == {f"Bearer {PROJECT_KEY}"}
    assert provider.requests == []

    forget_run_decisions()  # the next run: no question, straight to the chat
    again = make_app(keyring_backend=keyring)
    async with again.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(again.screen, ChatScreen))
        assert question(again) is None
        assert await chat_answer(pilot, "again") == "from another host"
    assert keys_seen(other) == {f"Bearer {PROJECT_KEY}"}


async def test_a_trusted_endpoint_still_does_not_get_the_stored_key(
    keyring: MemoryKeyring, provider: OpenAIServer, other: OpenAIServer
) -> None:
    (Path.cwd() / ".env").write_text(f"QWEN_TUI_MODEL__BASE_URL={other.base_url}\n")
    app = make_app(keyring_backend=keyring)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, TrustQuestion))
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        await wait_until(pilot, lambda: bool(list(screen.query(SystemNote))))
        note = " ".join(str(n.render()) for n in screen.query(SystemNote))
        assert "not sent" in note
        assert STORED_KEY not in note
    assert other.requests == []
    assert provider.requests == []


async def test_first_start_in_a_project_asks_before_the_welcome_screen(
    other: OpenAIServer,
) -> None:
    (Path.cwd() / ".env").write_text(f"OPENAI_BASE_URL={other.base_url}\n")
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, TrustQuestion))
        await pilot.click("#decline")
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
    assert other.requests == []
