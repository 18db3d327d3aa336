"""How a ``-p`` run's coding agent is set up: its workspace, mode, rules and asker.

Apart from :mod:`.prompt`, which streams and prints, because what the agent may do in
a run (the approval mode without a terminal, the undo checkpoints, the instructions) is
a decision of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from qwen_tui.account import Account
    from qwen_tui.agent.loop import Agent
    from qwen_tui.chat.service import ChatService


@dataclass(frozen=True)
class AgentOptions:
    """How the coding agent may work in a ``-p`` run.

    Attributes:
        approval_mode: ``--approval-mode``; ``None``: the setting when a terminal can be
            asked, else ``plan``.
        max_turns: ``--max-turns``; ``None``: the ``tools.maxTurns`` setting.
        workspace: ``--workspace``; ``None``: the current folder.
        can_ask: whether stdin and stderr are a terminal to ask on.
    """

    approval_mode: str | None = None
    max_turns: int | None = None
    workspace: Path | None = None
    can_ask: bool = False


def agent_for(
    service: ChatService, account: Account, options: AgentOptions, key: str | None, err: TextIO
) -> Agent:
    """The agent of this run: its workspace, approval mode, rules and asker, the shell
    sandbox (said on ``err`` when there is none and commands could run), and the undo
    checkpoint taken before every change."""
    from qwen_tui.agent.approval import APPROVAL_MODES, ApprovalPolicy
    from qwen_tui.agent.checkpoints import Checkpoints
    from qwen_tui.agent.instructions import system_prompt
    from qwen_tui.agent.loop import Agent
    from qwen_tui.headless.agent_output import TerminalAsker
    from qwen_tui.text import neutralise
    from qwen_tui.tools import Toolbox, Workspace
    from qwen_tui.tools.sandbox import choose_sandbox

    tools = account.loaded.settings.tools
    if options.approval_mode is not None:
        mode = options.approval_mode
    else:
        mode = tools.approval_mode if options.can_ask else "plan"
    assert mode in APPROVAL_MODES
    workspace = Workspace.at(options.workspace or Path.cwd())
    choice = choose_sandbox(
        workspace.root,
        home=account.loaded.home,
        enabled=tools.sandbox.enabled,
        network=tools.sandbox.network,
    )
    if not choice.sandboxed and mode != "plan":
        asked = " (every command is asked first)" if mode != "yolo" else ""
        line = f"qwen-tui: shell commands run unsandboxed{asked}: {choice.reason}."
        print(neutralise(line), file=err)
    policy = ApprovalPolicy.from_settings(
        mode, tools.allowed, tools.denied, sandboxed=choice.sandboxed
    )
    return Agent(
        service,
        Toolbox(
            workspace,
            secrets=lambda: [*account.known_secrets(), key or ""],
            sandbox=choice.sandbox,
        ),
        policy,
        ask=TerminalAsker(err, sandboxed=choice.sandboxed) if options.can_ask else None,
        before_change=Checkpoints(account.loaded.home, workspace).before_change,
        max_turns=options.max_turns or tools.max_turns,
        system_prompt=system_prompt(workspace, mode),
    )
