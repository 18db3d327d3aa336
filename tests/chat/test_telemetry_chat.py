"""Telemetry wired into the chat service and ``qwen-tui -p``, against a real OpenAI-style
server and a real OTLP collector: nothing without consent under Qwen OAuth, only
allow-listed events with it, and never a word of the prompt, answer or error text."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import keyring
import keyring.backends.fail
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qwen_tui.chat.events import ChatEvent
from qwen_tui.chat.service import ChatService
from qwen_tui.config import load_settings
from qwen_tui.headless.prompt import EXIT_FLUSH_SECONDS, run_prompt
from qwen_tui.providers import ProviderRegistry
from qwen_tui.providers.qwen_oauth import OAuthTokens
from qwen_tui.providers.registry import ActiveProvider
from qwen_tui.telemetry import EVENT_TYPES, Telemetry
from qwen_tui.telemetry import events as schema
from tests.support.account_helpers import store_qwen_sign_in
from tests.support.servers.device_flow_server import device_flow_server
from tests.support.servers.openai_server import OpenAIServer, ScriptedError, openai_server
from tests.support.servers.otlp_collector import OTLPCollector, otlp_collector
from tests.support.telemetry_log import read_records
from tests.support.waiting import LOAD_SLACK

KEY = "sk-telemetry-test-key"
CHAT = "/v1/chat/completions"
INSTALL_ID = "feedfacefeedfacefeedfacefeedface"
NO_KEYRING = "keyring.backends.fail.Keyring"


# ---------------------------------------------------------------------- helpers


class EventSpy:
    """Counts every event built anywhere in this process (wraps ``__init__``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.built: list[str] = []
        for event_type in EVENT_TYPES:
            original = event_type.__init__

            def spy(
                self_: Any, _original: Any = original, _name: str = event_type.name, **data: Any
            ) -> None:
                self.built.append(_name)
                _original(self_, **data)

            monkeypatch.setattr(event_type, "__init__", spy)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> EventSpy:
    return EventSpy(monkeypatch)


@pytest.fixture
def collector() -> Iterator[OTLPCollector]:
    with otlp_collector() as running:
        yield running


def qwen_active(server: OpenAIServer, provider: str = "qwen") -> ActiveProvider:
    registry = ProviderRegistry()
    return ActiveProvider(registry.get(provider), server.base_url, "test-model", KEY)


def telemetry_for(
    home: Path, collector: OTLPCollector, *, enabled: bool | None = True, auth: str = "qwen-oauth"
) -> Telemetry:
    return Telemetry(
        home,
        enabled=enabled,
        auth_method=auth,
        otlp_endpoint=collector.url,
        install_id=INSTALL_ID,
    )


async def converse(service: ChatService, prompts: list[str]) -> list[ChatEvent]:
    events: list[ChatEvent] = []
    for prompt in prompts:
        events += [event async for event in service.stream([{"role": "user", "content": prompt}])]
    await service.aclose()
    return events


def attributes(record: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in record["attributes"]:
        ((_, value),) = item["value"].items()
        values[item["key"]] = value
    return values


def vocabulary() -> set[str]:
    """Every string an event may legitimately contain."""
    words = {"event.name", "module", "function", "line", "other"}
    for event_type in EVENT_TYPES:
        words.add("qwen_tui." + event_type.name)
        words.update(event_type.model_fields)
    for closed in (
        schema.CommandName,
        schema.ScreenName,
        schema.AuthMethodName,
        schema.ProviderId,
        schema.ErrorKind,
        schema.AppMode,
        schema.ToolName,
        schema.ToolDecisionName,
    ):
        words.update(get_args(closed))
    return words


def string_leaves(value: Any) -> Iterator[str]:
    """Every string in a JSON document except decimal-number strings (OTLP int64s)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from string_leaves(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from string_leaves(inner)
    elif isinstance(value, str) and not value.lstrip("-").isdigit():
        yield value


RECORD_KEYS = {
    "timeUnixNano",
    "observedTimeUnixNano",
    "severityNumber",
    "severityText",
    "eventName",
    "body",
    "attributes",
    "key",
    "value",
    "stringValue",
    "intValue",
    "doubleValue",
    "boolValue",
    "arrayValue",
    "kvlistValue",
    "values",
    "INFO",
    "ERROR",
    "FATAL",
    "WARN",
}


def assert_allow_listed(records: list[dict[str, Any]]) -> None:
    allowed = vocabulary() | RECORD_KEYS
    for record in records:
        unexpected = set(string_leaves(record)) - allowed
        assert not unexpected, (unexpected, record)


def assert_no_text_of(texts: list[str], records: list[dict[str, Any]]) -> None:
    """No 4-character window of any text appears in the records' strings, except
    windows that are part of the events' own vocabulary (``auth``, ``other`` …)."""
    known = "\n".join(vocabulary() | RECORD_KEYS)
    sent = "\n".join(leaf for record in records for leaf in string_leaves(record))
    for text in texts:
        for start in range(max(0, len(text) - 3)):
            window = text[start : start + 4]
            if window not in known:
                assert window not in sent, (window, text)


# --------------------------------------------------------- the chat service, off


@pytest.mark.parametrize(
    ("enabled", "auth", "provider"),
    [
        (None, "qwen-oauth", "qwen"),
        (False, "qwen-oauth", "qwen"),
        (True, "openai", "qwen"),
        (True, "qwen-oauth", "openai"),  # the service talks to a key-based provider
        (True, "qwen-oauth", "custom"),
    ],
)
def test_a_chat_session_without_consent_sends_and_builds_nothing(
    isolated_home: Path,
    collector: OTLPCollector,
    spy: EventSpy,
    enabled: bool | None,
    auth: str,
    provider: str,
) -> None:
    telemetry = telemetry_for(isolated_home, collector, enabled=enabled, auth=auth)
    with openai_server(api_key=KEY) as server:
        service = ChatService(qwen_active(server, provider), timeout=10, telemetry=telemetry)
        server.options.errors[CHAT] = ScriptedError(429, "slow down", times=1)
        events = asyncio.run(converse(service, ["first question", "second question"]))
    telemetry.close()
    assert len(events) > 2  # a real session happened: a failure, then an answer
    assert spy.built == []
    assert collector.requests == []
    assert not (isolated_home / "telemetry.jsonl").exists()


def test_the_default_service_records_nothing(isolated_home: Path, spy: EventSpy) -> None:
    with openai_server(api_key=KEY) as server:
        asyncio.run(converse(ChatService(qwen_active(server), timeout=10), ["hello"]))
    assert spy.built == []


# ---------------------------------------------------------- the chat service, on


def test_a_chat_session_with_consent_sends_request_and_error_events(
    isolated_home: Path, collector: OTLPCollector
) -> None:
    prompt, answer = "please refactor my_secret_function", ["Here ", "is ", "classified ", "code"]
    telemetry = telemetry_for(isolated_home, collector)
    with openai_server(api_key=KEY, chat_pieces=answer) as server:
        server.options.errors[CHAT] = ScriptedError(
            429, "Rate limit for my_secret_function", times=1
        )
        service = ChatService(qwen_active(server), timeout=10, telemetry=telemetry)
        asyncio.run(converse(service, [prompt, prompt]))
    telemetry.close()
    records = collector.log_records()
    assert [r["body"]["stringValue"] for r in records] == [
        "qwen_tui.error",
        "qwen_tui.api_request",
        "qwen_tui.api_request",
    ]
    error, failed, answered = (attributes(r) for r in records)
    assert error == {"event.name": "qwen_tui.error", "kind": "rate_limit", "status": "429"}
    assert failed["finished"] is False and "ttft_ms" not in failed
    assert answered["provider"] == "qwen"
    assert answered["finished"] is True
    assert answered["prompt_tokens"] == "3" and answered["completion_tokens"] == "4"
    assert 0 <= answered["ttft_ms"] <= answered["latency_ms"]
    assert_allow_listed(records)
    assert_no_text_of([prompt, "".join(answer), "Rate limit for my_secret_function"], records)
    assert read_records(telemetry.log_file) == records


TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    prompt=TEXT,
    pieces=st.lists(TEXT, min_size=1, max_size=4),
    reasoning=st.lists(TEXT, max_size=2),
    error_text=TEXT,
    status=st.sampled_from([400, 401, 403, 404, 429, 500, 503]),
)
def test_no_prompt_answer_or_error_text_ever_reaches_an_event(
    collector: OTLPCollector,
    prompt: str,
    pieces: list[str],
    reasoning: list[str],
    error_text: str,
    status: int,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        telemetry = telemetry_for(home, collector)
        seen = len(collector.requests)
        with openai_server(api_key=KEY, chat_pieces=pieces, reasoning_pieces=reasoning) as server:
            server.options.errors[CHAT] = ScriptedError(status, error_text, times=1)
            service = ChatService(qwen_active(server), timeout=10, telemetry=telemetry)
            asyncio.run(converse(service, [prompt, prompt]))
        telemetry.close()
        sent = [
            record
            for request in collector.requests[seen:]
            for resource in request.json()["resourceLogs"]
            for scope in resource["scopeLogs"]
            for record in scope["logRecords"]
        ]
        logged = read_records(home / "telemetry.jsonl")
    assert len(sent) == 3 and logged == sent
    assert_allow_listed(sent)
    assert_no_text_of([prompt, *pieces, "".join(pieces), *reasoning, error_text], sent)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=TEXT, content=TEXT, pattern=TEXT, command=TEXT, secret_text=TEXT)
def test_no_tool_argument_or_result_ever_reaches_an_event(
    collector: OTLPCollector,
    path: str,
    content: str,
    pattern: str,
    command: str,
    secret_text: str,
) -> None:
    """Tool calls are counted by tool and decision only: paths, file contents, search
    patterns, commands and what came back stay out (plan mode: nothing runs)."""
    from qwen_tui.agent.approval import ApprovalPolicy
    from qwen_tui.agent.loop import Agent
    from qwen_tui.chat.messages import ChatMessage
    from qwen_tui.tools import Toolbox, Workspace
    from tests.support.servers.openai_server import Call, Turn

    with tempfile.TemporaryDirectory() as folder:
        home, project = Path(folder) / "home", Path(folder) / "project"
        project.mkdir()
        (project / "notes.txt").write_text(secret_text)
        telemetry = telemetry_for(home, collector)
        seen = len(collector.requests)
        script = [
            Turn(
                [],
                [
                    Call("read_file", {"file_path": "notes.txt"}),
                    Call("read_file", {"file_path": path}),
                    Call("grep_search", {"pattern": pattern}),
                    Call("write_file", {"file_path": path, "content": content}),
                    Call("run_shell_command", {"command": command}),
                    Call(path[:30] or "x", {"anything": content}),
                ],
            ),
            Turn(["done"]),
        ]
        with openai_server(api_key=KEY, script=script) as server:
            service = ChatService(qwen_active(server), timeout=10, telemetry=telemetry)
            agent = Agent(service, Toolbox(Workspace.at(project)), ApprovalPolicy("plan"))

            async def run() -> None:
                async for _ in agent.run([ChatMessage("user", "look around")]):
                    pass
                await service.aclose()

            asyncio.run(run())
        telemetry.close()
        sent = [
            record
            for request in collector.requests[seen:]
            for resource in request.json()["resourceLogs"]
            for scope in resource["scopeLogs"]
            for record in scope["logRecords"]
        ]
    tools = [attributes(r) for r in sent if r["body"]["stringValue"] == "qwen_tui.tool_used"]
    assert [t["tool"] for t in tools] == [
        "read_file",
        "read_file",
        "grep_search",
        "write_file",
        "run_shell_command",
        "other",
    ]
    assert [t["decision"] for t in tools][3:5] == ["refused", "refused"]
    assert all(isinstance(t["success"], bool) for t in tools)
    assert_allow_listed(sent)
    assert_no_text_of([path, content, pattern, command, secret_text], sent)


# ------------------------------------------------------------------------ -p


def cli_environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND=NO_KEYRING)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        env.pop(name, None)
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qwen_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def consent(collector: OTLPCollector, enabled: str | None = "true") -> dict[str, str]:
    values = {
        "QWEN_TUI_TELEMETRY__OTLP_ENDPOINT": collector.url,
        "QWEN_TUI_TELEMETRY__INSTALL_ID": INSTALL_ID,
    }
    if enabled is not None:
        values["QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED"] = enabled
    return values


def test_prompt_mode_under_an_api_key_builds_and_sends_nothing(
    isolated_home: Path, collector: OTLPCollector, spy: EventSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    with openai_server(api_key=KEY, chat_pieces=["fine"]) as server:
        for name, value in {
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": KEY,
            "OPENAI_MODEL": "test-model",
            **consent(collector),
        }.items():
            monkeypatch.setenv(name, value)
        out, err = io.StringIO(), io.StringIO()
        code = run_prompt("say something secret", load_settings(), out=out, err=err)
        assert (code, out.getvalue()) == (0, "fine\n"), err.getvalue()
        # and the real command, as a process
        result = run_cli("-p", "say something secret", env=cli_environment())
        assert result.returncode == 0, result.stderr
        assert [r.path for r in server.requests] == [CHAT, CHAT]
    assert spy.built == []
    assert collector.requests == []
    assert not (isolated_home / "telemetry.jsonl").exists()


class QwenSignedIn:
    """A Qwen OAuth sign-in in ``QWEN_TUI_HOME`` (file store) and the servers it uses."""

    def __init__(self, home: Path, api: OpenAIServer, environment: dict[str, str]) -> None:
        self.home = home
        self.api = api
        self.environment = environment


@pytest.fixture
def qwen_signed_in(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[QwenSignedIn]:
    with openai_server(api_key="nobody-yet", models=["qwen3-coder-plus"]) as api:

        def hand_over(token: str) -> None:
            api.options.api_key = token

        with device_flow_server(resource_url=api.base_url, on_issue=hand_over) as oauth:
            environment = {**oauth.environment(), "QWEN_TUI_CREDENTIALS__ALLOW_FILE_STORE": "true"}
            for name, value in environment.items():
                monkeypatch.setenv(name, value)
            loaded = load_settings()
            body = oauth.issue_tokens()
            store_qwen_sign_in(
                loaded, OAuthTokens.from_token_response(body), keyring.backends.fail.Keyring()
            )
            yield QwenSignedIn(isolated_home, api, environment)


@pytest.mark.parametrize("enabled", [None, "false"])
def test_prompt_mode_under_qwen_oauth_without_consent_sends_nothing(
    qwen_signed_in: QwenSignedIn, collector: OTLPCollector, enabled: str | None
) -> None:
    env = cli_environment(**qwen_signed_in.environment, **consent(collector, enabled))
    result = run_cli("-p", "hello", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello, world!\n"
    assert collector.requests == []
    assert not (qwen_signed_in.home / "telemetry.jsonl").exists()


def test_prompt_mode_under_qwen_oauth_with_consent_sends_its_events(
    qwen_signed_in: QwenSignedIn, collector: OTLPCollector
) -> None:
    prompt = "explain the private function frobnicate_ledger"
    qwen_signed_in.api.options.chat_pieces = ["It ", "frobnicates ", "the ledger."]
    env = cli_environment(**qwen_signed_in.environment, **consent(collector))
    started = time.monotonic()
    result = run_cli("-p", prompt, env=env)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout == "It frobnicates the ledger.\n"
    # The exit flush already delivered everything: no waiting here.
    records = collector.log_records()
    assert [r["body"]["stringValue"] for r in records] == [
        "qwen_tui.app_start",
        "qwen_tui.api_request",
        "qwen_tui.app_stop",
    ]
    start, request, stop = (attributes(r) for r in records)
    assert start["mode"] == "headless" and 0 < start["startup_ms"] < elapsed * 1000
    assert request["provider"] == "qwen" and request["finished"] is True
    assert 0 < stop["duration_s"] <= elapsed + 1
    resource = collector.accepted()[0].json()["resourceLogs"][0]["resource"]
    assert {"key": "service.instance.id", "value": {"stringValue": INSTALL_ID}} in resource[
        "attributes"
    ]
    assert_allow_listed(records)
    assert_no_text_of([prompt, "It frobnicates the ledger."], records)
    assert read_records(qwen_signed_in.home / "telemetry.jsonl") == records


def test_prompt_mode_error_exit_still_flushes(
    qwen_signed_in: QwenSignedIn, collector: OTLPCollector
) -> None:
    qwen_signed_in.api.options.errors[CHAT] = ScriptedError(500, "internal: frobnicate_ledger")
    env = cli_environment(**qwen_signed_in.environment, **consent(collector))
    result = run_cli("-p", "hello", env=env)
    assert result.returncode == 1
    records = collector.log_records()
    names = [r["body"]["stringValue"] for r in records]
    assert names == [
        "qwen_tui.app_start",
        "qwen_tui.error",
        "qwen_tui.api_request",
        "qwen_tui.app_stop",
    ]
    assert attributes(records[1]) == {
        "event.name": "qwen_tui.error",
        "kind": "server",
        "status": "500",
    }
    assert "frobnicate" not in json.dumps(records)


def test_prompt_mode_with_a_collector_that_is_down_exits_promptly(
    qwen_signed_in: QwenSignedIn,
) -> None:
    from tests.support.servers.openai_server import blackhole_port

    with blackhole_port() as port:
        env = cli_environment(
            **qwen_signed_in.environment,
            QWEN_TUI_PRIVACY__USAGE_STATISTICS_ENABLED="true",
            QWEN_TUI_TELEMETRY__OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
        )
        started = time.monotonic()
        quick = run_cli("-p", "hello", env={**env, "QWEN_TUI_TELEMETRY__OTLP_ENDPOINT": ""})
        local_only = time.monotonic() - started
        started = time.monotonic()
        result = run_cli("-p", "hello", env=env)
        elapsed = time.monotonic() - started
    assert quick.returncode == 0 and result.returncode == 0, result.stderr
    assert result.stdout == "Hello, world!\n"
    # The same run, plus at most the 2 s exit flush; unbounded, three tries at a
    # collector that hangs would add over 9 s.
    assert elapsed - local_only < EXIT_FLUSH_SECONDS + LOAD_SLACK, (local_only, elapsed)


def test_prompt_mode_reports_a_crash_without_its_message(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qwen_tui.config import update_settings_file
    from qwen_tui.providers import signin

    update_settings_file(
        isolated_home / "settings.json",
        {
            "security": {"auth": {"selectedType": "qwen-oauth"}},
            "privacy": {"usageStatisticsEnabled": True},
        },
    )

    def broken(*args: object) -> None:
        raise RuntimeError("secret detail /home/alice/project")

    monkeypatch.setattr(signin, "resolve_active", broken)
    with pytest.raises(RuntimeError):
        run_prompt("hello", load_settings(), out=io.StringIO(), err=io.StringIO())
    records = read_records(isolated_home / "telemetry.jsonl")
    assert [r["body"]["stringValue"] for r in records] == ["qwen_tui.crash", "qwen_tui.app_stop"]
    crash = attributes(records[0])
    assert crash["exception"] == "RuntimeError"
    frames = [
        {item["key"]: next(iter(item["value"].values())) for item in frame["kvlistValue"]["values"]}
        for frame in crash["stack"]["values"]
    ]
    assert {frame["module"] for frame in frames} == {"qwen_tui.headless.prompt"}
    assert {frame["function"] for frame in frames} == {"run_prompt", "_run"}
    assert "secret" not in json.dumps(records) and "alice" not in json.dumps(records)
    assert_allow_listed(records[1:])


@pytest.mark.parametrize("enabled", [None, "false", "true"])
def test_prompt_mode_in_process_builds_events_only_with_consent(
    qwen_signed_in: QwenSignedIn,
    collector: OTLPCollector,
    spy: EventSpy,
    monkeypatch: pytest.MonkeyPatch,
    enabled: str | None,
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    for name, value in consent(collector, enabled).items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    code = run_prompt("a private question", load_settings(), out=out, err=io.StringIO())
    assert (code, out.getvalue()) == (0, "Hello, world!\n")
    assert [r.path for r in qwen_signed_in.api.requests] == [CHAT]
    if enabled != "true":
        assert spy.built == []
        assert collector.requests == []
        assert not (qwen_signed_in.home / "telemetry.jsonl").exists()
    else:
        assert spy.built == ["app_start", "api_request", "app_stop"]
        assert collector.event_names() == [f"qwen_tui.{name}" for name in spy.built]
