"""Small projects with a failing test, and the scripted conversation that fixes each.

Each task is a folder of files, a script of model turns (what a model would do: look,
change, check), and the project's own test, run as a real subprocess before (it must
fail) and after (it must pass). The scripts use every tool and the tricky cases: an
edit whose indentation is off, a rename in several places, parallel calls, a change
made by a shell command, a new file, Windows line endings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qwen_tui.agent.approval import ApprovalMode
from tests.support.servers.openai_server import Call, Turn

TEST_FILE = "test_task.py"


@dataclass(frozen=True)
class AgentTask:
    """A project, the conversation that fixes it, and the mode it runs in."""

    name: str
    files: dict[str, str | bytes]
    script: list[Turn]
    mode: ApprovalMode = "yolo"
    denied: list[str] = field(default_factory=list)


def _check() -> Call:
    return Call("run_shell_command", {"command": f"python3 {TEST_FILE}"})


def _edit(path: str, old: str, new: str, **more: object) -> Call:
    return Call("edit", {"file_path": path, "old_string": old, "new_string": new, **more})


def _test(body: str) -> str:
    return f"{body}\n\nif __name__ == '__main__':\n    test()\n    print('PASS')\n"


TASKS: list[AgentTask] = [
    AgentTask(
        "add-subtracts",
        {
            "calc.py": "def add(a, b):\n    return a - b\n",
            TEST_FILE: _test("from calc import add\n\n\ndef test():\n    assert add(2, 3) == 5"),
        },
        [
            Turn(["Looking."], [Call("read_file", {"file_path": "calc.py"})]),
            Turn([], [_edit("calc.py", "return a - b", "return a + b")]),
            Turn([], [_check()]),
            Turn(["Fixed."]),
        ],
    ),
    AgentTask(
        "off-by-one",
        {
            "series.py": "def sum_to(n):\n    return sum(range(1, n))\n",
            TEST_FILE: _test(
                "from series import sum_to\n\n\ndef test():\n    assert sum_to(4) == 10"
            ),
        },
        [
            Turn([], [Call("grep_search", {"pattern": "range", "glob": "*.py"})]),
            Turn([], [_edit("series.py", "range(1, n)", "range(1, n + 1)")]),
            Turn(["Done."]),
        ],
    ),
    AgentTask(
        "reverse",
        {
            "text.py": "def reverse(s):\n    return s[::1]\n",
            TEST_FILE: _test(
                "from text import reverse\n\n\ndef test():\n    assert reverse('ab') == 'ba'"
            ),
        },
        [Turn([], [_edit("text.py", "s[::1]", "s[::-1]")]), Turn(["Done."])],
    ),
    AgentTask(
        "missing-module",
        {
            TEST_FILE: _test(
                "from greeting import hello\n\n\ndef test():\n    assert hello() == 'hi'"
            )
        },
        [
            Turn([], [Call("list_directory", {})]),
            Turn(
                [],
                [
                    Call(
                        "write_file",
                        {"file_path": "greeting.py", "content": "def hello():\n    return 'hi'\n"},
                    )
                ],
            ),
            Turn(["Created greeting.py."]),
        ],
    ),
    AgentTask(
        "rename-everywhere",
        {
            "shapes.py": "def aera(w, h):\n    return w * h\n\n\ndef square(s):\n    return aera(s, s)\n",
            TEST_FILE: _test(
                "from shapes import area, square\n\n\ndef test():\n    assert area(2, 3) == 6 and square(3) == 9"
            ),
        },
        [Turn([], [_edit("shapes.py", "aera", "area", replace_all=True)]), Turn(["Renamed."])],
    ),
    AgentTask(
        "indentation-off",
        {
            "box.py": "class Box:\n    def double(self, x):\n        return x * 3\n",
            TEST_FILE: _test(
                "from box import Box\n\n\ndef test():\n    assert Box().double(4) == 8"
            ),
        },
        [
            Turn(
                [],
                [
                    _edit(
                        "box.py",
                        "  def double(self, x):\n    return x * 3",
                        "  def double(self, x):\n    return x * 2",
                    )
                ],
            ),
            Turn(["Fixed, though my copy of the indentation was off."]),
        ],
    ),
    AgentTask(
        "two-files-at-once",
        {
            "config.py": "RATE = 0.5\n",
            "price.py": "from config import RATE\n\n\ndef total(x):\n    return x * RATE + 1\n",
            TEST_FILE: _test(
                "from price import total\n\n\ndef test():\n    assert total(10) == 12.0"
            ),
        },
        [
            Turn(
                [],
                [
                    Call("read_file", {"file_path": "config.py"}),
                    Call("read_file", {"file_path": "price.py"}),
                ],
            ),
            Turn(
                [],
                [_edit("config.py", "RATE = 0.5", "RATE = 0.2"), _edit("price.py", "+ 1", "+ 10")],
            ),
            Turn([], [_check()]),
            Turn(["Both fixed."]),
        ],
    ),
    AgentTask(
        "fixed-by-a-command",
        {
            "limits.py": "MAX = 10\n",
            TEST_FILE: _test("from limits import MAX\n\n\ndef test():\n    assert MAX == 100"),
        },
        [
            Turn(
                [],
                [
                    Call(
                        "run_shell_command", {"command": "sed -i 's/MAX = 10/MAX = 100/' limits.py"}
                    )
                ],
            ),
            Turn([], [_check()]),
            Turn(["Changed with sed."]),
        ],
    ),
    AgentTask(
        "data-file",
        {
            "data.json": '{"port": 80}\n',
            TEST_FILE: _test(
                "import json\n\n\ndef test():\n    assert json.load(open('data.json'))['port'] == 8080"
            ),
        },
        [
            Turn([], [Call("glob", {"pattern": "*.json"})]),
            Turn(
                [], [Call("write_file", {"file_path": "data.json", "content": '{"port": 8080}\n'})]
            ),
            Turn(["Port set."]),
        ],
    ),
    AgentTask(
        "nested-package",
        {
            "src/pkg/__init__.py": "",
            "src/pkg/util.py": "def clamp(x, lo, hi):\n    return max(hi, min(lo, x))\n",
            TEST_FILE: _test(
                "import sys\nsys.path.insert(0, 'src')\nfrom pkg.util import clamp\n\n\n"
                "def test():\n    assert clamp(5, 0, 3) == 3 and clamp(-1, 0, 3) == 0"
            ),
        },
        [
            Turn([], [Call("grep_search", {"pattern": "def clamp", "path": "src"})]),
            Turn([], [_edit("src/pkg/util.py", "max(hi, min(lo, x))", "max(lo, min(hi, x))")]),
            Turn(["Swapped the bounds."]),
        ],
    ),
    AgentTask(
        "windows-line-endings",
        {
            "legacy.py": b"def flag():\r\n    return False\r\n",
            TEST_FILE: _test("from legacy import flag\n\n\ndef test():\n    assert flag() is True"),
        },
        [Turn([], [_edit("legacy.py", "return False", "return True")]), Turn(["Done."])],
        mode="auto-edit",
    ),
]

ATTACKS: list[AgentTask] = [
    AgentTask(
        "write-outside",
        {"a.py": "x = 1\n"},
        [
            Turn([], [Call("write_file", {"file_path": "../escaped.py", "content": "evil\n"})]),
            Turn(
                [], [Call("write_file", {"file_path": "/tmp/../etc/qwen-tui-test", "content": "x"})]
            ),
            Turn(["I could not."]),
        ],
    ),
    AgentTask(
        "edit-in-plan",
        {"a.py": "x = 1\n"},
        [
            Turn([], [_edit("a.py", "x = 1", "x = 2")]),
            Turn([], [Call("run_shell_command", {"command": "rm a.py"})]),
            Turn(["I would change x to 2."]),
        ],
        mode="plan",
    ),
    AgentTask(
        "denied-command",
        {"a.py": "x = 1\n"},
        [
            Turn([], [Call("run_shell_command", {"command": "rm -f a.py"})]),
            Turn(["The user's rules refuse that."]),
        ],
        denied=["run_shell_command(rm)"],
    ),
    AgentTask(
        "symlink-escape",
        {"a.py": "x = 1\n"},
        [
            Turn([], [_edit("link/victim.txt", "keep", "gone")]),
            Turn([], [Call("write_file", {"file_path": "link/new.txt", "content": "planted"})]),
            Turn(["Refused."]),
        ],
    ),
]
