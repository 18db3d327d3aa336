"""What a project's ``.env`` can never loosen, trusted or not: the shell sandbox.

Trusting a folder lets its ``.env`` choose where requests go and what the agent may do
without asking; it does not let the project take away what keeps a command the model
runs inside the workspace. So a project's ``tools.sandbox`` may be stricter than the
user's own (the sandbox on, the network off) and is then applied; where it is looser
(the sandbox off, the network on) the user's own setting stays, and a problem says so.
"""

from __future__ import annotations

from pathlib import Path

from qwen_tui.config.model import SandboxSettings


def strictest_sandbox(
    project: SandboxSettings, own: SandboxSettings, dotenv: Path
) -> tuple[SandboxSettings, list[str]]:
    """The sandbox settings from a project ``.env`` (``project``) held to the user's
    (``own``: every source but that file).

    Returns:
        The stricter of the two for each field, and one sentence per loosening refused.
    """
    problems = []
    if own.enabled and not project.enabled:
        problems.append(
            f"{dotenv} turns the shell sandbox off (tools.sandbox.enabled); a project "
            "cannot do that, so it stays on. Turn it off in your own settings if you must."
        )
    if not own.network and project.network:
        problems.append(
            f"{dotenv} lets sandboxed commands use the network (tools.sandbox.network); a "
            "project cannot do that, so it stays off. Allow it in your own settings."
        )
    strictest = SandboxSettings(
        enabled=own.enabled or project.enabled, network=own.network and project.network
    )
    return strictest, problems
