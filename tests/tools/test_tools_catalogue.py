"""The tool catalogue: Qwen Code's names, valid schemas, arguments checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qwen_tui.tools import READ_ONLY, SPECS, Toolbox, ToolError, Workspace, parse_arguments


def test_the_tools_carry_qwen_codes_names_and_kinds() -> None:
    kinds = {spec.name: spec.kind for spec in SPECS}
    assert kinds == {
        "read_file": "read",
        "list_directory": "read",
        "glob": "read",
        "grep_search": "read",
        "edit": "edit",
        "write_file": "edit",
        "run_shell_command": "execute",
    }
    assert frozenset({"read_file", "list_directory", "glob", "grep_search"}) == READ_ONLY


def test_every_schema_is_an_openai_function_with_its_required_fields_declared() -> None:
    for spec in SPECS:
        schema = json.loads(json.dumps(spec.schema()))
        function = schema["function"]
        assert schema["type"] == "function" and function["name"] == spec.name
        parameters = function["parameters"]
        assert parameters["type"] == "object"
        assert set(parameters["required"]) <= set(parameters["properties"])
        assert all("type" in value for value in parameters["properties"].values())


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("delete_everything", "{}", "no tool named"),
        ("read_file", "{not json", "not valid JSON"),
        ("read_file", "[1]", "JSON object"),
        ("read_file", "{}", "needs 'file_path'"),
        ("read_file", '{"file_path": 3}', "must be a string"),
        ("read_file", '{"file_path": "a", "offset": true}', "must be a integer"),
        ("read_file", '{"file_path": "a", "bogus": 1}', "no argument 'bogus'"),
    ],
)
def test_bad_arguments_get_an_answer_the_model_can_act_on(
    name: str, arguments: str, message: str
) -> None:
    with pytest.raises(ToolError, match=message):
        parse_arguments(name, arguments)


def test_nulls_for_optional_arguments_count_as_left_out() -> None:
    assert parse_arguments("read_file", '{"file_path": "a", "offset": null}') == {"file_path": "a"}
    assert parse_arguments("list_directory", "") == {}


async def test_the_toolbox_dispatches_by_kind(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    box = Toolbox(Workspace.at(tmp_path), secrets=lambda: ["sekrit-value"])
    assert box.run_read("read_file", {"file_path": "a.txt"}) == "hello\n"
    change = box.prepare_change(
        "edit", {"file_path": "a.txt", "old_string": "hello", "new_string": "bye"}
    )
    assert (tmp_path / "a.txt").read_text() == "hello\n"
    change.apply()
    assert (tmp_path / "a.txt").read_text() == "bye\n"
    with pytest.raises(ToolError):
        box.run_read("edit", {})
    with pytest.raises(ToolError):
        box.prepare_change("read_file", {})
    outcome, text = await box.run_shell({"command": "echo $PWD", "timeout": 5000})
    assert outcome.exit_code == 0 and text.startswith("Command: echo $PWD\nDirectory: .\n")
    with pytest.raises(ToolError, match="outside"):
        box.shell_folder({"directory": ".."})
