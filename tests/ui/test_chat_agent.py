"""The coding agent in the chat screen: a scripted model, a real project on disk."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from qwen_tui.config import load_settings
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.screens.chat import ChatScreen
from qwen_tui.ui.screens.chat_view import SystemNote
from qwen_tui.ui.services import AppServices
from qwen_tui.ui.widgets.approval import ApprovalPrompt
from qwen_tui.ui.widgets.messages import AssistantMessage
from qwen_tui.ui.widgets.prompt_input import PromptInput
from qwen_tui.ui.widgets.tool_call import ToolCallWidget
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.process_state import forget_run_decisions
from tests.support.processes import marked_processes, process_mark
from tests.support.servers.openai_server import Call, OpenAIServer, Turn, openai_server
from tests.support.ui_helpers import closed_local_ports, wait_until
from tests.ui.test_chat_status import write_settings

KEY = "sk-chat-agent-key-2718"
SIZE = (100, 36)
BUGGY = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"
EDIT = {"file_path": "calc.py", "old_string": "a - b", "new_string": "a + b"}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_MODEL", "test-model")
        yield running


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text(BUGGY)
    return root


def agent_app(project: Path, *, mode: str | None = None, resume: str | None = None) -> QwenTuiApp:
    forget_run_decisions()
    services = AppServices(
        load_settings({}),
        flags={},
        local_ports=closed_local_ports(),
        keyring_backend=MemoryKeyring(),
        resume=resume,
        approval_mode=mode,
        workspace=project,
    )
    return QwenTuiApp(services)


def edit_script(final: str = "Fixed.") -> list[Turn]:
    return [
        Turn(["Reading it."], [Call("read_file", {"file_path": "calc.py"})]),
        Turn([], [Call("edit", EDIT, id="call_edit")]),
        Turn([final]),
    ]


async def connected(pilot: Pilot[Any]) -> ChatScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.agent is not None)
    screen.query_one(PromptInput).cursor_blink = False
    return screen


async def send(pilot: Pilot[Any], screen: ChatScreen, text: str) -> None:
    screen.query_one(PromptInput).load_text(text)
    await pilot.press("enter")


def approval(screen: ChatScreen) -> ApprovalPrompt | None:
    prompts = [p for p in screen.query(ApprovalPrompt) if not p.answer.done()]
    return prompts[0] if prompts else None


def tools(screen: ChatScreen) -> list[ToolCallWidget]:
    return list(screen.query(ToolCallWidget))


def status(screen: ChatScreen) -> str:
    return str(screen.query_one("#status-line", Static).render())


def done(screen: ChatScreen) -> bool:
    return not screen._answering


def answered(screen: ChatScreen, prompts: int) -> bool:
    """Whether the answer to the ``prompts``-th prompt is in (one message each)."""
    return done(screen) and len(screen.session.messages) == 2 * prompts


async def test_an_edit_is_written_exactly_after_yes(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    server.options.script = edit_script()
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "fix add")
        await wait_until(pilot, lambda: approval(screen) is not None)
        prompt = approval(screen)
        assert prompt is not None
        await wait_until(pilot, lambda: prompt.has_focus)
        body = str(prompt.query(".approval-body").first(Static).render())
        assert "-    return a - b" in body and "+    return a + b" in body
        assert (project / "calc.py").read_text() == BUGGY  # nothing written before the yes
        await pilot.press("y")
        await wait_until(pilot, lambda: done(screen))
        assert (project / "calc.py").read_text() == FIXED
        await wait_until(pilot, lambda: screen.query_one(PromptInput).has_focus)
        assert [w.state for w in tools(screen)] == ["done", "done"]
        assert tools(screen)[0].title_text == "read_file calc.py"
        assert not screen.query(ApprovalPrompt)
        assert server.tool_results()["call_edit"] == "Changed calc.py (+1 -1 lines)."
        assert list((isolated_home / "history").iterdir())  # the undo checkpoint
        sent = server.requests[-1].json()["messages"][0]
        assert sent["role"] == "system" and str(project) in sent["content"]
        records = [json.loads(line) for line in screen.session.path.read_text().splitlines()]
        roles = [r["role"] for r in records if "role" in r]
        assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"]


async def test_no_with_a_reason_tells_the_model_and_changes_nothing(
    server: OpenAIServer, project: Path
) -> None:
    server.options.script = edit_script("Understood.")
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "fix add")
        await wait_until(pilot, lambda: approval(screen) is not None)
        await pilot.press("n")
        prompt = approval(screen)
        assert prompt is not None
        reason = prompt.query_one(Input)
        await wait_until(pilot, lambda: reason.has_focus)
        await pilot.press(*"keep it")
        await pilot.press("enter")
        await wait_until(pilot, lambda: done(screen))
        assert (project / "calc.py").read_text() == BUGGY
        sent = server.tool_results()["call_edit"]
        assert "The user refused this call." in sent and "keep it" in sent
        assert tools(screen)[-1].state == "refused"
        await wait_until(pilot, lambda: screen.query_one(PromptInput).has_focus)


async def test_plan_mode_changes_nothing_and_asks_nothing(
    server: OpenAIServer, project: Path
) -> None:
    server.options.script = edit_script("I would change it.")
    async with agent_app(project, mode="plan").run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        assert "mode plan" in status(screen)
        await send(pilot, screen, "fix add")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 2)
        assert not screen.query(ApprovalPrompt)
        assert (project / "calc.py").read_text() == BUGGY
        assert "plan mode" in server.tool_results()["call_edit"]
        assert [w.state for w in tools(screen)] == ["done", "refused"]


async def test_shift_tab_cycles_the_mode_and_approval_mode_sets_it(
    server: OpenAIServer, project: Path
) -> None:
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        assert "mode default" in status(screen)
        seen = []
        for _ in range(3):
            await pilot.press("shift+tab")
            warned = screen.query_one("#status-line").has_class("yolo")
            seen.append((screen.mode, status(screen), warned))
        assert [mode for mode, _, _ in seen] == ["auto-edit", "yolo", "plan"]
        assert [warned for _, _, warned in seen] == [False, True, False]
        assert "mode auto-edit" in seen[0][1] and "⚠ yolo" in seen[1][1]
        assert "mode plan" in seen[2][1]
        await send(pilot, screen, "/approval-mode auto-edit")
        await wait_until(pilot, lambda: screen.mode == "auto-edit")
        assert "mode auto-edit" in status(screen)
        await send(pilot, screen, "/approval-mode")
        await wait_until(
            pilot,
            lambda: any("Choices" in str(n.render()) for n in screen.query(SystemNote)),
        )
        await send(pilot, screen, "/approval-mode sideways")
        await wait_until(
            pilot,
            lambda: any("Unknown approval" in str(n.render()) for n in screen.query(SystemNote)),
        )
        assert screen.mode == "auto-edit"


async def test_shift_tab_away_from_the_prompt_still_moves_the_focus(
    server: OpenAIServer, project: Path
) -> None:
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await pilot.press("tab")
        assert not screen.query_one(PromptInput).has_focus
        focused = screen.focused
        await pilot.press("shift+tab")
        assert screen.focused is not focused
        assert screen.mode == "default"


async def test_auto_edit_mode_from_the_command_line_edits_without_asking(
    server: OpenAIServer, project: Path
) -> None:
    server.options.script = edit_script()
    async with agent_app(project, mode="auto-edit").run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "fix add")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 2)
        assert (project / "calc.py").read_text() == FIXED
        assert not screen.query(ApprovalPrompt)
        diff = str(tools(screen)[1].query(".tool-body").first(Static).render())
        assert "+    return a + b" in diff


async def test_resume_shows_the_tool_calls(server: OpenAIServer, project: Path) -> None:
    server.options.script = edit_script()
    async with agent_app(project, mode="yolo").run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "fix add")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 2)
    async with agent_app(project, resume="latest").run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await wait_until(pilot, lambda: len(tools(screen)) == 2)
        titles = [w.title_text for w in tools(screen)]
        assert titles == ["read_file calc.py", "edit calc.py"]
        assert [w.state for w in tools(screen)] == ["done", "done"]
        shown = str(tools(screen)[1].query(".tool-body").first(Static).render())
        assert "-    return a - b" in shown and "+    return a + b" in shown  # the diff again
        read = str(tools(screen)[0].query(".tool-body").first(Static).render())
        assert "def add" in read  # a read shows its output, as it did live


async def test_esc_during_a_long_command_kills_it(server: OpenAIServer, project: Path) -> None:
    mark = process_mark()  # the command's own pids are its sandbox's, not the host's
    command = f"(exec -a {mark} sleep 300) & wait"
    server.options.script = [
        Turn([], [Call("run_shell_command", {"command": command, "description": "wait"})])
    ]
    async with agent_app(project, mode="yolo").run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "wait a while")
        await wait_until(pilot, lambda: bool(marked_processes(mark)))
        assert [w.state for w in tools(screen)] == ["running"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: done(screen))
        await wait_until(pilot, lambda: not marked_processes(mark))
        assert [w.state for w in tools(screen)] == ["stopped"]


async def test_esc_on_the_approval_refuses_and_stops(server: OpenAIServer, project: Path) -> None:
    server.options.script = [
        Turn([], [Call("run_shell_command", {"command": "touch made", "description": "make"})])
    ]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "make a file")
        await wait_until(pilot, lambda: approval(screen) is not None)
        body = str(screen.query(".approval-body").first(Static).render())
        assert "$ touch made" in body and "in ." in body and "make" in body
        await pilot.press("escape")
        await wait_until(pilot, lambda: done(screen))
        assert not (project / "made").exists()
        await wait_until(pilot, lambda: screen.query_one(PromptInput).has_focus)


async def test_a_model_without_tools_is_said_once(server: OpenAIServer, project: Path) -> None:
    server.options.reject_tools = True
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        for count in (1, 2):
            await send(pilot, screen, f"hello {count}")
            await wait_until(pilot, functools.partial(answered, screen, count))
        notes = [str(note.render()) for note in screen.query(SystemNote)]
        assert len([note for note in notes if "does not accept tools" in note]) == 1


async def test_yes_always_covers_the_rest_of_the_session(
    server: OpenAIServer, project: Path
) -> None:
    second = {"file_path": "calc.py", "old_string": "add(a, b)", "new_string": "plus(a, b)"}
    server.options.script = [
        Turn([], [Call("edit", EDIT, id="call_1")]),
        Turn([], [Call("edit", second, id="call_2")]),
        Turn(["Both done."]),
    ]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "fix and rename")
        await wait_until(pilot, lambda: approval(screen) is not None)
        await pilot.press("a")
        await wait_until(pilot, lambda: len(tools(screen)) == 2 and done(screen))
        assert (project / "calc.py").read_text() == "def plus(a, b):\n    return a + b\n"
        assert [w.state for w in tools(screen)] == ["done", "done"]
        assert len(server.tool_results()) == 2


async def test_always_saved_goes_to_settings_and_holds_in_the_next_session(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    again = {"command": "echo saved-rule again"}
    server.options.script = [
        Turn([], [Call("run_shell_command", {"command": "echo saved-rule"}, id="call_1")]),
        Turn(["Said."]),
        Turn([], [Call("run_shell_command", again, id="call_2")]),
        Turn(["Said again."]),
    ]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "say it")
        await wait_until(pilot, lambda: approval(screen) is not None)
        await pilot.press("s")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 1)
        assert tools(screen)[0].state == "done"
        notes = [str(note.render()) for note in screen.query(SystemNote)]
        assert any("Saved in settings: run_shell_command(echo saved-rule)" in n for n in notes)
    saved = json.loads((isolated_home / "settings.json").read_text())
    assert saved["tools"]["allowed"] == ["run_shell_command(echo saved-rule)"]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "say it again")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 1)
        assert not screen.query(ApprovalPrompt)  # the saved rule: no question
        assert "saved-rule again" in server.tool_results()["call_2"]


async def test_a_broken_answer_after_a_call_keeps_the_call_and_says_so(
    server: OpenAIServer, project: Path
) -> None:
    server.options.script = [
        Turn(["Looking."], [Call("read_file", {"file_path": "calc.py"})]),
        Turn(["It subtracts", " instead of", " adding"]),
    ]
    server.options.drop_after = 2  # the second answer breaks off mid-way
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "look")
        await wait_until(pilot, lambda: done(screen) and screen._last_failure is not None)
        answers = list(screen.query(AssistantMessage))
        assert [a.text for a in answers] == ["Looking.", "It subtracts instead of"]
        assert str(answers[-1]._notice.render())
        assert tools(screen)[0].state == "done"
        saved = [m for m in screen.session.messages if m.role == "assistant"]
        assert saved[-1].partial and saved[-1].content == "It subtracts instead of"


def test_the_screen_cycles_the_agent_s_modes_in_order() -> None:
    from qwen_tui.agent.approval import APPROVAL_MODES, next_mode
    from qwen_tui.ui.screens.chat_agent import MODES

    assert MODES == APPROVAL_MODES
    assert [next_mode(mode) for mode in MODES] == [*MODES[1:], MODES[0]]


async def test_the_setting_gives_the_starting_mode_and_the_flag_wins(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    write_settings(isolated_home, '{"tools": {"approvalMode": "auto-edit"}}')
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        assert screen.mode == "auto-edit" and "mode auto-edit" in status(screen)
    async with agent_app(project, mode="plan").run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        assert screen.mode == "plan" and "mode plan" in status(screen)


async def test_tool_output_is_shown_literally(server: OpenAIServer, project: Path) -> None:
    (project / "evil.txt").write_text(
        "[bold red]loud[/] \x1b]52;c;aGk=\x07 [@click=app.quit]x[/]\n"
    )
    server.options.script = [
        Turn([], [Call("read_file", {"file_path": "evil.txt"})]),
        Turn(["Read."]),
    ]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "read it")
        await wait_until(pilot, lambda: done(screen) and len(tools(screen)) == 1)
        body = str(tools(screen)[0].query(".tool-body").first(Static).render())
        assert "[bold red]loud[/]" in body and "[@click=app.quit]" in body
        assert "\x1b" not in body and "\x07" not in body and "␛]52" in body


async def test_shift_tab_leaves_the_mode_alone_while_the_menu_is_open(
    server: OpenAIServer, project: Path
) -> None:
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await pilot.press("/")
        await wait_until(pilot, lambda: screen.query_one(PromptInput).menu_open)
        await pilot.press("shift+tab")
        assert screen.mode == "default"


def notes(screen: ChatScreen) -> list[str]:
    return [str(note.render()) for note in screen.query(SystemNote)]


async def test_undo_puts_the_project_back_and_rewind_lists_and_redoes(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    server.options.script = [
        Turn([], [Call("edit", EDIT, id="call_edit")]),
        Turn([], [Call("write_file", {"file_path": "new.py", "content": "x = 1\n"})]),
        Turn(["Done."]),
    ]
    async with agent_app(project, mode="auto-edit").run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "fix add and add new.py")
        await wait_until(pilot, lambda: answered(screen, 1) or len(screen.session.messages) > 5)
        await wait_until(pilot, lambda: done(screen))
        assert (project / "calc.py").read_text() == FIXED and (project / "new.py").exists()
        await send(pilot, screen, "/undo")
        await wait_until(pilot, lambda: any(n.startswith("Undone:") for n in notes(screen)))
        assert not (project / "new.py").exists()
        assert (project / "calc.py").read_text() == FIXED
        undone = [n for n in notes(screen) if n.startswith("Undone:")][-1]
        assert "deleted new.py" in undone and "write_file new.py" in undone
        await send(pilot, screen, "/undo")
        await wait_until(
            pilot, lambda: len([n for n in notes(screen) if n.startswith("Undone:")]) == 2
        )
        assert (project / "calc.py").read_text() == BUGGY
        await send(pilot, screen, "/rewind")
        await wait_until(pilot, lambda: any(n.startswith("Checkpoints,") for n in notes(screen)))
        listing = [n for n in notes(screen) if n.startswith("Checkpoints,")][-1]
        assert "edit calc.py" in listing and "before undo" in listing
        # The last note names the rewind that undoes the undo.
        last_undo = [n for n in notes(screen) if n.startswith("Undone:")][-1]
        redo_id = last_undo.rsplit("/rewind ", 1)[1].split()[0]
        await send(pilot, screen, f"/rewind {redo_id}")
        await wait_until(pilot, lambda: any(n.startswith("Rewound:") for n in notes(screen)))
        assert (project / "calc.py").read_text() == FIXED


async def test_undo_with_nothing_to_undo_says_so(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "/undo")
        await wait_until(pilot, lambda: any("nothing to undo" in n.lower() for n in notes(screen)))
        assert (project / "calc.py").read_text() == BUGGY


async def test_a_mentioned_file_is_attached_and_an_outside_one_refused(
    server: OpenAIServer, project: Path, tmp_path: Path, isolated_home: Path
) -> None:
    (tmp_path / "secret.txt").write_text("never-sent\n")
    server.options.chat_pieces = ["Seen."]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "explain @calc.py and @../secret.txt")
        await wait_until(pilot, lambda: answered(screen, 1))
        sent = server.requests[-1].json()["messages"][-1]["content"]
        assert "Content of @calc.py:\n" + BUGGY.rstrip() in sent
        assert "never-sent" not in sent
        shown = notes(screen)
        assert "Attached: calc.py." in shown
        assert any("outside the workspace" in n for n in shown)


async def test_memory_lists_the_instruction_files_and_init_asks_for_one(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    server.options.chat_pieces = ["I will look."]
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await send(pilot, screen, "/memory")
        await wait_until(pilot, lambda: any("No instruction files" in n for n in notes(screen)))
        await send(pilot, screen, "/init")
        await wait_until(pilot, lambda: answered(screen, 1))
        asked = server.requests[-1].json()["messages"][-1]["content"]
        assert "write" in asked and "QWEN.md" in asked
        (project / "QWEN.md").write_text("Use tabs.\n")
        await send(pilot, screen, "/memory")
        await wait_until(pilot, lambda: any("Sent with each task" in n for n in notes(screen)))
        listing = [n for n in notes(screen) if "Sent with each task" in n][-1]
        assert "QWEN.md" in listing and "10 characters" in listing
        await send(pilot, screen, "/init")
        await wait_until(pilot, lambda: any("already exists" in n for n in notes(screen)))


async def test_an_empty_chat_says_what_to_do_until_the_first_prompt(
    server: OpenAIServer, project: Path, isolated_home: Path
) -> None:
    async with agent_app(project).run_test(size=SIZE) as pilot:
        screen = await connected(pilot)
        await wait_until(pilot, lambda: bool(screen.query(".hint")))
        hint = str(screen.query_one(".hint", Static).render())
        assert "asks before it edits a file" in hint and "@path" in hint and "/help" in hint
        await send(pilot, screen, "hello")
        await wait_until(pilot, lambda: answered(screen, 1))
        assert not screen.query(".hint")
