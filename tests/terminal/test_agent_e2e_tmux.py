"""The coding agent in the real ``qwen-tui`` command in tmux: an edit approved with ``y``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support.servers.openai_server import Call, Turn, openai_server
from tests.support.waiting import wait_until
from tests.terminal.test_e2e_tmux import KEY, Tmux
from tests.terminal.test_e2e_tmux import launch as launch
from tests.terminal.test_e2e_tmux import tmux_available as tmux_available

BUGGY = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"


def test_an_edit_approved_with_y_in_a_real_terminal(
    launch: Callable[..., Tmux], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "calc.py").write_text(BUGGY)
    edit = {"file_path": "calc.py", "old_string": "a - b", "new_string": "a + b"}
    script = [Turn(["Fixing it."], [Call("edit", edit, id="call_edit")]), Turn(["Done, it adds."])]
    with openai_server(api_key=KEY, script=script) as server:
        tmux = launch(
            "--workspace",
            str(project),
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY=KEY,
            OPENAI_MODEL="test-model",
        )
        tmux.wait_for(lambda s: "test-model" in s and "mode default" in s)
        tmux.type("Make add add.", literal=True)
        tmux.type("Enter")
        screen = tmux.wait_for(lambda s: "Allow this edit?" in s and "+    return a + b" in s)
        assert "-    return a - b" in screen
        assert (project / "calc.py").read_text() == BUGGY
        tmux.type("y")
        tmux.wait_for(lambda s: "Done, it adds." in s)
        assert (project / "calc.py").read_text() == FIXED
        wait_until(lambda: bool(server.tool_results()), "the result never reached the model")
        assert server.tool_results()["call_edit"].startswith("Changed calc.py")


def test_at_path_completion_and_the_context_figure_in_a_real_terminal(
    launch: Callable[..., Tmux], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "calc.py").write_text(BUGGY)
    with openai_server(api_key=KEY, script=[Turn(["It subtracts."])]) as server:
        tmux = launch(
            "--workspace",
            str(project),
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY=KEY,
            OPENAI_MODEL="test-model",
        )
        tmux.wait_for(lambda s: "test-model" in s and "ctx 0%" in s)
        tmux.type("Explain @cal", literal=True)
        tmux.wait_for(lambda s: "│ src/calc.py" in s and "prompt ~" in s)
        tmux.type("Tab")
        tmux.wait_for(lambda s: "Explain @src/calc.py" in s and "│ src/calc.py" not in s)
        tmux.type("Enter")
        tmux.wait_for(lambda s: "It subtracts." in s and "Attached: src/calc.py." in s)
        sent = server.requests[-1].json()["messages"][-1]["content"]
        assert sent.startswith("Explain @src/calc.py") and "return a - b" in sent
