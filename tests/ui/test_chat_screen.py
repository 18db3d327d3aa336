"""The chat screen, driven from the keyboard against a real OpenAI-compatible server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.commands import find_command
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.chat_view import SystemNote
from qwen_tui.ui.widgets.messages import AssistantMessage, UserMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import OpenAIServer, RecordedRequest, openai_server
from tests.support.ui_helpers import holds_for, make_app, wait_until
from tests.support.waiting import PATIENCE, POLL

KEY = "sk-chat-screen-key-4711"
SIZE = (100, 36)
CODE_ANSWER = ["Here is code:\n\n", "```python\n", "print('hi')\n", "```\n\n", "Done."]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_MODEL", "test-model")
        yield running


def conversation(request: RecordedRequest) -> list[dict[str, Any]]:
    """The messages a chat request sent, after the agent's system prompt."""
    messages: list[dict[str, Any]] = request.json()["messages"]
    assert messages[0]["role"] == "system"
    return messages[1:]


def prompt_words(request: RecordedRequest) -> int:
    """The prompt tokens the test server counts for a request: its words."""
    return sum(len(str(m.get("content") or "").split()) for m in request.json()["messages"])


def chat_app() -> QwenTuiApp:
    return make_app(keyring_backend=MemoryKeyring())


async def connected(pilot: Pilot[Any]) -> ChatScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.chat is not None)
    return screen


def answers(screen: ChatScreen) -> list[AssistantMessage]:
    return list(screen.query(AssistantMessage))


def answer_done(screen: ChatScreen, count: int = 1) -> bool:
    return len(answers(screen)) >= count and not screen._answering


def at_the_end(transcript: Any) -> bool:
    """Whether the transcript, laid out taller than the view, is scrolled to its last
    line (it follows the answer)."""
    return bool(transcript.max_scroll_y > 0 and transcript.scroll_y >= transcript.max_scroll_y - 1)


def notes(screen: ChatScreen) -> list[str]:
    return [str(note.render()) for note in screen.query(SystemNote)]


def notice(answer: AssistantMessage) -> str:
    return str(answer._notice.render())


def status(screen: ChatScreen) -> str:
    return str(screen.query_one("#status-line", Static).render())


def session_records(home: Path) -> list[dict[str, Any]]:
    files = sorted((home / "sessions").glob("*.jsonl"))
    assert len(files) == 1, files
    return [json.loads(line) for line in files[0].read_text().splitlines()]


def messages_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["type"] == "message"]


async def send(pilot: Pilot[Any], screen: ChatScreen, text: str) -> None:
    screen.query_one(PromptInput).load_text(text)
    await pilot.press("enter")


# ----- 1. a streamed answer ---------------------------------------------------------------


async def test_streamed_markdown_answer_is_shown_saved_and_counted(
    server: OpenAIServer, isolated_home: Path
) -> None:
    server.options.chat_pieces = CODE_ANSWER
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await pilot.press(*"hello")
        await pilot.press("enter")
        await wait_until(pilot, lambda: answer_done(screen))
        await pilot.pause()
        assert screen.query_one(PromptInput).text == ""
        users = [str(u.render()) for u in screen.query(UserMessage)]
        assert users == ["hello"]
        (answer,) = answers(screen)
        assert answer.text == "".join(CODE_ANSWER)
        assert notice(answer) == ""
        prompt_tokens = prompt_words(server.requests[-1])
        assert f"{prompt_tokens}→5 tok" in status(screen)
        assert f"session {prompt_tokens}→5 tok" in status(screen)
    assert conversation(server.requests[-1]) == [{"role": "user", "content": "hello"}]
    path = next((isolated_home / "sessions").glob("*.jsonl"))
    assert KEY not in path.read_text()
    saved = messages_of(session_records(isolated_home))
    assert [(m["role"], m["content"]) for m in saved] == [
        ("user", "hello"),
        ("assistant", "".join(CODE_ANSWER)),
    ]
    assert "partial" not in saved[1]
    assert saved[1]["usage"] == {"prompt_tokens": prompt_tokens, "completion_tokens": 5}


# ----- 2. Esc stops a stream --------------------------------------------------------------


async def test_escape_stops_a_slow_stream_keeps_the_partial_answer_and_ctrl_r_asks_again(
    server: OpenAIServer, isolated_home: Path
) -> None:
    server.options.chat_pieces = [f"word{i} " for i in range(40)]
    server.options.chunk_delay = 0.1
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "tell me a long story")
        await wait_until(
            pilot, lambda: bool(answers(screen)) and "word2" in answers(screen)[0].text
        )
        assert screen._answering
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen._answering)
        (answer,) = answers(screen)
        stopped_at = answer.text
        assert stopped_at.startswith("word0 word1 word2")
        assert "Stopped" in notice(answer)
        # The HTTP stream is closed: the server's handler finds the socket gone.
        connections = server._server.connections
        await wait_until(pilot, lambda: not connections)
        await holds_for(pilot, lambda: answer.text == stopped_at, 0.3)
        saved = messages_of(session_records(isolated_home))
        assert saved[-1]["role"] == "assistant"
        assert saved[-1]["content"] == stopped_at
        assert saved[-1]["partial"] is True

        server.options.chunk_delay = 0
        server.options.chat_pieces = ["The ", "end."]
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: answer_done(screen, 2))
        assert answers(screen)[0].text == stopped_at
        assert answers(screen)[1].text == "The end."
    retry = conversation(server.requests[-1])
    assert retry == [{"role": "user", "content": "tell me a long story"}]
    saved = messages_of(session_records(isolated_home))
    assert [(m["role"], m.get("partial", False)) for m in saved] == [
        ("user", False),
        ("assistant", True),
        ("assistant", False),
    ]


# ----- 3. faults against the real server --------------------------------------------------


def chat_requests(server: OpenAIServer) -> int:
    return sum(r.path.endswith("/chat/completions") for r in server.requests)


FAULTS: dict[str, Any] = {
    # name: (server options to break it, text the notice must hold, partial text)
    "401": ({"api_key": "sk-another-key-0000"}, ["401", "/auth"], ""),
    "404-model": (
        {"strict_model": True, "models": ["alpha", "beta"]},
        ["not found", "alpha, beta", "/model"],
        "",
    ),
    "429-no-retry-after": (
        {"errors": {"/v1/chat/completions": {"status": 429, "message": "Slow down."}}},
        ["429", "Ctrl+R"],
        "",
    ),
    "500": (
        {"errors": {"/v1/chat/completions": {"status": 500, "message": "Boom."}}},
        ["500", "Ctrl+R"],
        "",
    ),
    "drop": ({"drop_after": 2}, ["closed before the answer was finished", "Ctrl+R"], "Hello, "),
    "malformed": ({"malformed_after": 2}, ["malformed", "Ctrl+R"], "Hello, "),
    "no-choices": ({"no_choices": True}, ["no choices", "Ctrl+R"], ""),
    "timeout": ({"mode": "slow", "delay": 3.0}, ["did not answer in time", "Ctrl+R"], ""),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_fault_keeps_the_app_and_partial_answer_and_ctrl_r_resends(
    fault: str, server: OpenAIServer, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.servers.openai_server import ScriptedError, ServerOptions

    breakage, expected, partial = FAULTS[fault]
    monkeypatch.setenv("QWEN_TUI_MODEL__REQUEST_TIMEOUT", "0.5")
    healthy = ServerOptions(api_key=KEY)
    for name, value in breakage.items():
        if name == "errors":
            value = {path: ScriptedError(**error) for path, error in value.items()}
        setattr(server.options, name, value)
    app = chat_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "hello")
        await wait_until(pilot, lambda: answer_done(screen))
        assert app.is_running and app.screen is screen
        (answer,) = answers(screen)
        assert answer.text == partial
        for words in expected:
            assert words in notice(answer)
        assert KEY not in notice(answer) and "sk-another-key-0000" not in notice(answer)
        assert screen.query_one(PromptInput).has_focus
        saved = messages_of(session_records(isolated_home))
        if partial:
            assert saved[-1]["content"] == partial and saved[-1]["partial"] is True
            assert saved[-1]["error"] == notice(answer)
        else:
            assert [m["role"] for m in saved] == ["user"]
        # Nothing is retried behind the user's back.
        await holds_for(pilot, lambda: chat_requests(server) == 1, 0.2)

        for name in breakage:
            setattr(server.options, name, getattr(healthy, name))
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: answer_done(screen, 2))
        assert answers(screen)[0].text == partial
        assert answers(screen)[1].text == "Hello, world!"
        assert notice(answers(screen)[1]) == ""
    assert chat_requests(server) == 2
    assert conversation(server.requests[-1]) == [{"role": "user", "content": "hello"}]


async def test_rate_limit_with_retry_after_waits_and_retries_by_itself(
    server: OpenAIServer, isolated_home: Path
) -> None:
    from tests.support.servers.openai_server import ScriptedError

    server.options.errors = {
        "/v1/chat/completions": ScriptedError(
            429, "Rate limit reached.", headers={"Retry-After": "1"}, times=1
        )
    }
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "hello")
        await wait_until(
            pilot, lambda: bool(answers(screen)) and "retrying" in notice(answers(screen)[0])
        )
        assert chat_requests(server) == 1
        await wait_until(pilot, lambda: answer_done(screen))
        (answer,) = answers(screen)
        assert answer.text == "Hello, world!"
        assert notice(answer) == ""
    assert chat_requests(server) == 2
    saved = messages_of(session_records(isolated_home))
    assert [(m["role"], m["content"]) for m in saved] == [
        ("user", "hello"),
        ("assistant", "Hello, world!"),
    ]


async def test_connection_refused_keeps_the_app_and_ctrl_r_tries_again(
    server: OpenAIServer, isolated_home: Path
) -> None:
    app = chat_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        server.stop()
        await send(pilot, screen, "anyone there?")
        await wait_until(pilot, lambda: answer_done(screen))
        assert app.is_running
        (answer,) = answers(screen)
        assert answer.text == ""
        assert "connection refused" in notice(answer)
        assert "ConnectError" not in notice(answer)
        assert screen.chat is not None and screen.chat.stats.requests == 1
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: answer_done(screen, 2))
        assert screen.chat.stats.requests == 2
        assert "connection refused" in notice(answers(screen)[1])
    saved = messages_of(session_records(isolated_home))
    assert [(m["role"], m["content"]) for m in saved] == [("user", "anyone there?")]


# ----- 4. the prompt is never lost --------------------------------------------------------


async def test_text_typed_while_streaming_stays_in_the_prompt(server: OpenAIServer) -> None:
    server.options.chat_pieces = [f"w{i} " for i in range(40)]
    server.options.chunk_delay = 0.2  # pilot's key presses are slow while the app works
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        prompt = screen.query_one(PromptInput)
        await send(pilot, screen, "first")
        await wait_until(pilot, lambda: screen._answering)
        await pilot.press(*"second")
        await pilot.press("enter")  # refused while answering, but kept
        assert screen._answering
        assert prompt.text == "second"
        server.options.chunk_delay = 0
        await wait_until(pilot, lambda: answer_done(screen))
        assert answers(screen)[0].text.endswith("w39 ")
        assert prompt.text == "second"
        await pilot.press("enter")
        await wait_until(pilot, lambda: answer_done(screen, 2))
        assert [str(u.render()) for u in screen.query(UserMessage)] == ["first", "second"]
        assert prompt.text == ""
        await pilot.press("up")
        assert prompt.text == "second"
        await pilot.press("up")
        assert prompt.text == "first"
        await pilot.press("down", "down")
        assert prompt.text == ""


async def test_ctrl_j_makes_a_multi_line_prompt_sent_as_one_message(
    server: OpenAIServer,
) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await pilot.press(*"line one", "ctrl+j", *"line two")
        assert screen.query_one(PromptInput).text == "line one\nline two"
        await pilot.press("enter")
        await wait_until(pilot, lambda: answer_done(screen))
        assert [str(u.render()) for u in screen.query(UserMessage)] == ["line one\nline two"]
    assert conversation(server.requests[-1]) == [{"role": "user", "content": "line one\nline two"}]


# ----- 5. slash commands ------------------------------------------------------------------


async def test_slash_menu_completes_with_tab(server: OpenAIServer) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        menu = screen.query_one("#slash-menu", OptionList)
        await pilot.press(*"/mo")
        await wait_until(pilot, lambda: menu.display)
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert len(labels) == 1 and labels[0].startswith("/model")
        await pilot.press("tab")
        prompt = screen.query_one(PromptInput)
        assert prompt.text == "/model"
        assert prompt.has_focus
        await wait_until(pilot, lambda: not menu.display)


async def test_slash_menu_arrows_and_enter_run_the_highlighted_command(
    server: OpenAIServer,
) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        menu = screen.query_one("#slash-menu", OptionList)
        prompt = screen.query_one(PromptInput)
        prompt.remember("an earlier prompt")
        await pilot.press("/")
        await wait_until(pilot, lambda: menu.display)
        assert menu.highlighted == 0
        await pilot.press("down", "down")
        assert menu.get_option_at_index(menu.highlighted or 0).id == "clear"
        assert prompt.text == "/", "Up/Down move the menu, not the prompt history"
        await pilot.press("up")
        assert menu.get_option_at_index(menu.highlighted or 0).id == "model"
        await pilot.press("up", "up")  # wraps around to the last command
        assert menu.get_option_at_index(menu.highlighted or 0).id == "quit"
        await pilot.press("up")  # back to /help, then Enter on the lone "/"
        assert menu.get_option_at_index(menu.highlighted or 0).id == "help"
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(notes(screen)))
        assert "Commands:" in notes(screen)[-1]
        assert prompt.text == ""
        assert not menu.display
        await pilot.press("up")
        assert prompt.text == "an earlier prompt", "with the menu closed, Up recalls history"


async def test_clear_starts_a_new_session_and_resume_opens_the_old_one(
    server: OpenAIServer, isolated_home: Path
) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "first conversation")
        await wait_until(pilot, lambda: answer_done(screen))
        first_id = screen.session.id
        await send(pilot, screen, "/clear")
        await wait_until(pilot, lambda: not screen.query(UserMessage))
        assert not answers(screen)
        assert screen.session.id != first_id
        assert screen.query_one(PromptInput).text == ""
        await send(pilot, screen, "second conversation")
        await wait_until(pilot, lambda: answer_done(screen))
        assert len(list((isolated_home / "sessions").glob("*.jsonl"))) == 2
        second_id = screen.session.id

        await send(pilot, screen, "/resume")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ChatScreen))
        picker = pilot.app.screen
        choices = picker.query_one(OptionList)
        labels = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert len(labels) == 1 and "first conversation" in labels[0]
        assert "(2 messages, test-model)" in labels[0]
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await wait_until(pilot, lambda: screen.session.id == first_id)
        await wait_until(
            pilot,
            lambda: [str(u.render()) for u in screen.query(UserMessage)] == ["first conversation"],
        )
        assert [a.text for a in answers(screen)] == ["Hello, world!"]
        await send(pilot, screen, "more")
        await wait_until(pilot, lambda: answer_done(screen, 2))
    assert second_id != first_id
    body = conversation(server.requests[-1])
    assert [m["content"] for m in body] == ["first conversation", "Hello, world!", "more"]


async def test_stats_and_help_add_notes(server: OpenAIServer) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "hi")
        await wait_until(pilot, lambda: answer_done(screen))
        await send(pilot, screen, "/stats")
        await wait_until(pilot, lambda: len(notes(screen)) == 1)
        assert "1 requests (0 failed)" in notes(screen)[0]
        assert "4 tokens out" in notes(screen)[0]
        await send(pilot, screen, "/help")
        await wait_until(pilot, lambda: len(notes(screen)) == 2)
        assert "/model" in notes(screen)[1] and "Ctrl+R" in notes(screen)[1]


async def test_model_picker_changes_the_model_of_the_next_request(
    server: OpenAIServer, isolated_home: Path
) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "/model")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ChatScreen))
        choices = pilot.app.screen.query_one(OptionList)
        ids = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        assert ids == ["test-model", "test-model-mini"]
        assert choices.highlighted == 0  # the model in use
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await wait_until(pilot, lambda: "test-model-mini" in status(screen))
        await send(pilot, screen, "hi")
        await wait_until(pilot, lambda: answer_done(screen))
        assert answers(screen)[0].border_title == "test-model-mini"
    assert server.requests[-1].json()["model"] == "test-model-mini"
    settings = json.loads((isolated_home / "settings.json").read_text())
    assert settings["model"]["name"] == "test-model-mini"
    records = session_records(isolated_home)
    assert records[0]["model"] == "test-model-mini"


def test_a_lone_slash_names_no_command() -> None:
    assert find_command("/") is None
    assert find_command("  ") is None
    assert find_command("/model gpt") is not None


async def test_unknown_command_is_reported_and_kept(server: OpenAIServer) -> None:
    app = chat_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "/frobnicate now")
        await wait_until(pilot, lambda: bool(app._notifications))
        messages = [n.message for n in app._notifications]
        assert any("Unknown command /frobnicate" in m for m in messages)
        assert screen.query_one(PromptInput).text == "/frobnicate now"
        assert not screen.query(UserMessage)
    assert chat_requests(server) == 0


# ----- 6. --continue ----------------------------------------------------------------------


async def test_continue_opens_the_latest_session(server: OpenAIServer, isolated_home: Path) -> None:
    async with chat_app().run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "remember me")
        await wait_until(pilot, lambda: answer_done(screen))
        saved_id = screen.session.id

    app = chat_app()
    app.services.resume = "latest"
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        assert screen.session.id == saved_id
        assert [str(u.render()) for u in screen.query(UserMessage)] == ["remember me"]
        assert [a.text for a in answers(screen)] == ["Hello, world!"]
        await pilot.press("up")
        assert screen.query_one(PromptInput).text == "remember me"
        await send(pilot, screen, "and now?")
        await wait_until(pilot, lambda: answer_done(screen, 2))
    assert [m["content"] for m in conversation(server.requests[-1])] == [
        "remember me",
        "Hello, world!",
        "and now?",
    ]
    saved = messages_of(session_records(isolated_home))
    assert [m["content"] for m in saved] == [
        "remember me",
        "Hello, world!",
        "and now?",
        "Hello, world!",
    ]


async def test_clear_while_streaming_keeps_the_partial_answer_in_its_own_session(
    server: OpenAIServer, isolated_home: Path
) -> None:
    server.options.chat_pieces = [f"w{i} " for i in range(40)]
    server.options.chunk_delay = 0.1
    app = chat_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "old topic")
        await wait_until(pilot, lambda: bool(answers(screen)) and "w1" in answers(screen)[0].text)
        old = screen.session
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not screen._answering and screen.session is not old)
        await wait_until(pilot, lambda: not screen.query(UserMessage) and not answers(screen))
        assert screen.session.messages == []
        assert [m.role for m in old.messages] == ["user", "assistant"]
        assert old.messages[-1].partial
        assert not [n for n in app._notifications if "went wrong" in n.message]
        server.options.chunk_delay = 0
        await send(pilot, screen, "new topic")
        await wait_until(pilot, lambda: answer_done(screen))
    assert conversation(server.requests[-1]) == [{"role": "user", "content": "new topic"}]
    files = list((isolated_home / "sessions").glob("*.jsonl"))
    assert len(files) == 2


# ----- a long answer ----------------------------------------------------------------------


async def test_a_20000_token_answer_streams_to_the_end_exactly(
    server: OpenAIServer, isolated_home: Path
) -> None:
    from bench.answers import END_MARK, answer_pieces
    from qwen_tui.ui.widgets.streaming_markdown import StreamingMarkdown

    pieces = answer_pieces(20000)
    server.options.chat_pieces = pieces
    app = chat_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "write a lot")
        await wait_until(pilot, lambda: not screen._answering and len(answers(screen)) == 1)
        answer = answers(screen)[0]
        assert answer.text == "".join(pieces)
        body = answer.query_one(StreamingMarkdown)
        # Finished text is held in a modest number of pieces, not a widget per block.
        assert 0 < body.piece_count < len("".join(pieces).splitlines()) / 5
        transcript = screen.query_one("#transcript")
        await wait_until(pilot, lambda: at_the_end(transcript))
    saved = next((isolated_home / "sessions").glob("*.jsonl")).read_text()
    assert END_MARK in saved


# ----- a long saved conversation ----------------------------------------------------------


async def test_long_resumed_session_opens_at_the_end_and_pages_back_to_the_start(
    server: OpenAIServer, isolated_home: Path
) -> None:
    from bench.transcript import LAST_MARK, write_session
    from qwen_tui.ui.widgets.history import HistoryPlaceholder

    session_id = write_session(isolated_home, 40, answer_tokens=400)
    app = chat_app()
    app.services.resume = session_id
    async with app.run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        transcript = screen.query_one("#transcript")
        await wait_until(pilot, lambda: any(LAST_MARK in a.text for a in answers(screen)))
        # Only the end is built for real; older messages wait as placeholders.
        assert screen.query(HistoryPlaceholder)
        assert len(answers(screen)) < 20
        # At the end and anchored there (it follows the conversation from now on).
        await wait_until(pilot, lambda: at_the_end(transcript) and transcript.is_anchored)
        # PageUp scrolls the transcript while the prompt keeps the focus.
        await pilot.press("pageup")
        assert isinstance(app.focused, PromptInput)
        await wait_until(pilot, lambda: transcript.scroll_y < transcript.max_scroll_y - 1)
        deadline = time.monotonic() + PATIENCE
        while transcript.scroll_y != 0 or screen.query(HistoryPlaceholder):
            assert time.monotonic() < deadline, "PageUp never reached the first message"
            await pilot.press("pageup")
            await pilot.pause(POLL)
        first = screen.query(UserMessage).first()
        assert str(first.render()) == "Question 0: how does step 0 work?"
        assert len(answers(screen)) == 20
        # Sending goes back to the end and follows the new answer.
        await send(pilot, screen, "one more")
        await wait_until(pilot, lambda: answer_done(screen, 21))
        await wait_until(pilot, lambda: at_the_end(transcript))
