"""One MCP server: started, asked for its tools, called, and stopped, whatever it does.

The SDK's client is an async context manager whose task groups must be entered and
left by one task, so each server has a task of its own (:meth:`McpConnection._serve`)
that holds the connection open until it is told to stop; calls are made from the
agent's task over the same session. A server is not trusted to behave: starting
(spawn, handshake, tool list) and every call have a time limit, a server that dies
or stops answering is marked ``failed`` with the reason and stopped (its process
group killed), lines that are not JSON-RPC are dropped by the SDK, and the server's
stderr goes to its own log file, never to the terminal. Nothing a server does raises
out of here: a failed start or call is a state and a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from qwen_tui import __version__
from qwen_tui.config.model import McpServerSettings
from qwen_tui.config.paths import ensure_private_dir, logs_dir
from qwen_tui.mcp_servers.failures import failure_words, is_closed, timed_out
from qwen_tui.mcp_servers.secrets import resolve
from qwen_tui.mcp_servers.tools import McpTool, from_listing, result_text
from qwen_tui.text import neutralise, redact

if TYPE_CHECKING:
    from mcp import Client

State = Literal["untrusted", "disabled", "starting", "ready", "failed", "stopped"]

START_TIMEOUT = 30.0
"""Seconds a server has to start, shake hands and list its tools."""

PING_TIMEOUT = 3.0
"""Seconds a ready server has to answer ``/mcp``'s check."""

_STOP_GRACE = 10.0
"""Seconds to wait for a server's task to wind down (the SDK closes stdin, waits,
then kills the process group, each step bounded)."""


def quiet_sdk_logging() -> None:
    """Keep the SDK's log lines (a bad line from a server, a failed read) off the
    terminal: with no handler of its own, Python would print warnings to stderr over
    the full-screen app. They still reach a debug log configured on the root."""
    logger = logging.getLogger("mcp")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


def stderr_log(home: Path, name: str) -> Path:
    """Where a stdio server's stderr goes: ``$QWEN_TUI_HOME/logs/mcp-NAME.log``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    return logs_dir(home) / f"mcp-{safe}.log"


@dataclass(frozen=True)
class CallOutcome:
    """What a call gave: whether it worked, and the text for the model."""

    ok: bool
    text: str


@dataclass
class McpConnection:
    """One configured server and, once started, its live session.

    Attributes:
        name: the key in ``mcpServers``.
        settings: its entry.
        home: the state folder (the stderr log is kept there).
        workspace: where a stdio server starts unless ``cwd`` says otherwise.
        read_secret: reads a credential-store entry (for ``$keyring:NAME``).
        start_timeout: seconds for spawn, handshake and tool list.
        state: where it is; ``problem`` says why when ``failed``.
        tools: its tools while ``ready``.
    """

    name: str
    settings: McpServerSettings
    home: Path
    workspace: Path
    read_secret: Callable[[str], str | None]
    start_timeout: float = START_TIMEOUT
    state: State = "stopped"
    problem: str | None = None
    tools: tuple[McpTool, ...] = ()
    _client: Client | None = field(default=None, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _secrets: list[str] = field(default_factory=list, repr=False)

    @property
    def call_timeout(self) -> float:
        """Seconds a call may take."""
        return self.settings.timeout / 1000

    @property
    def transport(self) -> Literal["stdio", "http"]:
        """How the server is reached."""
        return "http" if self.settings.url and not self.settings.command else "stdio"

    async def start(self) -> None:
        """Start the server and wait until it is ready or has failed (never raises)."""
        if self._task is not None and not self._task.done():
            return
        quiet_sdk_logging()
        self.state, self.problem, self.tools = "starting", None, ()
        self._stop = asyncio.Event()
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._serve(ready), name=f"mcp-server-{self.name}")
        await asyncio.shield(ready)

    async def stop(self) -> None:
        """Stop the server (its process group is killed if it does not exit)."""
        task = self._task
        self._stop.set()
        if task is not None and not task.done():
            if self.state == "starting":
                task.cancel()  # a server still starting may never get there
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), _STOP_GRACE)
            if not task.done():
                task.cancel()
        self._client = None
        self.tools = ()
        if self.state in ("ready", "starting"):
            self.state = "stopped"

    async def restart(self) -> None:
        """Stop, then start again (after a failure, or to pick up a changed server)."""
        await self.stop()
        await self.start()

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallOutcome:
        """Call ``tool``; a failure is an outcome for the model, never an exception."""
        client = self._client
        if client is None or self.state != "ready":
            why = f" ({self.problem})" if self.problem else ""
            return CallOutcome(False, f"The MCP server {self.name} is not running{why}.")
        timeout = self.call_timeout
        try:
            async with asyncio.timeout(timeout + 5):
                result = await client.call_tool(tool, arguments, read_timeout_seconds=timeout)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            return self._failed_call(f"it did not answer within {timeout:g} s")
        except Exception as error:
            if timed_out(error):
                return self._failed_call(f"it did not answer within {timeout:g} s")
            if self._task is None or self._task.done() or is_closed(error):
                return self._failed_call(self._reason(error))
            return CallOutcome(False, f"Error: {self._shown(self._reason(error))}")
        ok, text = result_text(result)
        return CallOutcome(ok, text)

    async def check(self) -> None:
        """Ask a ready server for its tools again, so that one that died while idle is
        shown as failed (``/mcp``); one that answers is left as it is. (Not ``ping``:
        the 2026-07-28 protocol removed it.)"""
        client = self._client
        if client is None or self.state != "ready":
            return
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                await client.list_tools(cache_mode="refresh")
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            self._failed_call(f"it did not answer within {PING_TIMEOUT:g} s")
        except Exception as error:
            self._failed_call(self._reason(error))

    def _failed_call(self, reason: str) -> CallOutcome:
        """The server broke during a call: mark it failed, stop it, tell the model."""
        self.state, self.problem = "failed", reason
        self._client = None
        self.tools = ()
        self._stop.set()
        return CallOutcome(
            False,
            f"Error: the MCP server {self.name} failed during the call: "
            f"{self._shown(reason)}. It was stopped; its tools are unavailable until the "
            "user restarts it with /mcp.",
        )

    async def _serve(self, ready: asyncio.Future[None]) -> None:
        """Hold the connection open until :meth:`stop`; record how it ended."""
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with asyncio.timeout(self.start_timeout):
                    client = await self._connect(stack)
                    listed = await _all_tools(client)
                self.tools = tuple(from_listing(self.name, tool) for tool in listed)
                self._client = client
                self.state = "ready"
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as error:
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            if not self._stop.is_set():
                self.state = "failed"
                if isinstance(error, TimeoutError) and not ready.done():
                    self.problem = f"it did not start within {self.start_timeout:g} s"
                else:
                    self.problem = self._reason(error)
        finally:
            self._client = None
            if self.state in ("ready", "starting"):
                self.state = "stopped"
            if not ready.done():
                ready.set_result(None)

    async def _connect(self, stack: contextlib.AsyncExitStack) -> Client:
        from mcp import Client
        from mcp_types import Implementation

        settings = self.settings
        info = Implementation(name="qwen-tui", version=__version__)
        if self.transport == "http":
            from mcp.client.streamable_http import streamable_http_client

            from qwen_tui.providers.http_policy import mcp_http_client

            headers, secrets = await asyncio.to_thread(resolve, settings.headers, self.read_secret)
            # A header written out in settings is most likely a token too.
            self._secrets = [*secrets, *settings.headers.values()]
            http = await stack.enter_async_context(mcp_http_client(headers, self.call_timeout))
            transport = streamable_http_client(str(settings.url), http_client=http)
            client = Client(transport, client_info=info, read_timeout_seconds=self.call_timeout)
        else:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            if not settings.command:
                raise ValueError("the entry has neither a command nor a url")
            env, self._secrets = await asyncio.to_thread(resolve, settings.env, self.read_secret)
            errlog = stack.enter_context(_open_log(stderr_log(self.home, self.name)))
            parameters = StdioServerParameters(
                command=settings.command,
                args=list(settings.args),
                env=env,
                cwd=_folder(settings.cwd, self.workspace),
                encoding_error_handler="replace",
            )
            transport = stdio_client(parameters, errlog=errlog)
            client = Client(transport, client_info=info, read_timeout_seconds=self.call_timeout)
        return await stack.enter_async_context(client)

    def _reason(self, error: BaseException) -> str:
        """The first real cause of ``error`` in plain words, secrets masked."""
        text = failure_words(error, self.settings, self.call_timeout)
        return redact(text, self._secrets)

    def _shown(self, text: str) -> str:
        return neutralise(redact(text, self._secrets))


def _open_log(path: Path) -> TextIO:
    """The server's stderr log, opened for appending, private to the user."""
    ensure_private_dir(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return open(descriptor, "a", encoding="utf-8")


def _folder(cwd: str | None, workspace: Path) -> Path:
    """Where a stdio server starts: ``cwd`` (relative to the workspace), or the workspace."""
    if not cwd:
        return workspace
    folder = Path(cwd).expanduser()
    return folder if folder.is_absolute() else workspace / folder


async def _all_tools(client: Client) -> list[Any]:
    """Every page of the server's tool list (at most 50 pages: a server that pages
    forever cannot hold up the start)."""
    tools: list[Any] = []
    cursor: str | None = None
    for _ in range(50):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools
