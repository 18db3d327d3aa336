"""The approval policy: modes, rules, and plan mode that never changes anything."""

from __future__ import annotations

import pytest

from qwen_tui.agent.approval import (
    APPROVAL_MODES,
    ApprovalMode,
    ApprovalPolicy,
    Rule,
    command_prefix,
    next_mode,
)

READS = ["read_file", "list_directory", "glob", "grep_search"]


@pytest.mark.parametrize(
    ("mode", "edit", "shell"),
    [
        ("plan", "refuse", "refuse"),
        ("default", "ask", "ask"),
        ("auto-edit", "run", "ask"),
        ("yolo", "run", "run"),
    ],
)
def test_each_mode_decides_as_qwen_code_does(mode: ApprovalMode, edit: str, shell: str) -> None:
    policy = ApprovalPolicy(mode)
    assert all(policy.decide(tool) == "run" for tool in READS)
    assert policy.decide("edit") == edit
    assert policy.decide("write_file") == edit
    assert policy.decide("run_shell_command", "ls") == shell
    assert policy.decide("no_such_tool") == "refuse"


def test_plan_mode_refuses_changes_whatever_the_rules_allow() -> None:
    policy = ApprovalPolicy.from_settings("plan", ["edit", "run_shell_command"], [])
    assert policy.decide("edit") == "refuse"
    assert policy.decide("run_shell_command", "ls") == "refuse"
    assert "plan mode" in policy.why_refused("edit")


def test_deny_wins_over_allow_and_over_yolo() -> None:
    policy = ApprovalPolicy.from_settings(
        "yolo", ["run_shell_command(git)"], ["run_shell_command(git push)"]
    )
    assert policy.decide("run_shell_command", "git push origin main") == "refuse"
    assert "git push" in policy.why_refused("run_shell_command", "git push")
    assert policy.decide("run_shell_command", "git status") == "run"


@pytest.mark.parametrize(
    ("rule", "command", "covered"),
    [
        ("run_shell_command(git status)", "git status -s", True),
        ("run_shell_command(git status)", "git statusx", False),
        ("run_shell_command(git status)", "git push", False),
        ("run_shell_command(git status)", "git status && rm -rf /", False),
        ("run_shell_command(git status)", "git status; git status", True),
        ("run_shell_command(pytest)", "pytest -q | tee log", False),
        ("run_shell_command(pytest)", "echo $(pytest)", False),
        ("run_shell_command", "anything at all", True),
    ],
)
def test_command_prefix_rules_cover_whole_words_of_every_part(
    rule: str, command: str, covered: bool
) -> None:
    assert Rule.parse(rule).covers("run_shell_command", command) is covered


def test_allowed_rules_turn_asking_into_running_in_default_mode() -> None:
    policy = ApprovalPolicy.from_settings("default", ["run_shell_command(pytest)"], [])
    assert policy.decide("run_shell_command", "pytest -x tests") == "run"
    assert policy.decide("run_shell_command", "make") == "ask"
    policy.allow_for_session(command_prefix("make test -j2"))
    assert policy.decide("run_shell_command", "make test") == "run"
    assert policy.decide("run_shell_command", "make clean") == "ask"


def test_yes_always_remembers_the_program_and_its_subcommand() -> None:
    assert str(command_prefix("git commit -m 'x'")) == "run_shell_command(git commit)"
    assert str(command_prefix("ls -la")) == "run_shell_command(ls)"
    assert str(command_prefix("npm test && npm run lint")) == "run_shell_command(npm test)"


def test_unreadable_rules_are_refused_when_parsed() -> None:
    for text in ["rm", "edit(x)", "run_shell_command()", ""]:
        with pytest.raises(ValueError):
            Rule.parse(text)
    assert ApprovalPolicy.from_settings("default", ["bogus", "edit"], []).allowed == [Rule("edit")]


def test_shift_tab_cycles_through_every_mode() -> None:
    seen: list[ApprovalMode] = ["plan"]
    while len(seen) <= len(APPROVAL_MODES):
        seen.append(next_mode(seen[-1]))
    assert seen == ["plan", "default", "auto-edit", "yolo", "plan"]


@pytest.mark.parametrize("mode", ["default", "auto-edit"])
def test_unsandboxed_every_command_asks_whatever_the_rules_allow(mode: ApprovalMode) -> None:
    policy = ApprovalPolicy.from_settings(
        mode, ["run_shell_command(pytest)", "edit"], ["run_shell_command(rm)"], sandboxed=False
    )
    assert policy.decide("run_shell_command", "pytest -x") == "ask"
    policy.allow_for_session(command_prefix("make test"))
    assert policy.decide("run_shell_command", "make test") == "ask"
    assert policy.decide("run_shell_command", "rm -rf build") == "refuse"
    assert policy.decide("edit") == "run", "edits are not commands: their rules still hold"
    policy.sandboxed = True
    assert policy.decide("run_shell_command", "pytest -x") == "run"


def test_unsandboxed_plan_still_refuses_and_yolo_still_runs() -> None:
    assert ApprovalPolicy("plan", sandboxed=False).decide("run_shell_command", "ls") == "refuse"
    assert ApprovalPolicy("yolo", sandboxed=False).decide("run_shell_command", "ls") == "run"
