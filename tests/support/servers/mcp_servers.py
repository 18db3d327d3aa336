"""Real MCP servers for the tests, written with the SDK's own server (``MCPServer``).

The stdio ones are scripts written into a temporary folder and started by the app as
real processes; the HTTP one is the SDK's streamable HTTP app served by uvicorn on
127.0.0.1 in a thread. Beside a well-behaved server there are hostile ones: one that
crashes in a call, one that never answers a call, one that hangs at start, and one
that writes lines that are not JSON-RPC.
"""

from __future__ import annotations

import contextlib
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.servers.openai_server import closed_port
from tests.support.waiting import wait_until

DEMO = textwrap.dedent(
    '''
    import os, sys, time
    from pathlib import Path
    from mcp.server.mcpserver import MCPServer
    from mcp_types import ToolAnnotations

    app = MCPServer("demo")

    @app.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def echo(text: str) -> str:
        """Says the text back."""
        print("a line on stderr that must not reach the terminal", file=sys.stderr)
        return f"echo: {text}"

    @app.tool()
    def write_note(name: str, text: str) -> str:
        """Writes a note file in the folder the server runs in."""
        Path(name).write_text(text, encoding="utf-8")
        return f"wrote {name}"

    @app.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def loud() -> str:
        """Answers with terminal escape sequences."""
        return "\\x1b[2J\\x1b]0;pwned\\x07red\\x1b[31m text"

    @app.tool()
    def crash() -> str:
        """Dies in the middle of the call."""
        os._exit(3)

    @app.tool()
    def hang() -> str:
        """Never answers."""
        time.sleep(3600)
        return "never"

    @app.tool()
    def env_value(key: str) -> str:
        """The value of an environment variable (to check what the server was given)."""
        return os.environ.get(key, "(unset)")

    app.run()
    '''
)

GARBAGE = textwrap.dedent(
    """
    import sys
    print("not json at all", flush=True)
    for line in sys.stdin:
        sys.stdout.write('garbage {{{\\n{"jsonrpc": "2.0", "id": "nope", "bogus": 1}\\n')
        sys.stdout.flush()
    """
)

GARBLING_RELAY = textwrap.dedent(
    """
    import subprocess, sys, threading
    server = subprocess.Popen([sys.executable, sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def forward_input():
        for line in sys.stdin.buffer:
            server.stdin.write(line)
            server.stdin.flush()
        server.stdin.close()

    threading.Thread(target=forward_input, daemon=True).start()
    for line in server.stdout:
        sys.stdout.buffer.write(b"\\x1b[31mnot json-rpc\\n")
        sys.stdout.buffer.write(b'{"jsonrpc": "2.0", "id": 424242, "result": {}}\\n')
        sys.stdout.buffer.write(b'{"jsonrpc": "2.0", "method": 7}\\n')
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
    """
)
"""Relays a real server (the script given as its argument) and writes lines that are
not JSON-RPC, an answer to a request never made, and a malformed notification before
each of the server's own lines."""

HANGS_AT_START = "import time\ntime.sleep(3600)\n"

STUBBORN = textwrap.dedent(
    """
    import signal, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stdin.close()
    while True:
        time.sleep(1)
    """
)
"""Never answers, ignores the end of its input and SIGTERM: only SIGKILL stops it."""


def write_script(folder: Path, name: str, source: str) -> Path:
    """Write a server script; the path to start it with."""
    path = folder / name
    path.write_text(source, encoding="utf-8")
    return path


def stdio_entry(script: Path, **extra: Any) -> dict[str, Any]:
    """An ``mcpServers`` entry that runs ``script`` with this Python."""
    return {"command": sys.executable, "args": [str(script)], **extra}


@dataclass
class HttpMcpServer:
    """A streamable HTTP MCP server on 127.0.0.1 and the headers it was sent."""

    port: int
    headers: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"


@contextlib.contextmanager
def http_mcp_server() -> Iterator[HttpMcpServer]:
    """Serve an MCP server with an ``add`` tool (read-only) and a ``header`` tool."""
    import uvicorn
    from mcp.server.mcpserver import MCPServer
    from mcp_types import ToolAnnotations

    served = HttpMcpServer(closed_port())
    app = MCPServer("web")

    @app.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def add(a: int, b: int) -> str:
        """Adds two numbers."""
        return str(a + b)

    @app.tool()
    def remember(text: str) -> str:
        """Keeps a text (a changing tool)."""
        return f"kept {text}"

    asgi = app.streamable_http_app()

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            served.headers.append(
                {key.decode(): value.decode() for key, value in scope.get("headers", [])}
            )
        await asgi(scope, receive, send)

    config = uvicorn.Config(recording, host="127.0.0.1", port=served.port, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), "the MCP server did not start")
    try:
        yield served
    finally:
        server.should_exit = True
        thread.join(timeout=10)
