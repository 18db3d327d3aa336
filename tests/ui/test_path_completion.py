"""``@path`` completion in the chat's prompt: the list opens after ``@``, narrows, and
Tab / Enter / Esc / Up / Down do what the list needs, while Enter sends and Up recalls
as before when no list is open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from qwen_tui.tools import path_index
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.widgets.path_menu import PathMenu
from qwen_tui.ui.widgets.prompt_input import PromptInput
from tests.support.servers.openai_server import OpenAIServer
from tests.support.ui_helpers import wait_until
from tests.ui.test_chat_agent import SIZE, agent_app, answered, connected, done, notes
from tests.ui.test_chat_agent import project as project
from tests.ui.test_chat_agent import server as server


@pytest.fixture
def tree(project: Path) -> Path:
    for name in ["src/main.py", "src/maths/add.py", "docs/my notes.md", "dist/bundle.js"]:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x = 1\n")
    (project / ".gitignore").write_text("dist/\n")
    return project


def offered(screen: ChatScreen) -> list[str]:
    menu = screen.query_one(PathMenu)
    if not menu.is_open:
        return []
    return [str(menu.get_option_at_index(i).id) for i in range(menu.option_count)]


def prompt_text(screen: ChatScreen) -> str:
    return screen.query_one(PromptInput).text


async def typed(pilot: Pilot[Any], text: str) -> ChatScreen:
    screen = await connected(pilot)
    await pilot.press(*text)
    return screen


async def test_the_list_opens_narrows_and_tab_takes_the_highlighted_path(
    server: OpenAIServer, tree: Path
) -> None:
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "see @")
        await wait_until(pilot, lambda: "src/" in offered(screen))
        assert not [p for p in offered(screen) if p.startswith("dist")]  # ignored
        await pilot.press(*"mai")
        await wait_until(pilot, lambda: offered(screen)[:1] == ["src/main.py"])
        await pilot.press("tab")
        await wait_until(pilot, lambda: prompt_text(screen) == "see @src/main.py ")
        assert offered(screen) == []
        assert screen.query_one(PromptInput).has_focus


async def test_a_folder_lists_its_contents_and_enter_takes_a_path_without_sending(
    server: OpenAIServer, tree: Path
) -> None:
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "@sr")
        await wait_until(pilot, lambda: offered(screen)[:1] == ["src/"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: prompt_text(screen) == "@src/")
        await wait_until(pilot, lambda: offered(screen)[:2] == ["src/maths/", "src/main.py"])
        await pilot.press("down")
        await pilot.press("enter")
        await wait_until(pilot, lambda: prompt_text(screen) == "@src/main.py ")
        assert screen.session.messages == []  # nothing was sent


async def test_a_space_in_a_path_is_escaped(server: OpenAIServer, tree: Path) -> None:
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "@notes")
        await wait_until(pilot, lambda: offered(screen)[:1] == ["docs/my notes.md"])
        await pilot.press("tab")
        await wait_until(pilot, lambda: prompt_text(screen) == "@docs/my\\ notes.md ")


async def test_esc_closes_the_list_and_enter_then_sends(server: OpenAIServer, tree: Path) -> None:
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "read @src/main.py")
        await pilot.press("escape")
        await wait_until(pilot, lambda: offered(screen) == [])
        assert prompt_text(screen) == "read @src/main.py"
        await pilot.press("enter")
        await wait_until(pilot, lambda: answered(screen, 1))
        assert screen.session.messages[0].content.startswith("read @src/main.py")
        assert "Content of @src/main.py" in screen.session.messages[0].content
        await pilot.press("up")  # no list open: Up recalls the prompt
        await wait_until(pilot, lambda: prompt_text(screen) == "read @src/main.py")
        assert done(screen)


async def test_esc_keeps_the_list_closed_until_the_mention_changes(
    server: OpenAIServer, tree: Path
) -> None:
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "@ma")
        await wait_until(pilot, lambda: offered(screen) != [])
        await pilot.press("escape")
        await wait_until(pilot, lambda: offered(screen) == [])
        await pilot.press("i")
        await wait_until(pilot, lambda: offered(screen)[:1] == ["src/main.py"])


async def test_no_list_for_an_at_inside_a_word_or_a_command(
    server: OpenAIServer, tree: Path
) -> None:
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "mail me@src")
        await pilot.pause()
        assert offered(screen) == []
        screen.query_one(PromptInput).load_text("/resume @")
        await pilot.pause()
        assert offered(screen) == []


def test_snapshot_of_the_open_list(snap_compare: Any, server: OpenAIServer, tree: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await typed(pilot, "explain @ma")
        await wait_until(pilot, lambda: offered(screen)[:1] == ["src/maths/"])
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(agent_app(tree), terminal_size=SIZE, run_before=run_before)


async def test_a_click_takes_a_path(server: OpenAIServer, tree: Path) -> None:
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "@mai")
        await wait_until(pilot, lambda: offered(screen)[:1] == ["src/main.py"])
        await pilot.click("#path-menu", offset=(3, 1))
        await wait_until(pilot, lambda: prompt_text(screen) == "@src/main.py ")
        assert screen.query_one(PromptInput).has_focus


async def test_a_tree_over_the_cap_says_so_once(
    server: OpenAIServer, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(path_index, "MAX_PATHS", 2)
    async with agent_app(tree).run_test(size=SIZE) as pilot:
        screen = await typed(pilot, "@")
        await wait_until(pilot, lambda: offered(screen) != [])
        assert sum("more than 2 files" in n for n in notes(screen)) == 1
