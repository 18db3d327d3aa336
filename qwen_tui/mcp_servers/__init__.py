"""MCP servers: the tools of Model Context Protocol servers for the coding agent.

Servers are declared in settings (``mcpServers``), trusted once by the user
(:mod:`.trust`), and reached with the official ``mcp`` SDK, which is imported only
when a server starts, so a run without servers never pays for it.
"""

from qwen_tui.mcp_servers.connection import CallOutcome, McpConnection, State
from qwen_tui.mcp_servers.servers import McpServers, parse_arguments, servers_for
from qwen_tui.mcp_servers.tools import McpTool

__all__ = [
    "CallOutcome",
    "McpConnection",
    "McpServers",
    "McpTool",
    "State",
    "parse_arguments",
    "servers_for",
]
