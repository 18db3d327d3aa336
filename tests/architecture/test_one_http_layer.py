"""All HTTP goes through the network ledger's clients: no module builds one elsewhere.

A client built anywhere else would send requests the ledger never sees, and the
Privacy tab and ``qwen-tui audit`` would under-report. The check reads the source of
every module (calls inside functions count too).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import qwen_tui

PACKAGE = Path(qwen_tui.__file__).parent

CLIENT_BUILDERS = frozenset(
    {
        "Client",
        "AsyncClient",
        "DefaultHttpxClient",
        "DefaultAsyncHttpxClient",
        "HTTPTransport",
        "AsyncHTTPTransport",
        "HTTPConnection",
        "HTTPSConnection",
        "create_connection",
        "open_connection",
        "urlopen",
        "build_opener",
    }
)
"""What makes a connection or a client: httpx and httpx2, the openai SDK's own clients,
the standard library's HTTP and sockets, asyncio streams."""

ALLOWED = {
    "net/clients.py": {"Client", "AsyncClient"},
    "net/httpx2_clients.py": {"AsyncClient"},
    # The MCP SDK's session ``Client``, not an HTTP one: its streamable HTTP transport
    # is given the ledger's client (``providers/http_policy.mcp_http_client``).
    "mcp_servers/connection.py": {"Client"},
    # The usage-statistics export stays on the standard library (see its docstring) and
    # records each exchange in the ledger itself.
    "telemetry/transport.py": {"build_opener"},
}


def _called_names(tree: ast.AST) -> list[tuple[str, int]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            names.append((name, node.lineno))
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
                names.append((name, node.lineno))
    return names


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_client_is_built_outside_the_ledger(path: Path) -> None:
    where = str(path.relative_to(PACKAGE))
    allowed = ALLOWED.get(where, set())
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        f"{where}:{line} {name}"
        for name, line in _called_names(tree)
        if name in CLIENT_BUILDERS and name not in allowed
    ]
    assert not found, "build clients with qwen_tui.net.clients: " + ", ".join(found)


def test_the_openai_sdk_is_given_the_ledger_client() -> None:
    calls = [
        (path, node)
        for path in modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"AsyncOpenAI", "OpenAI"}
    ]
    assert calls, "the chat service builds an AsyncOpenAI client"
    for path, call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        client = keywords.get("http_client")
        assert isinstance(client, ast.Call), f"{path}: AsyncOpenAI without http_client="
        assert getattr(client.func, "id", "") == "openai_client", path


def test_the_check_finds_a_client_built_elsewhere() -> None:
    source = "import httpx\n\ndef f():\n    return httpx.AsyncClient(timeout=1)\n"
    assert ("AsyncClient", 4) in _called_names(ast.parse(source))
