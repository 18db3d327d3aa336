"""The chat's MCP servers: asking before an untrusted one starts, and ``/mcp``.

Kept apart from the chat screen: the screen gives these functions the servers, its
way of asking (the :class:`~qwen_tui.ui.screens.mcp_trust.McpTrustQuestion` dialog)
and its way of saying something in the transcript. Servers start in the background
once a provider is connected; the chat is usable meanwhile, and a server's tools are
offered from the first request after it is ready.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from qwen_tui.mcp_servers import McpConnection, McpServers
from qwen_tui.mcp_servers.listing import describe
from qwen_tui.text import neutralise

AskTrust = Callable[[McpConnection], Awaitable[bool]]
Note = Callable[[str, str], None]

USAGE = "Use /mcp to list the servers, /mcp restart NAME to restart one."


async def _trusted(
    servers: McpServers, connection: McpConnection, ask: AskTrust, note: Note
) -> bool:
    """Ask about an untrusted server; whether it may start now."""
    if not await ask(connection):
        note(
            f"MCP server {neutralise(connection.name)} was not started. "
            f"/mcp restart {neutralise(connection.name)} asks again.",
            "info",
        )
        return False
    try:
        servers.trust(connection.name)
    except OSError as error:
        note(f"Could not remember the trust: {error.strerror or error}", "warning")
        return False
    return True


def _report(connections: list[McpConnection], note: Note) -> None:
    for connection in connections:
        name = neutralise(connection.name)
        if connection.state == "ready":
            note(f"MCP server {name} is ready ({len(connection.tools)} tools).", "info")
        elif connection.state == "failed":
            problem = neutralise(connection.problem or "no reason given")
            note(f"MCP server {name} did not start: {problem}. {USAGE}", "warning")


async def start_servers(servers: McpServers, ask: AskTrust, note: Note) -> None:
    """Ask about each untrusted server, then start the trusted ones and say how it went."""
    for connection in servers.untrusted:
        await _trusted(servers, connection, ask, note)
    waiting = [c for c in servers.connections() if c.state == "stopped"]
    await servers.start_trusted()
    _report(waiting, note)


async def mcp_command(servers: McpServers | None, argument: str, ask: AskTrust, note: Note) -> None:
    """``/mcp``: list the servers; ``/mcp restart NAME``: restart one (asking first if
    it is not trusted yet)."""
    words = argument.split()
    if servers is None or not servers:
        note(
            "No MCP servers are configured (mcpServers in settings.json; see docs/agent.md).",
            "info",
        )
        return
    if not words:
        await servers.check()
        lines = ["MCP servers:"]
        for connection in servers.connections():
            lines += describe(connection)
        note("\n".join([*lines, USAGE]), "info")
        return
    if words[0] != "restart" or len(words) != 2:
        note(f"Unknown /mcp {neutralise(argument.strip())!r}. {USAGE}", "error")
        return
    found = servers.get(words[1])
    if found is None:
        note(f"There is no MCP server named {neutralise(words[1])!r}. {USAGE}", "error")
        return
    connection = found
    if connection.state == "disabled":
        note(f"MCP server {neutralise(connection.name)} is disabled in settings.", "warning")
        return
    if connection.state == "untrusted" and not await _trusted(servers, connection, ask, note):
        return
    await servers.restart(connection.name)
    _report([connection], note)
