"""Only the account writes settings.json: no other module names the file writer.

The import contract in pyproject.toml catches a direct import of
``qwen_tui.config.settings_file``; this also catches the name re-exported by
``qwen_tui.config`` and any attribute access to it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import qwen_tui

PACKAGE = Path(qwen_tui.__file__).parent
ALLOWED = ("account", "config")
WRITER = "update_settings_file"


def writers(package: Path = PACKAGE) -> list[str]:
    """``file:line`` of each use of the writer outside the allowed packages."""
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            named = (
                (isinstance(node, ast.Name) and node.id == WRITER)
                or (isinstance(node, ast.Attribute) and node.attr == WRITER)
                or (isinstance(node, ast.alias) and node.name.split(".")[-1] == WRITER)
            )
            if named:
                found.append(f"{relative}:{getattr(node, 'lineno', '?')}")
    return found


def test_no_module_outside_the_account_writes_settings_json() -> None:
    assert writers() == []


def test_the_check_sees_a_writer_however_it_is_reached(tmp_path: Path) -> None:
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "a.py").write_text("from qwen_tui.config import update_settings_file\n")
    (tmp_path / "ui" / "b.py").write_text("import qwen_tui.config as c\nc.update_settings_file\n")
    (tmp_path / "account").mkdir()
    (tmp_path / "account" / "c.py").write_text("update_settings_file(p, {})\n")
    assert writers(tmp_path) == ["ui/a.py:1", "ui/b.py:2"]
