"""The layering rule: nothing below ``ui`` imports textual, and start-up stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEADLESS_PACKAGES = [
    "qwen_tui.net",
    "qwen_tui.config",
    "qwen_tui.credentials",
    "qwen_tui.providers",
    "qwen_tui.providers.signin",
    "qwen_tui.account",
    "qwen_tui.chat",
    "qwen_tui.telemetry",
    "qwen_tui.mcp_servers",
    "qwen_tui.headless.auth",
    "qwen_tui.headless.qwen_oauth",
]


def imported_modules(module: str) -> set[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("module", HEADLESS_PACKAGES)
def test_backend_layers_do_not_import_textual(module: str) -> None:
    modules = imported_modules(module)
    assert module in modules
    assert not {name for name in modules if name == "textual" or name.startswith("textual.")}


@pytest.mark.parametrize(
    "module", ["qwen_tui.cli", "qwen_tui.ui.app", "qwen_tui.providers", "qwen_tui.account"]
)
def test_openai_is_not_imported_at_start_up(module: str) -> None:
    modules = imported_modules(module)
    assert "openai" not in modules
    assert "authlib" not in modules


@pytest.mark.parametrize("module", ["qwen_tui.ui.app", "qwen_tui.ui.screens.welcome"])
def test_the_first_frame_does_not_wait_for_httpx(module: str) -> None:
    """The welcome screen names Qwen OAuth's state at once; the HTTP of a sign-in (key
    check, one-token test request) is imported when it is first used."""
    modules = imported_modules(module)
    assert "httpx" not in modules
    assert "qwen_tui.providers.probe" not in modules


@pytest.mark.parametrize(
    "module", ["qwen_tui.cli", "qwen_tui.ui.app", "qwen_tui.agent.loop", "qwen_tui.mcp_servers"]
)
def test_the_mcp_sdk_is_not_imported_at_start_up(module: str) -> None:
    """The SDK costs most of a second; only a configured server pays for it."""
    modules = imported_modules(module)
    assert not {name for name in modules if name in ("mcp", "mcp_types") or name.startswith("mcp.")}
