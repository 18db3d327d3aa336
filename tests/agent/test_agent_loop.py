"""The tool loop against the scripted model server, with real files and commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qwen_tui.agent.approval import ApprovalMode, ApprovalPolicy
from qwen_tui.agent.events import (
    AgentEvent,
    AgentStopped,
    ApprovalAnswer,
    ApprovalRequest,
    MessageAdded,
    ToolFinished,
    ToolStarted,
    ToolsUnavailable,
)
from qwen_tui.agent.loop import NO_ONE_TO_ASK, Agent, Asker
from qwen_tui.chat.events import TextDelta
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.tools import Toolbox, Workspace
from tests.chat.test_chat_service import KEY, service_for
from tests.support.servers.openai_server import Call, OpenAIServer, Turn, openai_server

BUGGY = "def add(a, b):\n    return a - b\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text(BUGGY)
    return root


def fix_script() -> list[Turn]:
    return [
        Turn(["I will read the file."], [Call("read_file", {"file_path": "calc.py"})]),
        Turn(
            [],
            [
                Call(
                    "edit",
                    {"file_path": "calc.py", "old_string": "a - b", "new_string": "a + b"},
                    id="call_edit",
                )
            ],
        ),
        Turn(["Fixed: add now adds."]),
    ]


async def run(
    server: OpenAIServer,
    root: Path,
    mode: ApprovalMode = "default",
    *,
    ask: Asker | None = None,
    max_turns: int = 50,
) -> tuple[Agent, list[AgentEvent], list[ChatMessage]]:
    agent = Agent(
        service_for(server.base_url),
        Toolbox(Workspace.at(root)),
        ApprovalPolicy(mode),
        ask=ask,
        max_turns=max_turns,
    )
    history = [ChatMessage("user", "fix add")]
    events = [event async for event in agent.run(history)]
    await agent.chat.aclose()
    return agent, events, history


async def test_the_model_reads_then_edits_with_approval_and_answers(project: Path) -> None:
    asked: list[ApprovalRequest] = []

    async def ask(request: ApprovalRequest) -> ApprovalAnswer:
        asked.append(request)
        assert (project / "calc.py").read_text() == BUGGY  # nothing written before yes
        return ApprovalAnswer("once")

    with openai_server(api_key=KEY, script=fix_script()) as server:
        _, events, history = await run(server, project, ask=ask)
        read_result = server.tool_results(1)
        edit_result = server.tool_results(2)
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert list(read_result.values()) == [BUGGY]
    assert edit_result["call_edit"] == "Changed calc.py (+1 -1 lines)."
    [request] = asked
    assert request.change is not None and "+    return a + b" in request.change.diff()
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [(f.title, f.decision, f.ok) for f in finished] == [
        ("read_file calc.py", "auto", True),
        ("edit calc.py", "approved", True),
    ]
    assert finished[1].diff is not None and "-    return a - b" in finished[1].diff
    assert events[-1] == AgentStopped("done", 3)
    assert [m.role for m in history] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    assert history[-1].content == "Fixed: add now adds."
    added = [e.message for e in events if isinstance(e, MessageAdded)]
    assert added == history[1:]


async def test_plan_mode_changes_nothing_and_tells_the_model_why(project: Path) -> None:
    with openai_server(api_key=KEY, script=fix_script()) as server:
        _, events, _ = await run(server, project, "plan")
        edit_result = server.tool_results(2)["call_edit"]
    assert (project / "calc.py").read_text() == BUGGY
    assert "plan mode" in edit_result
    refused = [e for e in events if isinstance(e, ToolFinished) and e.decision == "refused"]
    assert [e.title for e in refused] == ["edit calc.py"]


async def test_a_no_with_a_reason_goes_back_to_the_model(project: Path) -> None:
    async def ask(request: ApprovalRequest) -> ApprovalAnswer:
        return ApprovalAnswer("no", "use operator.add instead")

    with openai_server(api_key=KEY, script=fix_script()) as server:
        await run(server, project, ask=ask)
        result = server.tool_results(2)["call_edit"]
    assert (project / "calc.py").read_text() == BUGGY
    assert result == "The user refused this call. The user said: use operator.add instead"


async def test_without_anyone_to_ask_a_change_is_refused_and_flagged(project: Path) -> None:
    with openai_server(api_key=KEY, script=fix_script()) as server:
        agent, _, _ = await run(server, project, "default", ask=None)
        result = server.tool_results(2)["call_edit"]
    assert result == NO_ONE_TO_ASK
    assert agent.refused_without_asking
    assert (project / "calc.py").read_text() == BUGGY


async def test_auto_edit_runs_edits_but_asks_for_commands(project: Path) -> None:
    script = fix_script()
    script.insert(2, Turn([], [Call("run_shell_command", {"command": "touch ran.txt"}, id="sh")]))
    with openai_server(api_key=KEY, script=script) as server:
        await run(server, project, "auto-edit", ask=None)
        shell_result = server.tool_results(3)["sh"]
    assert (project / "calc.py").read_text().endswith("a + b\n")
    assert not (project / "ran.txt").exists()
    assert shell_result == NO_ONE_TO_ASK


async def test_yes_always_covers_the_same_command_prefix_for_the_session(project: Path) -> None:
    script = [
        Turn([], [Call("run_shell_command", {"command": "mkdir -p one"}, id="a")]),
        Turn([], [Call("run_shell_command", {"command": "mkdir -p two"}, id="b")]),
        Turn([], [Call("run_shell_command", {"command": "touch three"}, id="c")]),
        Turn(["done"]),
    ]
    asked: list[str | None] = []

    async def ask(request: ApprovalRequest) -> ApprovalAnswer:
        asked.append(request.command)
        return ApprovalAnswer("always" if len(asked) == 1 else "no")

    with openai_server(api_key=KEY, script=script) as server:
        await run(server, project, ask=ask)
    assert asked == ["mkdir -p one", "touch three"]
    assert (project / "two").is_dir()
    assert not (project / "three").exists()


async def test_bad_calls_get_errors_and_the_loop_goes_on(project: Path) -> None:
    script = [
        Turn(
            [],
            [
                Call("read_file", "{broken json", id="bad"),
                Call("delete_all", {}, id="unknown"),
                Call("read_file", {"file_path": "../../etc/passwd"}, id="escape"),
                Call(
                    "edit",
                    {"file_path": "calc.py", "old_string": "zzz", "new_string": "y"},
                    id="miss",
                ),
            ],
        ),
        Turn(["Sorry."]),
    ]
    with openai_server(api_key=KEY, script=script) as server:
        _, events, _ = await run(server, project, "yolo")
        results = server.tool_results(1)
    assert results["bad"].startswith("Error: The arguments of read_file are not valid JSON")
    assert "no tool named 'delete_all'" in results["unknown"]
    assert "outside the workspace" in results["escape"]
    assert "not found" in results["miss"] and "Nothing was changed" in results["miss"]
    assert (project / "calc.py").read_text() == BUGGY
    assert events[-1] == AgentStopped("done", 2)


async def test_a_tool_that_fails_unexpectedly_ends_its_call_not_the_turn(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Toolbox, name: str, arguments: dict[str, object]) -> str:
        raise RuntimeError("a fault inside the tool")

    monkeypatch.setattr(Toolbox, "run_read", broken)
    script = [Turn([], [Call("glob", {"pattern": "*.py"}, id="faulty")]), Turn(["Noted."])]
    with openai_server(api_key=KEY, script=script) as server:
        _, events, history = await run(server, project, "yolo")
        results = server.tool_results(1)
    assert results["faulty"] == "Error: the tool failed unexpectedly (RuntimeError)."
    assert events[-1] == AgentStopped("done", 2)
    assert history[-1].content == "Noted."


async def test_the_turn_limit_stops_a_model_that_never_stops(project: Path) -> None:
    script = [Turn([], [Call("glob", {"pattern": "*.py"})]) for _ in range(5)]
    with openai_server(api_key=KEY, script=script) as server:
        _, events, history = await run(server, project, max_turns=3)
        requests = len([r for r in server.requests if r.path.endswith("/chat/completions")])
    assert requests == 3
    assert events[-1] == AgentStopped("turn_limit", 3)
    assert history[-1].role == "tool"


async def test_a_model_without_tools_is_said_once_and_answers_as_a_chat(project: Path) -> None:
    with openai_server(api_key=KEY, reject_tools=True, chat_pieces=["Just text."]) as server:
        agent, events, _ = await run(server, project)
        bodies = [r.json() for r in server.requests if r.path.endswith("/chat/completions")]
    assert [e for e in events if isinstance(e, ToolsUnavailable)] != []
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Just text."
    assert "tools" in bodies[0] and "tools" not in bodies[1]
    assert not agent.tools_supported
    assert events[-1] == AgentStopped("done", 1)


async def test_a_long_tool_result_is_cut_before_it_is_sent(project: Path) -> None:
    (project / "big.txt").write_text("".join(f"{'x' * 1500}\n" for _ in range(100)))
    script = [Turn([], [Call("read_file", {"file_path": "big.txt"}, id="r")]), Turn(["ok"])]
    with openai_server(api_key=KEY, script=script) as server:
        await run(server, project)
        sent = server.tool_results(1)["r"]
    assert len(sent) < 61_000 and "characters cut before sending" in sent
    assert json.dumps(sent)  # still plain text


async def test_a_call_is_announced_before_it_runs_and_refusals_are_not(project: Path) -> None:
    script = [
        Turn([], [Call("run_shell_command", {"command": "touch ran.txt"}, id="sh")]),
        Turn([], [Call("edit", {"file_path": "calc.py", "old_string": "a", "new_string": "b"})]),
        Turn(["done"]),
    ]
    seen: list[tuple[str, bool]] = []
    with openai_server(api_key=KEY, script=script) as server:
        agent = Agent(
            service_for(server.base_url),
            Toolbox(Workspace.at(project)),
            ApprovalPolicy.from_settings("yolo", [], ["edit"]),
        )
        async for event in agent.run([ChatMessage("user", "go")]):
            if isinstance(event, ToolStarted | ToolFinished):
                seen.append((type(event).__name__, exists(project / "ran.txt")))
        await agent.chat.aclose()
    assert seen == [("ToolStarted", False), ("ToolFinished", True), ("ToolFinished", True)]


def exists(path: Path) -> bool:
    return path.exists()
