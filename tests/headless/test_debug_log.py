"""``--debug`` writes a private log of what happened, with no secret in any form, and
``--help`` names what works on the command line."""

from __future__ import annotations

import argparse
import base64
import logging
import stat
import sys
from pathlib import Path
from urllib.parse import quote

from qwen_tui.cli import BUILT_IN_PROVIDERS, build_parser
from qwen_tui.config.debug_log import RedactingFilter, mask, remember_secret
from qwen_tui.providers import ProviderRegistry
from tests.headless.test_cli_prompt import environment, run
from tests.support.servers.openai_server import ScriptedError, openai_server

KEY = "sk-test-key"


def test_debug_log_records_the_run_without_the_key(isolated_home: Path) -> None:
    with openai_server(api_key=KEY) as server:
        server.options.errors["/v1/chat/completions"] = ScriptedError(
            500, message=f"server echoes Bearer {KEY} back", times=1
        )
        failed = run("--debug", "-p", "hi", env=environment(server.base_url))
        answered = run("--debug", "-p", "hi", env=environment(server.base_url))
    assert failed.returncode == 1
    assert answered.returncode == 0, answered.stderr
    log = isolated_home / "logs" / "debug.log"
    assert f"Debug log: {log}" in answered.stderr
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    text = log.read_text()
    assert f"at {server.base_url.rsplit('/', 1)[0]}, model test-model, key present" in text
    assert "answer failed: server (HTTP 500)" in text
    assert "answer from test-model" in text
    assert "POST" in text  # the HTTP library's own records are there too
    for form in (KEY, base64.b64encode(KEY.encode()).decode(), quote(KEY)):
        assert form not in text


def test_nothing_is_logged_without_debug(isolated_home: Path) -> None:
    with openai_server(api_key=KEY) as server:
        result = run("-p", "hi", env=environment(server.base_url))
    assert result.returncode == 0
    assert not (isolated_home / "logs").exists()
    assert "Debug log" not in result.stderr


def test_credential_shapes_are_masked_even_when_not_noted() -> None:
    line = (
        "headers={'authorization': 'Bearer abcdefghijkl123'} "
        "api_key=zzzzzzzzzzzz refresh_token: rrrrrrrrrrrr sk-unnoted1234567890"
    )
    masked = mask(line)
    for secret in ("abcdefghijkl123", "zzzzzzzzzzzz", "rrrrrrrrrrrr", "sk-unnoted1234567890"):
        assert secret not in masked
    assert "[redacted]" in masked


def test_the_filter_masks_arguments_and_tracebacks() -> None:
    remember_secret("noted-secret-value-42")
    record = logging.LogRecord(
        "httpx",
        logging.DEBUG,
        __file__,
        1,
        "sent %s \x1b]0;t\x07",
        ("noted-secret-value-42",),
        None,
    )
    try:
        raise ValueError("failed with noted-secret-value-42")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert record.getMessage() == "sent [redacted] ␛]0;t␇"
    assert record.exc_text is not None and "noted-secret-value-42" not in record.exc_text


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of subcommand ``name``: argparse keeps it in its subparsers action."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = action.choices[name]
    return found


def test_help_lists_the_provider_ids_and_plain_metavars() -> None:
    assert set(BUILT_IN_PROVIDERS) == set(ProviderRegistry([]).ids())
    help_text = build_parser().format_help()
    for provider in BUILT_IN_PROVIDERS:
        assert provider in help_text
    assert "--provider ID" in help_text
    login = _subcommand(_subcommand(build_parser(), "auth"), "login")
    text = login.format_help()
    assert "LOGIN_" not in text
    assert "--provider ID" in text and "--base-url URL" in text and "--model MODEL" in text
    assert "usage: qwen-tui auth login" in text


def test_failures_say_nothing_extra_without_debug(isolated_home: Path) -> None:
    with openai_server(api_key=KEY) as server:
        server.options.errors["/v1/chat/completions"] = ScriptedError(500, message="down")
        result = run("-p", "hi", env=environment(server.base_url))
    assert result.returncode == 1
    assert result.stderr.startswith("error:"), result.stderr
