"""``qwen-tui mcp add|list|remove|trust|secret``: the MCP servers on the command line.

``add`` writes the entry through the account (the only writer of settings.json) and
trusts it at once, since the user typed the very command line it shows; a server
that appears in settings any other way is asked about before it first starts
(``trust``). ``secret`` keeps a token in the credential store for ``$keyring:NAME``
references, so settings.json never holds it. ``list`` never shows a literal secret.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_tui.config import LoadedSettings
from qwen_tui.text import neutralise

if TYPE_CHECKING:
    from qwen_tui.account import Account
    from qwen_tui.mcp_servers import McpServers

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_parser(commands: Any) -> None:
    """The ``mcp`` sub-command and its actions, on the CLI's sub-parsers."""
    mcp = commands.add_parser("mcp", help="add, list, remove or trust MCP servers")
    actions = mcp.add_subparsers(dest="mcp_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add a server (trusted at once: you typed it)",
        description=(
            "Add an MCP server: `qwen-tui mcp add [OPTIONS] NAME -- COMMAND [ARGS...]` for "
            "one that runs on this machine, `qwen-tui mcp add --url URL NAME` for "
            "streamable HTTP. Options come before NAME. A value may be $keyring:SECRET "
            "(see `qwen-tui mcp secret`)."
        ),
    )
    add.add_argument("name", help="the server's name; its tools are NAME__TOOL")
    add.add_argument(
        "server_command", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="program, arguments"
    )
    add.add_argument("--url", help="streamable HTTP endpoint")
    add.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    add.add_argument("--header", action="append", default=[], metavar="NAME: VALUE")
    add.add_argument("--cwd", help="folder to start it in (default: the workspace)")
    add.add_argument("--timeout", type=int, metavar="MS", help="call timeout in milliseconds")
    listing = actions.add_parser("list", help="the servers, whether trusted, and their tools")
    listing.add_argument(
        "--tools", action="store_true", help="start the trusted servers and list their tools"
    )
    remove = actions.add_parser("remove", help="remove a server (and its trust)")
    remove.add_argument("name")
    trust = actions.add_parser("trust", help="trust a server's command line or URL")
    trust.add_argument("name")
    trust.add_argument("--forget", action="store_true", help="take the trust back")
    secret = actions.add_parser(
        "secret", help="store a secret for $keyring:NAME (read from stdin or asked)"
    )
    secret.add_argument("name")
    secret.add_argument(
        "--allow-file-store",
        action="store_true",
        help="if no OS keyring works, keep it in a 0600 file in QWEN_TUI_HOME",
    )


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def run_mcp_command(args: argparse.Namespace, loaded: LoadedSettings) -> int:
    """Dispatch ``mcp`` actions; a failure is one line on stderr, never a traceback."""
    from qwen_tui.account import Account
    from qwen_tui.config import SettingsWriteError
    from qwen_tui.credentials import CredentialError

    account = Account(loaded, file_store_for_run=getattr(args, "allow_file_store", False))
    try:
        if args.mcp_command == "add":
            return _add(args, account)
        if args.mcp_command == "list":
            return _list(args, account)
        if args.mcp_command == "remove":
            return _remove(args, account)
        if args.mcp_command == "trust":
            return _trust(args, account)
        return _secret(args, account)
    except (SettingsWriteError, CredentialError, OSError) as error:
        _say(f"error: {neutralise(str(error))}")
        return EXIT_FAILURE


def _pairs(values: list[str], separator: str, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, found, rest = value.partition(separator)
        if not found or not key.strip():
            raise ValueError(f"{what} {value!r} is not {key or 'NAME'}{separator}VALUE")
        pairs[key.strip()] = rest.strip() if separator == ":" else rest
    return pairs


def _add(args: argparse.Namespace, account: Account) -> int:
    from qwen_tui.config.model import McpServerSettings
    from qwen_tui.mcp_servers.trust import identity, remember_trust

    if args.server_command[:1] == ["--"]:
        args.server_command = args.server_command[1:]
    if bool(args.url) == bool(args.server_command):
        _say("error: give either a command (after --) or --url, not both and not neither.")
        return EXIT_USAGE
    try:
        env = _pairs(args.env, "=", "--env")
        headers = _pairs(args.header, ":", "--header")
    except ValueError as error:
        _say(f"error: {neutralise(str(error))}")
        return EXIT_USAGE
    entry: dict[str, Any] = {}
    if args.url:
        entry["url"] = args.url
        if headers:
            entry["headers"] = headers
    else:
        entry["command"], *rest = args.server_command
        entry["args"] = rest
        if env:
            entry["env"] = env
        if args.cwd:
            entry["cwd"] = args.cwd
    if args.timeout:
        entry["timeout"] = args.timeout
    account.set_mcp_server(args.name, entry)
    settings = McpServerSettings.model_validate(entry)
    remember_trust(account.loaded.home, args.name, settings)
    _say(
        f"Added MCP server {neutralise(args.name)}, trusted to run: "
        f"{neutralise(identity(settings))}"
    )
    return EXIT_OK


def _list(args: argparse.Namespace, account: Account) -> int:
    from qwen_tui.mcp_servers import servers_for

    servers = servers_for(account, Path.cwd())
    if servers is None:
        print("No MCP servers are configured (`qwen-tui mcp add NAME -- COMMAND`).")
        return EXIT_OK
    asyncio.run(_show(servers, start=args.tools))
    return EXIT_OK


async def _show(servers: McpServers, *, start: bool) -> None:
    """Print each server (started first with ``start``, to show its tools), then stop
    them all."""
    from qwen_tui.mcp_servers.listing import describe

    try:
        if start:
            await servers.start_trusted()
        for connection in servers.connections():
            print("\n".join(describe(connection)))
    finally:
        await servers.aclose()


def _remove(args: argparse.Namespace, account: Account) -> int:
    from qwen_tui.mcp_servers.trust import forget_trust

    settings = account.loaded.file_settings.mcp_servers.get(args.name)
    if settings is None:
        _say(f"error: settings.json has no MCP server named {neutralise(args.name)}.")
        return EXIT_USAGE
    account.remove_mcp_server(args.name)
    forget_trust(account.loaded.home, settings)
    _say(f"Removed MCP server {neutralise(args.name)}.")
    return EXIT_OK


def _trust(args: argparse.Namespace, account: Account) -> int:
    from qwen_tui.mcp_servers.trust import forget_trust, identity, is_trusted, remember_trust

    settings = account.loaded.settings.mcp_servers.get(args.name)
    if settings is None:
        _say(f"error: there is no MCP server named {neutralise(args.name)}.")
        return EXIT_USAGE
    shown = neutralise(identity(settings))
    if args.forget:
        removed = forget_trust(account.loaded.home, settings)
        _say(f"{shown} is no longer trusted." if removed else f"{shown} was not trusted.")
        return EXIT_OK
    if is_trusted(account.loaded.home, settings):
        _say(f"{shown} is already trusted.")
        return EXIT_OK
    remember_trust(account.loaded.home, args.name, settings)
    _say(
        f"Trusted MCP server {neutralise(args.name)} to run: {shown}. A changed command or "
        "URL is asked about again; `qwen-tui mcp trust --forget NAME` undoes it."
    )
    return EXIT_OK


def _secret(args: argparse.Namespace, account: Account) -> int:
    from qwen_tui.mcp_servers.secrets import store_name

    if sys.stdin.isatty():
        value = getpass.getpass(f"Secret for $keyring:{args.name} (not shown): ")
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        _say("error: the secret is empty; nothing was stored.")
        return EXIT_USAGE
    where = account.credentials.set(store_name(args.name), value)
    _say(f"Stored the secret for $keyring:{neutralise(args.name)} in {where}.")
    return EXIT_OK
