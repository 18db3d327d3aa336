"""``qwen-tui -p PROMPT`` (headless prompt mode) run as a real process against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers.openai_server import (
    OpenAIServer,
    ScriptedError,
    closed_port,
    openai_server,
)

KEY = "sk-test-key"
NO_KEYRING = "keyring.backends.fail.Keyring"
CHAT = "/v1/chat/completions"


def environment(
    base_url: str | None = None, *, key: str | None = KEY, model: str | None = "test-model"
) -> dict[str, str]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND=NO_KEYRING)
    env.pop("PYTHONUNBUFFERED", None)  # streaming must not depend on it
    for name, value in (
        ("OPENAI_BASE_URL", base_url),
        ("OPENAI_API_KEY", key),
        ("OPENAI_MODEL", model),
    ):
        if value is not None:
            env[name] = value
    return env


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env if env is not None else environment(),
        timeout=60,
    )


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "qwen_tui", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def chat_requests(server: OpenAIServer) -> list[Any]:
    return [r.json() for r in server.requests if r.path == CHAT]


def test_answer_goes_to_stdout_and_nothing_else() -> None:
    with openai_server(chat_pieces=["Hello", ", ", "world", "!"]) as server:
        result = run("-p", "say hi", env=environment(server.base_url))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "Hello, world!\n"
        assert result.stderr == ""
        (body,) = chat_requests(server)
        assert body["model"] == "test-model"
        assert body["stream"] is True
        system, *asked = body["messages"]
        assert system["role"] == "system" and "qwen-tui" in system["content"]
        assert asked == [{"role": "user", "content": "say hi"}]
        assert server.requests[-1].authorization == f"Bearer {KEY}"


def test_answer_is_streamed_as_it_arrives() -> None:
    pieces = ["first ", "second ", "third ", "fourth ", "fifth ", "sixth"]
    with openai_server(chat_pieces=pieces, chunk_delay=0.3) as server:
        started = time.monotonic()
        with spawn("-p", "count", env=environment(server.base_url)) as process:
            assert process.stdout is not None and process.stderr is not None
            first = b""
            while not first.endswith(b"first"):
                byte = process.stdout.read(1)
                assert byte, "stdout closed before the first piece"
                first += byte
            first_at = time.monotonic() - started
            rest = process.stdout.read()
            stderr = process.stderr.read()
            process.wait(timeout=30)
            ended_at = time.monotonic() - started
        assert process.returncode == 0, stderr
        assert (first + rest).decode() == "".join(pieces) + "\n"
        # Five more pieces follow the first one at 0.3 s intervals: 1.5 s at least.
        assert ended_at - first_at > 1.2, (first_at, ended_at)


def test_prompt_from_stdin_only() -> None:
    with openai_server(chat_pieces=["ok"]) as server:
        result = run(stdin="what is 2+2?\n", env=environment(server.base_url))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "ok\n"
        (body,) = chat_requests(server)
        assert body["messages"][1:] == [{"role": "user", "content": "what is 2+2?"}]


def test_stdin_is_context_before_the_prompt() -> None:
    with openai_server(chat_pieces=["ok"]) as server:
        result = run(
            "-p", "summarise this", stdin="line one\nline two\n", env=environment(server.base_url)
        )
        assert result.returncode == 0, result.stderr
        (body,) = chat_requests(server)
        _system, message = body["messages"]
        content = message["content"]
        assert "line one\nline two" in content
        assert "summarise this" in content
        assert content.index("line two") < content.index("summarise this")


def test_json_output() -> None:
    with openai_server(chat_pieces=["4"]) as server:
        result = run("-p", "2+2", "--output", "json", env=environment(server.base_url))
        (body,) = chat_requests(server)
    # The test server counts a prompt's words as its tokens: the system message's too.
    prompt_tokens = sum(len(m["content"].split()) for m in body["messages"])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert document["text"] == "4"
    assert document["model"] == "test-model"
    assert document["finish_reason"] == "stop"
    assert document["usage"] == {"prompt_tokens": prompt_tokens, "completion_tokens": 1}
    assert document["error"] is None
    assert result.stdout.count("\n") == 1


def test_json_output_on_error() -> None:
    with openai_server(errors={CHAT: ScriptedError(500, "Boom.", type="server_error")}) as server:
        result = run("-p", "hi", "--output", "json", env=environment(server.base_url))
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["error"]["kind"] == "server"
    assert document["error"]["remedy"] == "retry"
    assert document["error"]["message"].endswith("Run the command again.")
    assert document["text"] == ""
    assert "error" in result.stderr


def test_json_output_escapes_every_control_character() -> None:
    answer = "a\x1b]0;T\x07 b\x9b2J c\x7f"
    with openai_server(chat_pieces=[answer], reasoning_pieces=["r\x9b"]) as server:
        env = environment(server.base_url)
        result = run("-p", "hi", "--output", "json", env=env)
        raw = run("-p", "hi", "--output", "json", "--raw", env=env)
    assert result.returncode == 0, result.stderr
    assert not any(0x7F <= ord(c) <= 0x9F or ord(c) < 0x20 for c in result.stdout.rstrip("\n"))
    assert "\\u009b" in result.stdout
    document = json.loads(result.stdout)
    assert document["text"] == answer  # the same value, only escaped
    assert document["reasoning"] == "r\x9b"
    assert "\x9b" in raw.stdout
    assert json.loads(raw.stdout)["text"] == answer


def test_reasoning_stays_off_stdout_but_is_in_json() -> None:
    with openai_server(reasoning_pieces=["let me ", "think"], chat_pieces=["42"]) as server:
        env = environment(server.base_url)
        text = run("-p", "answer?", env=env)
        document = json.loads(run("-p", "answer?", "--output", "json", env=env).stdout)
    assert text.returncode == 0, text.stderr
    assert text.stdout == "42\n"
    assert "think" not in text.stdout + text.stderr
    assert document["reasoning"] == "let me think"
    assert document["text"] == "42"


def test_model_flag_overrides_openai_model() -> None:
    with openai_server(models=["test-model", "other-model"], strict_model=True) as server:
        result = run("-p", "hi", "--model", "other-model", env=environment(server.base_url))
        assert result.returncode == 0, result.stderr
        assert [body["model"] for body in chat_requests(server)] == ["other-model"]


def test_provider_and_base_url_flags() -> None:
    with openai_server(api_key=None, chat_pieces=["local"]) as server:
        result = run(
            "-p",
            "hi",
            "--provider",
            "ollama",
            "--base-url",
            server.base_url,
            "--model",
            "test-model",
            env=environment(key=None, model=None),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == "local\n"
        assert len(chat_requests(server)) == 1


def test_base_url_flag_overrides_environment_but_not_with_its_key() -> None:
    with openai_server(api_key=None, chat_pieces=["here"]) as server:
        env = environment(f"http://127.0.0.1:{closed_port()}/v1")
        result = run("-p", "hi", "--base-url", server.base_url, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "here\n"
        # OPENAI_API_KEY was given for OPENAI_BASE_URL, not for the flag's server.
        assert KEY not in (server.requests[-1].authorization or "")


def test_no_provider_configured() -> None:
    result = run("-p", "hi", env=environment(key=None, model=None))
    assert result.returncode == 2
    assert "auth login" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("prompt", "stdin"), [("", ""), ("   ", "\n\n")])
def test_empty_prompt(prompt: str, stdin: str) -> None:
    with openai_server() as server:
        result = run("-p", prompt, stdin=stdin, env=environment(server.base_url))
        assert result.returncode == 2
        assert "empty" in result.stderr
        assert result.stdout == ""
        assert chat_requests(server) == []


def test_wrong_key_is_refused_and_never_printed() -> None:
    wrong = "sk-wrong-secret-9876"
    with openai_server() as server:
        result = run("-p", "hi", env=environment(server.base_url, key=wrong))
        assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert wrong not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_model_lists_the_servers_models() -> None:
    with openai_server(models=["alpha", "beta"], strict_model=True) as server:
        result = run("-p", "hi", "--model", "gamma", env=environment(server.base_url))
    assert result.returncode == 1
    assert "gamma" in result.stderr
    assert "alpha" in result.stderr and "beta" in result.stderr
    assert result.stdout == ""


def test_rate_limit_without_retry_after_is_not_retried() -> None:
    error = ScriptedError(
        429, "Rate limit reached.", type="requests", code="rate_limit_exceeded", times=None
    )
    with openai_server(errors={CHAT: error}) as server:
        started = time.monotonic()
        result = run("-p", "hi", env=environment(server.base_url))
        elapsed = time.monotonic() - started
        assert len(chat_requests(server)) == 1  # no silent retries
    assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert "Wait a moment, then run the command again." in result.stderr
    assert result.stdout == ""
    assert elapsed < 30


def test_retry_after_is_waited_for_then_asked_again() -> None:
    error = ScriptedError(
        429,
        "Rate limit reached.",
        type="requests",
        code="rate_limit_exceeded",
        headers={"Retry-After": "1"},
        times=1,
    )
    with openai_server(errors={CHAT: error}) as server:
        started = time.monotonic()
        result = run("-p", "hi", env=environment(server.base_url))
        elapsed = time.monotonic() - started
        requests = chat_requests(server)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello, world!\n"
    assert len(requests) == 2
    assert requests[0] == requests[1]
    (note,) = result.stderr.splitlines()
    assert note.startswith("qwen-tui: Rate limited (429); the server asks to wait 1 s.")
    assert "Asking again in 1 s (Ctrl+C to stop)." in note
    assert elapsed >= 1.0


def test_retry_after_longer_than_a_minute_is_not_waited_for() -> None:
    error = ScriptedError(
        429, "Slow down.", type="requests", headers={"Retry-After": "120"}, times=None
    )
    with openai_server(errors={CHAT: error}) as server:
        started = time.monotonic()
        result = run("-p", "hi", env=environment(server.base_url))
        assert time.monotonic() - started < 30
        assert len(chat_requests(server)) == 1
    assert result.returncode == 1
    assert "wait 120 s" in result.stderr
    assert "Asking again" not in result.stderr


def test_retry_after_waits_are_limited() -> None:
    error = ScriptedError(500, "Busy.", type="server_error", headers={"Retry-After": "0"})
    with openai_server(errors={CHAT: error}) as server:
        result = run("-p", "hi", env=environment(server.base_url))
        assert len(chat_requests(server)) == 4  # the question and three retries
    assert result.returncode == 1
    assert result.stderr.count("Asking again in 0 s") == 3
    assert result.stderr.splitlines()[-1].startswith("error: The server had an error (500).")


def test_web_page_at_the_base_url_is_named() -> None:
    with openai_server(mode="html") as server:
        result = run("-p", "hi", env=environment(server.base_url))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "web page, not an OpenAI-compatible API" in result.stderr
    assert "--base-url" in result.stderr
    assert "no choices" not in result.stderr


def test_stdin_that_is_not_utf8_is_sent_with_replacements() -> None:
    with openai_server(chat_pieces=["ok"]) as server:
        result = subprocess.run(
            [sys.executable, "-m", "qwen_tui", "-p", "x"],
            input=b"caf\xe9",
            capture_output=True,
            env=environment(server.base_url),
            timeout=60,
        )
        (body,) = chat_requests(server)
    stderr = result.stderr.decode()
    assert result.returncode == 0, stderr
    assert body["messages"][-1]["content"] == "caf\ufffd\n\nx"
    assert "standard input is not valid UTF-8" in stderr
    assert "malformed" not in stderr and "server" not in stderr


def test_prompt_argument_that_is_not_utf8() -> None:
    with openai_server(chat_pieces=["ok"]) as server:
        result = subprocess.run(
            [sys.executable, "-m", "qwen_tui", "-p", b"caf\xe9"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=environment(server.base_url),
            timeout=60,
        )
        (body,) = chat_requests(server)
    assert result.returncode == 0, result.stderr
    assert body["messages"][-1]["content"] == "caf\ufffd"
    assert b"-p text is not valid UTF-8" in result.stderr


def test_stdin_larger_than_the_limit_is_refused() -> None:
    from qwen_tui.headless.prompt import STDIN_LIMIT

    with openai_server() as server:
        result = run("-p", "x", stdin="a" * (STDIN_LIMIT + 1), env=environment(server.base_url))
        assert chat_requests(server) == []
    assert result.returncode == 2
    assert "larger than 8 MB" in result.stderr
    assert result.stdout == ""


def test_stdin_at_the_limit_is_sent() -> None:
    from qwen_tui.headless.prompt import STDIN_LIMIT

    with openai_server(chat_pieces=["ok"]) as server:
        result = run(stdin="a" * STDIN_LIMIT, env=environment(server.base_url))
        (body,) = chat_requests(server)
    assert result.returncode == 0, result.stderr
    assert len(body["messages"][-1]["content"]) == STDIN_LIMIT


@pytest.mark.parametrize("url", ["example.com/v1", "localhost:8080/v1"])
def test_base_url_without_a_scheme_is_a_usage_error(url: str) -> None:
    result = run("-p", "hi", "--base-url", url, "--model", "m", env=environment())
    assert result.returncode == 2
    assert "no scheme" in result.stderr
    assert "Traceback" not in result.stderr


def test_resume_of_a_missing_session_says_so() -> None:
    result = run("--resume", "nosuch", env=environment())
    assert result.returncode == 2
    assert "No saved session with id 'nosuch'" in result.stderr
    assert "empty" not in result.stderr


def test_continue_without_a_terminal_says_why() -> None:
    result = run("--continue", env=environment())
    assert result.returncode == 2
    assert "no saved conversation" in result.stderr
    assert "empty" not in result.stderr


def test_provider_without_a_model_names_the_flag() -> None:
    result = run("--provider", "ollama", "-p", "hi", env=environment(key=None, model=None))
    assert result.returncode == 1
    assert "No model is chosen." in result.stderr
    assert "--model" in result.stderr
    assert "/model" not in result.stderr


def test_answer_without_choices_is_an_error() -> None:
    with openai_server(no_choices=True) as server:
        result = run("-p", "hi", env=environment(server.base_url))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no choices" in result.stderr
    assert "Run the command again, or try another model with --model." in result.stderr
    assert "Ctrl+R" not in result.stderr


def test_connection_refused() -> None:
    result = run("-p", "hi", env=environment(f"http://127.0.0.1:{closed_port()}/v1"))
    assert result.returncode == 1
    assert result.stderr.startswith("error:")
    assert "--base-url" in result.stderr and "/auth" not in result.stderr
    assert "connection refused" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_dropped_stream_keeps_the_partial_answer() -> None:
    with openai_server(chat_pieces=["Part", "ial", " never", " seen"], drop_after=2) as server:
        result = run("-p", "hi", env=environment(server.base_url))
    assert result.returncode == 1
    assert result.stdout.startswith("Partial")
    assert "never" not in result.stdout
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_closed_stdout_pipe_is_quiet() -> None:
    pieces = [f"piece{n} " for n in range(40)]
    with (
        openai_server(chat_pieces=pieces, chunk_delay=0.02) as server,
        spawn("-p", "long answer", env=environment(server.base_url)) as process,
    ):
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(1) == b"p"
        process.stdout.close()
        stderr = process.stderr.read().decode()
        process.wait(timeout=30)
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr
    assert "Exception ignored" not in stderr
    assert process.returncode == 1


def test_environment_key_is_not_sent_to_another_provider(isolated_home: Path) -> None:
    with openai_server(api_key=None, chat_pieces=["fine"]) as server:
        isolated_home.mkdir(parents=True, exist_ok=True)
        settings = {
            "security": {"auth": {"selectedType": "openai"}},
            "model": {"provider": "ollama", "baseUrl": server.base_url, "name": "test-model"},
        }
        (isolated_home / "settings.json").write_text(json.dumps(settings))
        result = run("-p", "hi", env=environment(key="sk-leak", model=None))
        assert result.returncode == 0, result.stderr
        assert result.stdout == "fine\n"
        chats = [r for r in server.requests if r.path == CHAT]
        assert len(chats) == 1
        assert "sk-leak" not in (chats[0].authorization or "")
        assert all(b"sk-leak" not in r.body for r in server.requests)
