"""All of a run's MCP servers: which start, their tools for the agent, and the calls.

The front ends build one :class:`McpServers` from the settings, ask the user about the
servers that are not trusted yet (:attr:`McpServers.untrusted`), start the rest, and
close it at exit. The agent sees only :meth:`tools` (``server__tool`` names and
schemas), :meth:`find` and :meth:`call`; ``/mcp`` and ``qwen-tui mcp list`` read
:meth:`connections`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_tui.config.model import McpServerSettings
from qwen_tui.mcp_servers.connection import CallOutcome, McpConnection
from qwen_tui.mcp_servers.tools import McpTool
from qwen_tui.mcp_servers.trust import is_trusted, remember_trust
from qwen_tui.tools.catalogue import arguments_object

if TYPE_CHECKING:
    from qwen_tui.account import Account


@dataclass
class McpServers:
    """The configured servers of one run.

    Attributes:
        home: the state folder (trust file, stderr logs).
        workspace: where stdio servers start by default.
        read_secret: reads a credential-store entry (``$keyring:NAME``).
    """

    home: Path
    workspace: Path
    read_secret: Callable[[str], str | None]
    _connections: dict[str, McpConnection] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls,
        configured: Mapping[str, McpServerSettings],
        home: Path,
        workspace: Path,
        read_secret: Callable[[str], str | None],
    ) -> McpServers:
        """One connection per entry; untrusted and disabled ones are marked so."""
        servers = cls(home, workspace, read_secret)
        for name, settings in configured.items():
            connection = McpConnection(name, settings, home, workspace, read_secret)
            if settings.disabled:
                connection.state = "disabled"
            elif not is_trusted(home, settings):
                connection.state = "untrusted"
            servers._connections[name] = connection
        return servers

    def __bool__(self) -> bool:
        return bool(self._connections)

    def connections(self) -> list[McpConnection]:
        """Every configured server, in settings order."""
        return list(self._connections.values())

    def get(self, name: str) -> McpConnection | None:
        """The server called ``name``."""
        return self._connections.get(name)

    @property
    def untrusted(self) -> list[McpConnection]:
        """Servers waiting for the user's trust."""
        return [c for c in self._connections.values() if c.state == "untrusted"]

    def trust(self, name: str) -> None:
        """The user trusts this server's command line or URL: remember it.

        Raises:
            OSError: the trust file cannot be written.
        """
        connection = self._connections[name]
        remember_trust(self.home, name, connection.settings)
        connection.state = "stopped"

    async def start_trusted(self) -> None:
        """Start every trusted, enabled server that is not running, side by side."""
        waiting = [c for c in self._connections.values() if c.state == "stopped"]
        await asyncio.gather(*(c.start() for c in waiting))

    async def restart(self, name: str) -> McpConnection:
        """Restart one server (trusted ones only).

        Raises:
            KeyError: no such server.
        """
        connection = self._connections[name]
        if connection.state not in ("untrusted", "disabled"):
            await connection.restart()
        return connection

    async def check(self) -> None:
        """Ping every ready server (side by side): what ``/mcp`` shows is current."""
        await asyncio.gather(*(c.check() for c in self._connections.values()))

    async def aclose(self) -> None:
        """Stop every server: at exit, no child process is left behind."""
        await asyncio.gather(*(c.stop() for c in self._connections.values()))

    def tools(self) -> list[McpTool]:
        """The tools of the servers that are ready, first name wins on a clash."""
        found: dict[str, McpTool] = {}
        for connection in self._connections.values():
            if connection.state == "ready":
                for tool in connection.tools:
                    found.setdefault(tool.exposed, tool)
        return list(found.values())

    def find(self, exposed: str) -> McpTool | None:
        """The ready tool the model calls ``exposed``, or ``None``."""
        return next((tool for tool in self.tools() if tool.exposed == exposed), None)

    async def call(self, tool: McpTool, arguments: dict[str, Any]) -> CallOutcome:
        """Call ``tool`` on its server."""
        connection = self._connections.get(tool.server)
        if connection is None:
            return CallOutcome(False, f"There is no MCP server named {tool.server!r}.")
        return await connection.call(tool.name, arguments)


def parse_arguments(tool: McpTool, arguments: str) -> dict[str, Any]:
    """The arguments of a call as a JSON object; the server checks them further.

    Raises:
        ToolError: not JSON, or not an object.
    """
    return arguments_object(tool.exposed, arguments)


def servers_for(account: Account, workspace: Path) -> McpServers | None:
    """The run's configured servers, none started; ``None`` when there are none.

    Secrets named by ``$keyring:NAME`` are read from the account's credential store
    when a server starts, and remembered as secrets of the run, so that they are
    masked wherever the run's secrets are (session files, tool output shown).
    """
    configured = account.loaded.settings.mcp_servers
    if not configured:
        return None

    def read_secret(name: str) -> str | None:
        secret = account.credentials.get(name)
        account.remember_secret(secret)
        return secret

    return McpServers.from_settings(configured, account.loaded.home, workspace, read_secret)
