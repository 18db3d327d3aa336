"""``qwen-tui -p`` as a coding agent: the real command, a scripted model, a real project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.headless.test_cli_prompt import environment
from tests.support.sandbox import PYTHON
from tests.support.servers.openai_server import Call, OpenAIServer, Turn, openai_server

BUGGY = "def add(a, b):\n    return a - b\n"
TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "calc.py").write_text(BUGGY)
    (root / "test_calc.py").write_text(TEST)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def fix_script() -> list[Turn]:
    return [
        Turn(["Running the tests first."], [Call("run_shell_command", {"command": CHECK})]),
        Turn([], [Call("read_file", {"file_path": "calc.py"})]),
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
        Turn([], [Call("run_shell_command", {"command": CHECK}, id="call_check")]),
        Turn(["The test passes now."]),
    ]


CHECK = f"{PYTHON} -c 'import calc; assert calc.add(2, 3) == 5; print(\"PASS\")'"


def qwen(project: Path, server: OpenAIServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", "-p", "fix the failing test", *args],
        cwd=project,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=environment(server.base_url),
        timeout=120,
    )


def test_yolo_fixes_the_failing_test_and_says_each_step(project: Path) -> None:
    with openai_server(script=fix_script()) as server:
        result = qwen(project, server, "--approval-mode", "yolo")
        check = server.tool_results(-1)["call_check"]
    assert result.returncode == 0, result.stderr
    assert (project / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert result.stdout == "Running the tests first.\n\nThe test passes now.\n"
    assert "Exit code: 0" in check and "PASS" in check
    lines = [line for line in result.stderr.splitlines() if line.startswith("●")]
    assert [line.split(" (")[0] for line in lines] == [
        f"● run_shell_command {CHECK}",
        "● read_file calc.py",
        "● edit calc.py",
        f"● run_shell_command {CHECK}",
    ]
    assert "failed" in lines[0] and "done" in lines[2]
    assert "+    return a + b" in result.stderr  # the diff of the change


def test_auto_edit_edits_but_refuses_commands_without_a_terminal(project: Path) -> None:
    with openai_server(script=fix_script()) as server:
        result = qwen(project, server, "--approval-mode", "auto-edit")
    assert result.returncode == 4, result.stderr
    assert (project / "calc.py").read_text().endswith("a + b\n")
    assert "--approval-mode auto-edit or yolo" in result.stderr


def test_without_a_mode_and_a_terminal_it_is_plan_and_changes_nothing(project: Path) -> None:
    with openai_server(script=fix_script()) as server:
        result = qwen(project, server, "--output-format", "json")
        edit_result = server.tool_results(3)["call_edit"]
    assert (project / "calc.py").read_text() == BUGGY
    assert "plan mode" in edit_result
    document = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert document["exit_reason"] == "done" and document["turns"] == 5
    calls = document["tool_calls"]
    assert [(c["name"], c["decision"]) for c in calls] == [
        ("run_shell_command", "refused"),
        ("read_file", "auto"),
        ("edit", "refused"),
        ("run_shell_command", "refused"),
    ]
    assert calls[1]["output"] == BUGGY
    assert calls[2]["arguments"]["old_string"] == "a - b"


def test_stream_json_writes_one_event_a_line(project: Path) -> None:
    with openai_server(script=fix_script()) as server:
        result = qwen(project, server, "--output-format", "stream-json", "--approval-mode", "yolo")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [event["type"] for event in events]
    assert kinds[0] == "text" and kinds[-1] == "result"
    assert kinds.count("tool_call") == 4 and kinds.count("tool_result") == 4
    assert kinds.index("tool_call") < kinds.index("tool_result")
    edit = next(e for e in events if e["type"] == "tool_result" and e["name"] == "edit")
    assert edit["decision"] == "auto" and edit["ok"] and "+    return a + b" in edit["diff"]
    assert events[-1]["exit_reason"] == "done"


def test_the_turn_limit_exits_3(project: Path) -> None:
    script = [Turn([], [Call("glob", {"pattern": "*.py"})]) for _ in range(4)]
    with openai_server(script=script) as server:
        result = qwen(project, server, "--max-turns", "2")
    assert result.returncode == 3
    assert "turn limit" in result.stderr


def test_no_write_outside_the_workspace_even_in_yolo(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    script = [
        Turn([], [Call("write_file", {"file_path": str(outside), "content": "x"}, id="w")]),
        Turn(
            [],
            [
                Call(
                    "edit",
                    {"file_path": "../outside.txt", "old_string": "keep", "new_string": "x"},
                    id="e",
                )
            ],
        ),
        Turn(["I could not."]),
    ]
    with openai_server(script=script) as server:
        result = qwen(project, server, "--approval-mode", "yolo")
        first, second = server.tool_results(1)["w"], server.tool_results(2)["e"]
    assert result.returncode == 0
    assert outside.read_text() == "keep\n"
    assert "outside the workspace" in first and "outside the workspace" in second


def test_bad_flags_are_usage_errors(project: Path) -> None:
    with openai_server() as server:
        assert qwen(project, server, "--max-turns", "0").returncode == 2
        assert qwen(project, server, "--approval-mode", "sometimes").returncode == 2
        missing = qwen(project, server, "--workspace", str(project / "nope"))
    assert missing.returncode == 2 and "not a folder" in missing.stderr


def test_a_mentioned_file_is_sent_with_the_prompt(project: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("do-not-send\n")
    with openai_server(chat_pieces=["Seen."]) as server:
        result = subprocess.run(
            [sys.executable, "-m", "qwen_tui", "-p", "Explain @calc.py and @../secret.txt"],
            cwd=project,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            env=environment(server.base_url),
            timeout=120,
        )
        sent = server.requests[-1].json()["messages"][-1]["content"]
    assert result.returncode == 0, result.stderr
    assert "Content of @calc.py:\n" + BUGGY.rstrip() in sent
    assert "do-not-send" not in sent
    assert "@../secret.txt is outside the workspace" in result.stderr
