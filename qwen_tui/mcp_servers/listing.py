"""A server as the user sees it in ``/mcp`` and ``qwen-tui mcp list``: its state, what
it runs, its settings with secrets masked, why it failed, and its tools.

Every line is neutralised: names, commands, descriptions and errors may come from a
settings file or a server the user does not control.
"""

from __future__ import annotations

from qwen_tui.config.model import McpServerSettings
from qwen_tui.mcp_servers.connection import McpConnection
from qwen_tui.mcp_servers.secrets import shown_value
from qwen_tui.mcp_servers.trust import identity
from qwen_tui.text import neutralise

STATE_WORDS = {
    "untrusted": "not trusted yet",
    "disabled": "disabled",
    "starting": "starting",
    "ready": "ready",
    "failed": "failed",
    "stopped": "stopped",
}


def settings_lines(settings: McpServerSettings) -> list[str]:
    """``env`` and ``headers`` as shown: ``KEY = $keyring:NAME``, literal values masked."""
    return [
        f"{neutralise(key)} = {neutralise(shown_value(value))}"
        for key, value in {**settings.env, **settings.headers}.items()
    ]


def describe(connection: McpConnection) -> list[str]:
    """The lines for one server."""
    settings = connection.settings
    state = STATE_WORDS[connection.state]
    lines = [f"{neutralise(connection.name)}  [{state}]  {connection.transport}"]
    lines.append(f"  {neutralise(identity(settings))}")
    lines += [f"  {line}" for line in settings_lines(settings)]
    if connection.problem:
        lines.append(f"  problem: {neutralise(connection.problem)}")
    for tool in connection.tools:
        marker = "read-only" if tool.read_only else "asks"
        lines.append(f"  tool {neutralise(tool.exposed)} ({marker})")
    return lines


def what_is_trusted(settings: McpServerSettings) -> str:
    """What the user is asked to trust: the command line (or URL) and, a line each,
    the environment and headers it gets (secrets masked)."""
    lines = [neutralise(identity(settings))]
    lines += [f"with {line}" for line in settings_lines(settings)]
    return "\n".join(lines)
