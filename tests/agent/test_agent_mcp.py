"""An MCP server's tools in the agent loop: offered as ``server__tool``, asked like a
command unless read-only, refused in plan mode, a checkpoint before each change, and
counted in telemetry as ``mcp`` only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from qwen_tui.agent.approval import ApprovalMode, ApprovalPolicy
from qwen_tui.agent.events import ApprovalAnswer, ApprovalRequest, ToolFinished
from qwen_tui.agent.loop import Agent
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.config.model import McpServerSettings
from qwen_tui.mcp_servers import McpServers
from qwen_tui.mcp_servers.trust import remember_trust
from qwen_tui.tools import Toolbox, Workspace
from tests.chat.test_chat_service import KEY, service_for
from tests.support.servers.mcp_servers import DEMO, stdio_entry, write_script
from tests.support.servers.openai_server import Call, Turn, openai_server


def script() -> list[Turn]:
    return [
        Turn([], [Call("demo__echo", {"text": "hi"}, id="call_echo")]),
        Turn([], [Call("demo__write_note", {"name": "n.txt", "text": "x"}, id="call_note")]),
        Turn(["Done."]),
    ]


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[McpServers]:
    script = write_script(tmp_path, "server.py", DEMO)
    settings = McpServerSettings.model_validate(stdio_entry(script))
    home = tmp_path / "home"
    remember_trust(home, "demo", settings)
    project = tmp_path / "project"
    project.mkdir()
    started = McpServers.from_settings({"demo": settings}, home, project, lambda _: None)
    await started.start_trusted()
    yield started
    await started.aclose()


async def run(
    servers: McpServers, mode: ApprovalMode, asked: list[ApprovalRequest] | None
) -> tuple[list[ToolFinished], list[str], list[tuple[str, str]], dict[str, str], list[str]]:
    checkpoints: list[str] = []
    counted: list[tuple[str, str]] = []

    async def ask(request: ApprovalRequest) -> ApprovalAnswer:
        assert asked is not None
        asked.append(request)
        return ApprovalAnswer("once")

    async def before_change(title: str) -> None:
        checkpoints.append(title)

    with openai_server(api_key=KEY, script=script()) as server:
        service = service_for(server.base_url)

        def record_tool(tool: str, decision: str, seconds: float, success: bool) -> None:
            counted.append((tool, decision))

        service.record_tool = record_tool  # type: ignore[method-assign]
        agent = Agent(
            service,
            Toolbox(Workspace.at(servers.workspace)),
            ApprovalPolicy(mode),
            ask=ask if asked is not None else None,
            before_change=before_change,
            mcp=servers,
        )
        events = [e async for e in agent.run([ChatMessage("user", "go")])]
        await service.aclose()
        first = next(r for r in server.requests if r.path.endswith("/chat/completions"))
        offered = [t["function"]["name"] for t in first.json()["tools"]]
        results = {**server.tool_results(1), **server.tool_results(2)}
    finished = [e for e in events if isinstance(e, ToolFinished)]
    return finished, checkpoints, counted, results, offered


async def test_a_changing_mcp_tool_is_asked_checkpointed_and_counted_as_mcp(
    servers: McpServers,
) -> None:
    asked: list[ApprovalRequest] = []
    finished, checkpoints, counted, results, offered = await run(servers, "default", asked)
    assert {"demo__echo", "demo__write_note", "read_file"} <= set(offered)
    assert results == {"call_echo": "echo: hi", "call_note": "wrote n.txt"}
    assert (servers.workspace / "n.txt").read_text() == "x"
    [request] = asked  # the read-only echo ran without asking
    assert (request.call.name, request.server) == ("demo__write_note", "demo")
    assert request.arguments == '{"name": "n.txt", "text": "x"}'
    assert checkpoints == ["demo__write_note"]
    assert [(f.call.name, f.decision, f.ok) for f in finished] == [
        ("demo__echo", "auto", True),
        ("demo__write_note", "approved", True),
    ]
    assert counted == [("mcp", "auto"), ("mcp", "approved")]


async def test_plan_mode_refuses_a_changing_mcp_tool_and_runs_a_read_only_one(
    servers: McpServers,
) -> None:
    finished, checkpoints, _, results, _ = await run(servers, "plan", None)
    assert results["call_echo"] == "echo: hi"
    assert "plan mode" in results["call_note"]
    assert not (servers.workspace / "n.txt").exists()
    assert checkpoints == []
    assert [f.decision for f in finished] == ["auto", "refused"]


async def test_auto_edit_still_asks_and_yolo_does_not(servers: McpServers) -> None:
    asked: list[ApprovalRequest] = []
    await run(servers, "auto-edit", asked)
    assert [r.call.name for r in asked] == ["demo__write_note"]
    (servers.workspace / "n.txt").unlink()
    finished, checkpoints, _, _, _ = await run(servers, "yolo", None)
    assert [f.decision for f in finished] == ["auto", "auto"]
    assert checkpoints == ["demo__write_note"]
    assert (servers.workspace / "n.txt").exists()


def test_rules_can_name_an_mcp_tool() -> None:
    policy = ApprovalPolicy.from_settings("default", ["demo__write_note"], ["demo__crash"])
    assert policy.decide("demo__write_note", kind="execute") == "run"
    assert policy.decide("demo__crash", kind="read") == "refuse"
    assert policy.decide("demo__other", kind="execute") == "ask"
    assert policy.decide("demo__other") == "refuse"  # unknown without its kind
