"""The MCP servers of a ``-p`` run: trusted ones start, the others are asked about on
the terminal, or, without one, left out with the way to trust them.

Starting happens before the first request, so the model sees every ready server's
tools from its first turn; a server that fails to start is reported on stderr and the
run goes on without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from qwen_tui.text import neutralise

if TYPE_CHECKING:
    from qwen_tui.mcp_servers import McpServers


def trust_hint(name: str) -> str:
    """How to trust a server from the command line."""
    return f"qwen-tui mcp trust {name}"


async def start_for_run(
    servers: McpServers, can_ask: bool, err: TextIO, read: Callable[[], str] = input
) -> dict[str, str | None]:
    """Ask about untrusted servers (when a terminal can answer), start the trusted ones,
    and say on ``err`` which did not start and why.

    Returns:
        What was said of each server (its problem), for :func:`say_new_failures`.
    """
    from qwen_tui.mcp_servers.listing import what_is_trusted

    for connection in servers.untrusted:
        trusted = what_is_trusted(connection.settings)
        shown = trusted.replace("\n", "\n  ")
        name = neutralise(connection.name)
        if not can_ask:
            _say(
                err,
                f"qwen-tui: MCP server {name} is not trusted yet, so it was not started "
                f"(it would run: {trusted.replace(chr(10), '; ')}). "
                f"Trust it with `{trust_hint(connection.name)}`.",
            )
            continue
        _say(err, f"qwen-tui: MCP server {name} is not trusted yet. It would run:\n  {shown}")
        print("Trust it and start it? [y]es / [n]o: ", end="", file=err)
        err.flush()
        try:
            reply = (await asyncio.to_thread(read)).strip().lower()
        except EOFError:
            reply = ""
        if reply in ("y", "yes"):
            try:
                servers.trust(connection.name)
            except OSError as error:
                _say(err, f"qwen-tui: could not remember the trust: {error.strerror or error}")
        else:
            _say(err, f"qwen-tui: MCP server {name} was not started.")
    await servers.start_trusted()
    for connection in servers.connections():
        if connection.state == "failed":
            _say(
                err,
                f"qwen-tui: MCP server {neutralise(connection.name)} did not start: "
                f"{neutralise(connection.problem or 'no reason given')}",
            )
    return {connection.name: connection.problem for connection in servers.connections()}


def say_new_failures(servers: McpServers, said: dict[str, str | None], err: TextIO) -> None:
    """At the end of the run: which servers failed during it (crashed, stopped
    answering), and why; the model was told in the call's result."""
    for connection in servers.connections():
        if connection.state == "failed" and connection.problem != said.get(connection.name):
            _say(
                err,
                f"qwen-tui: MCP server {neutralise(connection.name)} failed during the run: "
                f"{neutralise(connection.problem or 'no reason given')}",
            )


def _say(err: TextIO, line: str) -> None:
    print(line, file=err)
    err.flush()
