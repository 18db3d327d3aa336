"""The coding agent's own cost: one tool round trip, and search over a big tree.

A round trip (the model asks for ``read_file``, the result goes back, the model
answers) is timed through :class:`qwen_tui.agent.loop.Agent` against the server's own
time for the same two requests, read by a bare HTTP client that parses nothing.
``grep_search`` and ``glob`` over a generated 10,000-file tree are timed against
``grep -rn`` and ``find`` on the same tree.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import httpx

from qwen_tui.agent.approval import ApprovalPolicy
from qwen_tui.agent.loop import Agent
from qwen_tui.chat.messages import ChatMessage
from qwen_tui.chat.service import ChatService
from qwen_tui.providers import ProviderRegistry
from qwen_tui.providers.registry import ActiveProvider
from qwen_tui.tools import Toolbox, Workspace
from qwen_tui.tools.search import glob, grep_search
from tests.support.servers.openai_server import Call, OpenAIServer, Turn, openai_server

KEY = "sk-bench"
FILES = 10_000


def _script() -> list[Turn]:
    return [
        Turn(["Reading."], [Call("read_file", {"file_path": "module.py"})]),
        Turn(["It defines one function."]),
    ]


async def _agent_round_trip(server: OpenAIServer, root: Path) -> float:
    registry = ProviderRegistry()
    active = ActiveProvider(registry.get("custom"), server.base_url, "test-model", KEY)
    service = ChatService(active, timeout=30, list_models=lambda: registry.list_models("", KEY))
    agent = Agent(service, Toolbox(Workspace.at(root)), ApprovalPolicy("default"))
    server.options.script = _script()
    started = time.perf_counter()
    async for _ in agent.run([ChatMessage("user", "what is in module.py?")]):
        pass
    elapsed = time.perf_counter() - started
    await service.aclose()
    return elapsed


def _bare_round_trip(server: OpenAIServer) -> float:
    """The same two streamed requests, read to the end and not parsed."""
    server.options.script = _script()
    body = {"model": "test-model", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    headers = {"Authorization": f"Bearer {KEY}"}
    started = time.perf_counter()
    with httpx.Client(trust_env=False) as client:
        for _ in range(2):
            with client.stream(
                "POST", f"{server.base_url}/chat/completions", json=body, headers=headers
            ) as response:
                for _chunk in response.iter_raw():
                    pass
    return time.perf_counter() - started


def bench_round_trip(runs: int, work: Path) -> tuple[list[float], list[float]]:
    """Seconds for one tool round trip through the agent, and for the bare requests."""
    root = work / "round-trip"
    root.mkdir(exist_ok=True)
    (root / "module.py").write_text("def f():\n    return 1\n" * 50)
    agent_times, bare_times = [], []
    with openai_server(api_key=KEY) as server:
        for _ in range(runs):
            bare_times.append(_bare_round_trip(server))
            agent_times.append(asyncio.run(_agent_round_trip(server, root)))
    return agent_times, bare_times


def make_tree(root: Path, files: int = FILES) -> None:
    """``files`` small Python files in 100 folders, a few holding ``needle``."""
    for i in range(files):
        folder = root / f"pkg{i % 100:02}"
        folder.mkdir(parents=True, exist_ok=True)
        extra = "needle = True\n" if i % 997 == 0 else ""
        (folder / f"mod{i}.py").write_text(f"value = {i}\n{extra}" + "# filler\n" * 20)
    (root / ".gitignore").write_text("*.log\n")


def _timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def bench_search(runs: int, work: Path) -> list[tuple[str, list[float], list[float], str]]:
    """(label, tool seconds, baseline seconds, baseline name) for grep and glob."""
    root = work / "tree"
    if not root.exists():
        make_tree(root)
    workspace = Workspace.at(root)
    rows = []
    grep_times = [_timed(lambda: grep_search(workspace, "needle", limit=1000)) for _ in range(runs)]
    grep_base = [
        _timed(
            lambda: subprocess.run(["grep", "-rn", "needle", "."], cwd=root, capture_output=True)
        )
        for _ in range(runs)
    ]
    rows.append((f"grep_search on {FILES:,} files", grep_times, grep_base, "grep -rn"))
    glob_times = [_timed(lambda: glob(Workspace.at(root), "**/*.py")) for _ in range(runs)]
    glob_base = [
        _timed(
            lambda: subprocess.run(["find", ".", "-name", "*.py"], cwd=root, capture_output=True)
        )
        for _ in range(runs)
    ]
    rows.append((f"glob **/*.py on {FILES:,} files", glob_times, glob_base, "find"))
    return rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        agent, bare = bench_round_trip(5, work)
        print(json.dumps({"round_trip": agent, "bare": bare}))
        for label, tool, base, name in bench_search(3, work):
            print(label, min(tool), name, min(base))
