"""Trust is given to an exact command line or URL; secrets are named, never written."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from qwen_tui.config.model import McpServerSettings
from qwen_tui.mcp_servers.secrets import MissingSecret, resolve, shown_value
from qwen_tui.mcp_servers.tools import exposed_name, result_text
from qwen_tui.mcp_servers.trust import forget_trust, identity, is_trusted, remember_trust


def test_trust_is_for_the_exact_command_line(tmp_path: Path) -> None:
    server = McpServerSettings(command="npx", args=["-y", "some server"], env={"K": "v"})
    assert identity(server) == "npx -y 'some server'"
    assert not is_trusted(tmp_path, server)
    path = remember_trust(tmp_path, "files", server)
    assert is_trusted(tmp_path, server)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert "v" not in json.loads(path.read_text())[identity(server)].values()
    # Another argument, folder or environment: asked again.
    assert not is_trusted(tmp_path, server.model_copy(update={"args": ["-y", "other"]}))
    assert not is_trusted(tmp_path, server.model_copy(update={"cwd": "/elsewhere"}))
    assert not is_trusted(tmp_path, server.model_copy(update={"env": {"LD_PRELOAD": "x.so"}}))
    assert is_trusted(tmp_path, server.model_copy(update={"timeout": 5000}))
    assert forget_trust(tmp_path, server) and not is_trusted(tmp_path, server)


def test_an_http_server_is_trusted_by_its_url(tmp_path: Path) -> None:
    server = McpServerSettings(url="https://mcp.example.com/mcp", headers={"A": "b"})
    assert identity(server) == "https://mcp.example.com/mcp"
    remember_trust(tmp_path, "web", server)
    assert is_trusted(tmp_path, server)
    assert not is_trusted(tmp_path, McpServerSettings(url="https://evil.example.com/mcp"))
    assert not is_trusted(tmp_path, server.model_copy(update={"headers": {"A": "c"}}))


def test_a_damaged_trust_file_trusts_nothing(tmp_path: Path) -> None:
    (tmp_path / "trustedMcpServers.json").write_text("{not json")
    assert not is_trusted(tmp_path, McpServerSettings(command="x"))


def test_keyring_references_are_resolved_and_shown_as_written() -> None:
    stored = {"mcp:gh": "ghp_0123456789abcdefXYZ"}
    values = {"Authorization": "Bearer $keyring:gh", "X-Plain": "literal-token-0123456789"}
    assert resolve(values, stored.get) == (
        {"Authorization": "Bearer ghp_0123456789abcdefXYZ", "X-Plain": "literal-token-0123456789"},
        ["ghp_0123456789abcdefXYZ"],
    )
    assert shown_value(values["Authorization"]) == "Bearer $keyring:gh"
    assert "0123456789" not in shown_value(values["X-Plain"])
    with pytest.raises(MissingSecret, match="qwen-tui mcp secret other"):
        resolve({"A": "$keyring:other"}, stored.get)


def test_tool_names_are_what_the_tools_api_accepts() -> None:
    assert exposed_name("files", "read") == "files__read"
    assert exposed_name("my server", "do.it/now") == "my_server__do_it_now"
    assert len(exposed_name("s" * 40, "t" * 40)) == 64


def test_results_are_text_and_other_content_is_summarised() -> None:
    result = SimpleNamespace(
        content=[
            SimpleNamespace(type="text", text="hello"),
            SimpleNamespace(type="image", mime_type="image/png", data="aGVsbG8="),
        ],
        structured_content=None,
        is_error=False,
    )
    ok, text = result_text(result)
    assert ok and text == "hello\n[image content, image/png, 8 characters of base64, not shown]"
    failed = SimpleNamespace(content=[SimpleNamespace(type="text", text="no")], is_error=True)
    assert result_text(failed) == (False, "Error from the tool: no")


def test_the_trust_question_shows_the_environment_with_secrets_masked() -> None:
    from qwen_tui.mcp_servers.listing import what_is_trusted

    server = McpServerSettings(
        command="node",
        args=["server.js"],
        env={"TOKEN": "$keyring:t", "KEY": "sk-live-0123456789abc"},
    )
    assert what_is_trusted(server) == "node server.js\nwith TOKEN = $keyring:t\nwith KEY = sk-…9abc"


def test_the_copied_json_rpc_codes_are_the_sdks() -> None:
    import mcp_types

    from qwen_tui.mcp_servers import failures

    assert failures.REQUEST_TIMEOUT == mcp_types.REQUEST_TIMEOUT
    assert failures.CONNECTION_CLOSED == mcp_types.CONNECTION_CLOSED
