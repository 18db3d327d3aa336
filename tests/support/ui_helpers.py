"""Helpers for pilot tests: build the app around a temporary home and fake keyrings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.pilot import Pilot
from textual.widgets import Input, Select

from qwen_tui.config import load_settings
from qwen_tui.ui.app import QwenTuiApp
from qwen_tui.ui.services import AppServices
from tests.support.servers.openai_server import closed_port
from tests.support.waiting import PATIENCE, POLL, Message, async_holds_for, async_wait_until

if TYPE_CHECKING:
    from qwen_tui.ui.screens.welcome import WelcomeScreen

LOCAL_PRESETS = ("ollama", "lmstudio", "llamacpp", "vllm")


def closed_local_ports(**running: int) -> dict[str, int]:
    """Point every local preset at a closed port, except those given as running."""
    return {name: running.get(name, closed_port()) for name in LOCAL_PRESETS}


def make_app(
    *,
    keyring_backend: Any = None,
    local_ports: dict[str, int] | None = None,
    flags: dict[str, Any] | None = None,
    local_probe_timeout: float = 1.0,
) -> QwenTuiApp:
    """The real app with injected backends; no local probe touches the usual ports."""
    ports = local_ports if local_ports is not None else closed_local_ports()
    services = AppServices(
        load_settings(flags or {}),
        flags=flags or {},
        local_ports=ports,
        keyring_backend=keyring_backend,
        local_probe_timeout=local_probe_timeout,
    )
    return QwenTuiApp(services)


async def wait_until(
    pilot: Pilot[Any],
    predicate: Callable[[], bool],
    timeout: float = PATIENCE,  # noqa: ASYNC109
) -> None:
    """Let the app run until ``predicate`` holds; fail after ``timeout`` seconds.

    The timeout only bounds a hang (see ``tests.support.waiting``): a busy machine is slow,
    not broken.
    """
    await async_wait_until(predicate, timeout=timeout, pause=lambda: pilot.pause(POLL))


async def holds_for(
    pilot: Pilot[Any],
    predicate: Callable[[], bool],
    seconds: float,
    message: Message = "condition broke within the window",
) -> None:
    """Let the app run for ``seconds``; fail with ``message`` as soon as ``predicate``
    stops holding."""
    await async_holds_for(predicate, seconds, message, pause=lambda: pilot.pause(POLL))


async def choose_custom_provider(pilot: Pilot[Any], screen: WelcomeScreen) -> None:
    """Pick the custom provider on the welcome screen and wait until the choice has
    emptied the base URL field (every preset has a URL), so that a URL set next is not
    overwritten by it."""
    screen.query_one("#provider", Select).value = "custom"
    await wait_until(pilot, lambda: screen.query_one("#base-url", Input).value == "")
