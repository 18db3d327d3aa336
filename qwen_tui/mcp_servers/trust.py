"""Which MCP servers the user trusts: a server starts only after its exact command line
or URL was trusted once.

A server is a program the app starts (or an endpoint it sends the model's arguments
to), and ``mcpServers`` may come from a settings file the user did not write by hand.
So, as with a project's ``.env`` (:mod:`qwen_tui.config.trust`), trust is a decision
about what will run, remembered in ``$QWEN_TUI_HOME/trustedMcpServers.json`` keyed by
the server's identity (:func:`identity`): change the command, its arguments, its folder
or the URL, and the user is asked again. The entry's ``env`` and ``headers`` are bound
to the trust too, as a hash (:func:`fingerprint`): a trusted command line started with
another ``LD_PRELOAD`` or ``PYTHONPATH`` is another program. The file never holds a
value itself.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from pathlib import Path

from qwen_tui.config.model import McpServerSettings
from qwen_tui.config.trust import read_entries, write_entries

TRUST_FILE = "trustedMcpServers.json"
TRUST_LEVEL = "TRUST_SERVER"


def identity(server: McpServerSettings) -> str:
    """What the user trusts, in the words they are shown: the command line (and its
    folder) of a stdio server, or the URL of an HTTP one."""
    if server.url and not server.command:
        return server.url
    line = shlex.join([server.command or "", *server.args])
    return f"{line}  (in {server.cwd})" if server.cwd else line


def fingerprint(server: McpServerSettings) -> str:
    """A hash of everything that decides what runs (or where requests go)."""
    bound = {
        "command": server.command,
        "args": server.args,
        "cwd": server.cwd,
        "env": server.env,
        "url": server.url,
        "headers": server.headers,
    }
    digest = hashlib.sha256(json.dumps(bound, sort_keys=True, ensure_ascii=False).encode())
    return "sha256:" + digest.hexdigest()


def trust_file(home: Path) -> Path:
    """The trusted-servers file inside the state folder."""
    return home / TRUST_FILE


def is_trusted(home: Path, server: McpServerSettings) -> bool:
    """Whether exactly this command line or URL, with these ``env`` and ``headers``,
    was trusted."""
    entry = read_entries(trust_file(home)).get(identity(server))
    return (
        isinstance(entry, dict)
        and entry.get("level") == TRUST_LEVEL
        and entry.get("fingerprint") == fingerprint(server)
    )


def remember_trust(home: Path, name: str, server: McpServerSettings) -> Path:
    """Record that the user trusts this server's command line or URL.

    Returns:
        The trusted-servers file.

    Raises:
        OSError: the file cannot be written; nothing is trusted then.
    """
    entries = read_entries(trust_file(home))
    entries[identity(server)] = {
        "level": TRUST_LEVEL,
        "name": name,
        "fingerprint": fingerprint(server),
        "trustedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = trust_file(home)
    write_entries(path, entries)
    return path


def forget_trust(home: Path, server: McpServerSettings) -> bool:
    """Take the trust back; True if there was any.

    Raises:
        OSError: the file cannot be written.
    """
    entries = read_entries(trust_file(home))
    if entries.pop(identity(server), None) is None:
        return False
    write_entries(trust_file(home), entries)
    return True
