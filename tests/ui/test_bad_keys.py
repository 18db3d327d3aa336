"""A key with a line break, a space, a control or a non-ASCII character is refused where
it is entered (welcome screen, ``auth login``, ``OPENAI_API_KEY`` for ``-p``), is never
sent, and appears in no output, screen, log or file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Button, Input, Static

from qwen_tui.providers import ProviderError
from qwen_tui.providers.api_keys import clean_api_key, key_problem
from qwen_tui.ui.screens.welcome import WelcomeScreen
from tests.support.credentials_fixtures import MemoryKeyring
from tests.support.servers.openai_server import openai_server
from tests.support.ui_helpers import choose_custom_provider, make_app, wait_until

# Each key has two halves that identify it; neither may appear anywhere.
HEAD, TAIL = "sk-Hq7Zt2Wm", "Pv4Ls9Nx3Kc"
BAD_KEYS = {
    "newline": (f"{HEAD}\n-{TAIL}", "a line break at position 12"),
    "space": (f"{HEAD} {TAIL}", "a space at position 12"),
    "control": (f"{HEAD}\x07{TAIL}", "an invisible or control character (U+0007) at position 12"),
    "non-ascii": (f"{HEAD}\u201d{TAIL}", "a curly quote (\u201d) at position 12"),
}
NO_KEYRING = "keyring.backends.fail.Keyring"


def leaks(text: str | bytes) -> bool:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return HEAD.encode() in data or TAIL.encode() in data


def files_with_the_key(home: Path) -> list[Path]:
    """Files under ``home`` (logs, settings, sessions, backups…) that hold the key."""
    if not home.exists():
        return []
    return [path for path in home.rglob("*") if path.is_file() and leaks(path.read_bytes())]


def text_of(screen: WelcomeScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


# ----- the rule itself -----------------------------------------------------------------


@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_bad_characters_are_named_with_their_position(name: str) -> None:
    key, found = BAD_KEYS[name]
    with pytest.raises(ProviderError) as caught:
        clean_api_key(f"  {key}\n")
    assert caught.value.kind == "auth"
    assert caught.value.message.startswith(f"The key contains {found} — ")
    assert not leaks(caught.value.message)


def test_good_keys_are_stripped_only() -> None:
    assert clean_api_key("  sk-abc_DEF.123/+=~\n") == "sk-abc_DEF.123/+=~"
    assert clean_api_key("   ") is None
    assert clean_api_key(None) is None
    assert key_problem("sk-\u2013x") == (
        "The key contains a typographic dash (\u2013) at position 4 — type a plain hyphen "
        "(-) there, or copy the key again from the provider."
    )
    assert "U+200B" in (key_problem("sk\u200bx") or "")
    assert "non-ASCII character (é, U+00E9)" in (key_problem("sk-é") or "")


# ----- the welcome screen --------------------------------------------------------------


async def test_welcome_screen_refuses_each_bad_key(isolated_home: Path) -> None:
    keyring = MemoryKeyring()
    with openai_server(api_key="sk-good-key") as server:
        app = make_app(keyring_backend=keyring)
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await choose_custom_provider(pilot, screen)
            screen.query_one("#base-url", Input).value = server.base_url
            for key, found in BAD_KEYS.values():
                screen.query_one("#api-key", Input).value = key
                await pilot.pause()
                await pilot.press("ctrl+s")
                await wait_until(pilot, lambda: bool(text_of(screen, "#key-error")))
                assert found in text_of(screen, "#key-error")
                assert not screen._busy
                assert not screen.query_one("#verify", Button).disabled
                assert not leaks(app.export_screenshot())
        assert server.requests == []
    assert keyring.items == {}
    assert files_with_the_key(isolated_home) == []


async def test_welcome_screen_survives_any_error_in_the_check(isolated_home: Path) -> None:
    """Whatever the check raises, the screen says so and Ctrl+S works again."""
    key = HEAD + TAIL
    app = make_app(keyring_backend=MemoryKeyring())
    calls: list[str] = []

    async def explode(*args: Any, **kwargs: Any) -> list[str]:
        calls.append("verify")
        raise UnicodeEncodeError("ascii", f"Bearer {key}", 7, 8, f"bad {key!r}")

    async with app.run_test(size=(110, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, WelcomeScreen)
        app.services.registry.verify_key = explode  # type: ignore[method-assign]
        await choose_custom_provider(pilot, screen)
        screen.query_one("#base-url", Input).value = "http://127.0.0.1:9/v1"
        screen.query_one("#api-key", Input).value = key
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "unexpectedly" in str(screen.query_one("#status").render()))
        status = str(screen.query_one("#status", Static).render())
        assert "UnicodeEncodeError" in status
        assert not leaks(status)
        assert not screen._busy
        assert not leaks(app.export_screenshot())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(calls) == 2)
    assert files_with_the_key(isolated_home) == []


# ----- auth login and -p, as real processes --------------------------------------------


def run_cli(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Any:
    environment = dict(os.environ, PYTHON_KEYRING_BACKEND=NO_KEYRING)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_auth_login_refuses_a_bad_key_in_one_line(name: str, isolated_home: Path) -> None:
    key, found = BAD_KEYS[name]
    with openai_server(api_key="sk-good-key") as server:
        result = run_cli(
            "auth", "login", "--base-url", server.base_url, "--allow-file-store", stdin=key + "\n"
        )
        assert server.requests == []
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: The key contains {found} — {errors[0].split(' — ', 1)[1]}"]
    assert "Traceback" not in result.stderr
    assert not leaks(result.stdout + result.stderr)
    assert files_with_the_key(isolated_home) == []
    assert not (isolated_home / "credentials.json").exists()


def test_auth_login_turns_an_unexpected_error_into_one_line(
    isolated_home: Path, tmp_path: Path
) -> None:
    """A failure nobody planned for: one line, no traceback, no key, non-zero exit."""
    key = HEAD + TAIL
    wrapper = tmp_path / "explode.py"
    wrapper.write_text(
        "import sys\n"
        "import qwen_tui.providers.signin as signin\n"
        "async def explode(*args, **kwargs):\n"
        "    raise RuntimeError('header refused: ' + repr(('Bearer ' + args[3]).encode()))\n"
        "signin.check_api_key = explode\n"
        "from qwen_tui.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    environment = dict(os.environ, PYTHON_KEYRING_BACKEND=NO_KEYRING)
    result = subprocess.run(
        [sys.executable, str(wrapper), "auth", "login", "--base-url", "http://127.0.0.1:9/v1"],
        input=key + "\n",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "error: auth login failed unexpectedly (RuntimeError: header refused: "
        "b'Bearer [redacted]')."
    )
    assert not leaks(result.stderr + result.stdout)


@pytest.mark.parametrize("name", list(BAD_KEYS))
def test_prompt_mode_refuses_a_bad_key_from_the_environment(name: str, isolated_home: Path) -> None:
    key, found = BAD_KEYS[name]
    with openai_server(api_key="sk-good-key") as server:
        result = run_cli(
            "-p",
            "hello",
            env={"OPENAI_API_KEY": key, "OPENAI_BASE_URL": server.base_url, "OPENAI_MODEL": "m"},
        )
        assert server.requests == []
    assert result.returncode != 0
    assert f"OPENAI_API_KEY contains {found}" in result.stderr
    assert "malformed" not in result.stderr
    assert "Traceback" not in result.stderr
    assert not leaks(result.stdout + result.stderr)
    assert files_with_the_key(isolated_home) == []


async def test_a_pasted_key_on_one_line_is_taken_once() -> None:
    app = make_app(keyring_backend=MemoryKeyring())
    async with app.run_test(size=(110, 45)) as pilot:
        screen = app.screen
        assert isinstance(screen, WelcomeScreen)
        field = screen.query_one("#api-key", Input)
        field.focus()
        field.post_message(events.Paste("sk-one-line"))
        await wait_until(pilot, lambda: bool(field.value))
        await pilot.pause()
        assert field.value == "sk-one-line"


async def test_a_pasted_key_with_a_line_break_is_refused_not_cut(isolated_home: Path) -> None:
    """A paste keeps the whole key, so the break is named instead of a shorter key sent."""
    key, found = BAD_KEYS["newline"]
    with openai_server(api_key=HEAD) as server:
        app = make_app(keyring_backend=MemoryKeyring())
        async with app.run_test(size=(110, 45)) as pilot:
            screen = app.screen
            assert isinstance(screen, WelcomeScreen)
            await choose_custom_provider(pilot, screen)
            screen.query_one("#base-url", Input).value = server.base_url
            field = screen.query_one("#api-key", Input)
            field.focus()
            field.post_message(events.Paste(f"\n{key}\n"))
            await wait_until(pilot, lambda: field.value == key)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: bool(text_of(screen, "#key-error")))
            assert found in text_of(screen, "#key-error")
            assert not leaks(app.export_screenshot())
        assert server.requests == []
