"""The event schema: closed sets, allow-listed field types, scrubbed crashes, OTLP JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import ValidationError

import qwen_tui
from qwen_tui.chat.events import FailureKind
from qwen_tui.telemetry import (
    EVENT_TYPES,
    ApiRequest,
    AppStart,
    AppStop,
    AuthMethodChosen,
    CommandUsed,
    Crash,
    ErrorReport,
    ScreenOpened,
    StackFrame,
    crash_report,
    new_install_id,
)
from qwen_tui.telemetry import events as schema
from qwen_tui.telemetry.otlp import export_request, log_record, logs_url

CATALOGUE = Path(qwen_tui.__file__).parent / "providers" / "catalogue.toml"


# ------------------------------------------------------------------ closed sets


def test_command_names_are_the_slash_commands() -> None:
    from qwen_tui.ui.commands import COMMANDS

    assert set(get_args(schema.CommandName)) == {c.name for c in COMMANDS} | {"other"}


def test_tool_names_and_decisions_are_the_agents() -> None:
    from qwen_tui.agent.events import ToolDecision
    from qwen_tui.tools import SPECS

    assert set(get_args(schema.ToolName)) == {spec.name for spec in SPECS} | {"mcp", "other"}
    assert set(get_args(schema.ToolDecisionName)) == set(get_args(ToolDecision)) | {"other"}


def test_error_kinds_are_the_chat_failure_kinds() -> None:
    assert set(get_args(schema.ErrorKind)) == set(get_args(FailureKind)) | {"other"}


def test_provider_ids_are_the_built_in_catalogue() -> None:
    ids = {entry["id"] for entry in tomllib.loads(CATALOGUE.read_text())["provider"]}
    assert set(get_args(schema.ProviderId)) == ids


def test_auth_methods_are_the_settings_values() -> None:
    from qwen_tui.config.model import AuthType

    assert set(get_args(schema.AuthMethodName)) == set(get_args(AuthType)) | {"other"}


@pytest.mark.parametrize(
    ("event", "field", "expected"),
    [
        (CommandUsed(command="model"), "command", "model"),
        (CommandUsed(command="/model gpt-4o"), "command", "other"),
        (CommandUsed(command="my secret prompt"), "command", "other"),
        (ScreenOpened(screen="privacy"), "screen", "privacy"),
        (ScreenOpened(screen="/home/alice/code.py"), "screen", "other"),
        (AuthMethodChosen(method="openai"), "method", "openai"),
        (AuthMethodChosen(method="sk-abc123"), "method", "other"),
        (ErrorReport(kind="quota", status=429), "kind", "quota"),
        (ErrorReport(kind="KeyError: 'x'"), "kind", "other"),
        (AppStart(mode="nonsense", startup_ms=1), "mode", "tui"),
    ],
)
def test_identifiers_outside_their_set_become_other(event: Any, field: str, expected: str) -> None:
    assert getattr(event, field) == expected


def test_a_user_provider_id_is_reported_as_custom() -> None:
    event = ApiRequest(
        provider="alice-company-llm",
        latency_ms=1,
        ttft_ms=None,
        prompt_tokens=1,
        completion_tokens=1,
        finished=True,
    )
    assert event.provider == "custom"
    assert "alice" not in json.dumps(log_record(event))


def test_numbers_are_checked_and_rounded() -> None:
    event = ApiRequest(
        provider="qwen",
        latency_ms=12.3456,
        ttft_ms=3,
        prompt_tokens=-5,
        completion_tokens=7,
        finished=False,
    )
    assert (event.latency_ms, event.ttft_ms, event.prompt_tokens) == (12.3, 3.0, 0)
    with pytest.raises(ValidationError):
        ApiRequest(
            provider="qwen",
            latency_ms="12",
            ttft_ms=None,
            prompt_tokens=1,
            completion_tokens=1,
            finished=True,
        )
    with pytest.raises(ValidationError):
        AppStop(duration_s=True)
    with pytest.raises(ValidationError):
        AppStop(duration_s=float("nan"))
    with pytest.raises(ValidationError):
        ApiRequest(
            provider="qwen",
            latency_ms=1,
            ttft_ms=None,
            prompt_tokens=1,
            completion_tokens=1,
            finished="yes",
        )
    assert ErrorReport(kind="server", status=99999).status is None
    assert ErrorReport(kind="server", status=503).status == 503


def _api_request(**changes: Any) -> ApiRequest:
    values: dict[str, Any] = {
        "provider": "qwen",
        "latency_ms": 1,
        "ttft_ms": None,
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "finished": True,
    }
    return ApiRequest(**(values | changes))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latency_ms", "12"),
        ("latency_ms", float("inf")),
        ("latency_ms", float("-inf")),
        ("latency_ms", None),
        ("ttft_ms", True),
        ("ttft_ms", float("nan")),
        ("prompt_tokens", 1.0),
        ("prompt_tokens", True),
        ("prompt_tokens", "7"),
        ("completion_tokens", None),
        ("finished", 1),
        ("finished", "true"),
    ],
)
def test_wrongly_typed_numbers_and_flags_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        _api_request(**{field: value})


@pytest.mark.parametrize("status", ["503", True, 503.0])
def test_a_status_that_is_not_an_integer_is_refused(status: object) -> None:
    with pytest.raises(ValidationError):
        ErrorReport(kind="server", status=status)


@pytest.mark.parametrize("status", [-1, 0, 99, 600, 99999])
def test_a_status_outside_http_is_left_out(status: int) -> None:
    event = ErrorReport(kind="server", status=status)
    assert event.status is None
    assert "status" not in event.attributes()


def test_fields_nobody_declared_are_refused() -> None:
    with pytest.raises(ValidationError):
        CommandUsed(command="help", prompt="my secret prompt")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        _api_request(model="gpt-4o")


def test_names_longer_than_the_limit_are_other() -> None:
    long_name = "qwen_tui." + "x" * schema.MAX_NAME_LENGTH
    frame = StackFrame(module=long_name, function="f" * 500, line=1)
    assert (frame.module, frame.function) == ("other", "other")
    assert Crash(exception=long_name, stack=(frame,)).exception == "other"


def test_what_is_not_a_frame_becomes_an_empty_frame() -> None:
    crash = Crash(exception="KeyError", stack=("/home/alice/app.py:3", {"module": "x"}))
    assert crash.stack == (StackFrame(module="other", function="other", line=0),) * 2


def test_events_are_frozen() -> None:
    event = CommandUsed(command="help")
    with pytest.raises(ValidationError):
        event.command = "quit"  # type: ignore[misc]


ALLOWED_SCALARS: set[Any] = {int, float, bool, int | None, float | None}


def _allowed(annotation: Any) -> bool:
    if annotation in ALLOWED_SCALARS:
        return True
    if get_origin(annotation) is Literal:
        return all(isinstance(value, str) for value in get_args(annotation))
    return bool(annotation == tuple[StackFrame, ...])


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.name)
def test_no_event_has_a_free_text_field(event_type: type[schema.Event]) -> None:
    hints = typing.get_type_hints(event_type, vars(schema))
    for field in event_type.model_fields:
        if (event_type, field) == (Crash, "exception"):
            continue  # a checked name, see the next test
        assert _allowed(hints[field]), (event_type.name, field, hints[field])


def test_crash_names_are_checked_against_the_loaded_code() -> None:
    """The crash event's two kinds of text, the exception type and the frames' module
    and function names, keep a value only if the app's loaded code defines it."""
    hints = typing.get_type_hints(StackFrame)
    assert {name: hints[name] for name in StackFrame.model_fields} == {
        "module": str,
        "function": str,
        "line": int,
    }
    forged = Crash(
        exception="qwen_tui.MyPasswordIsHunter2",
        stack=(
            StackFrame(module="qwen_tui.telemetry.recorder", function="user typed this", line=3),
            StackFrame(module="/home/alice/project/app.py", function="main", line=1),
            StackFrame(module="qwen_tui.telemetry.recorder", function="record", line=10),
        ),
    )
    assert forged.exception == "other"
    assert forged.stack == (
        StackFrame(module="qwen_tui.telemetry.recorder", function="other", line=3),
        StackFrame(module="other", function="other", line=0),
        StackFrame(module="qwen_tui.telemetry.recorder", function="record", line=10),
    )


def test_every_event_type_has_a_distinct_name() -> None:
    names = [event_type.name for event_type in EVENT_TYPES]
    assert len(set(names)) == len(names) == 9


# ------------------------------------------------------------------------ crashes


class _LibraryError(Exception):
    """Stands in for an exception class of a library or the user's code."""


def _raise_from_app_code(message: str) -> None:
    from qwen_tui.config.paths import ensure_private_dir

    path = Path("/proc/qwen-tui-test") / message
    ensure_private_dir(path)  # raises an OSError from inside qwen_tui


def test_crash_keeps_the_builtin_type_and_app_frames_only() -> None:
    secret = "alice-prompt-text-9b1c"
    try:
        _raise_from_app_code(secret)
    except OSError as error:
        event = crash_report(error)
    assert event.exception in {"FileNotFoundError", "PermissionError", "OSError"}
    assert [frame.module for frame in event.stack] == ["qwen_tui.config.paths"]
    assert event.stack[0].function == "ensure_private_dir"
    assert event.stack[0].line > 0
    text = json.dumps(log_record(event))
    assert secret not in text
    assert "/proc" not in text and "test_telemetry" not in text


def test_crash_type_of_a_qwen_tui_class_is_named_and_others_are_other() -> None:
    from qwen_tui.config import SettingsWriteError

    assert (
        crash_report(SettingsWriteError("x")).exception
        == "qwen_tui.config.settings_file.SettingsWriteError"
    )
    assert crash_report(_LibraryError("x")).exception == "other"
    assert crash_report(KeyError("secret")).exception == "KeyError"


def test_crash_stack_is_bounded() -> None:
    def recurse(depth: int) -> None:
        if depth == 0:
            raise RuntimeError("deep")
        recurse(depth - 1)

    frames = tuple(
        StackFrame(module="qwen_tui.chat.service", function="stream", line=n) for n in range(100)
    )
    assert len(Crash(exception="RuntimeError", stack=frames).stack) == schema.MAX_STACK_FRAMES
    with pytest.raises(RuntimeError) as caught:
        recurse(3)
    assert crash_report(caught.value).stack == ()  # test frames are not the app's


# --------------------------------------------------------------------------- OTLP


def test_log_record_follows_the_otlp_json_mapping() -> None:
    record = log_record(
        ApiRequest(
            provider="qwen",
            latency_ms=250.0,
            ttft_ms=None,
            prompt_tokens=12,
            completion_tokens=34,
            finished=True,
        ),
        time_unix_nano=1_700_000_000_000_000_000,
    )
    assert record["timeUnixNano"] == "1700000000000000000"
    assert record["severityText"] == "INFO" and record["severityNumber"] == 9
    assert record["body"] == {"stringValue": "qwen_tui.api_request"}
    attributes = {item["key"]: item["value"] for item in record["attributes"]}
    assert attributes == {
        "event.name": {"stringValue": "qwen_tui.api_request"},
        "provider": {"stringValue": "qwen"},
        "latency_ms": {"doubleValue": 250.0},
        "prompt_tokens": {"intValue": "12"},
        "completion_tokens": {"intValue": "34"},
        "finished": {"boolValue": True},
    }  # ttft_ms is None: left out
    assert log_record(ErrorReport(kind="server"))["severityText"] == "ERROR"


def test_export_request_carries_the_resource_and_scope() -> None:
    body = export_request([], version="1.2.3", install_id="abc")
    (resource_logs,) = body["resourceLogs"]
    resource = {a["key"]: a["value"] for a in resource_logs["resource"]["attributes"]}
    assert resource == {
        "service.name": {"stringValue": "qwen-tui"},
        "service.version": {"stringValue": "1.2.3"},
        "service.instance.id": {"stringValue": "abc"},
    }
    assert resource_logs["scopeLogs"][0]["scope"]["name"] == "qwen_tui.telemetry"
    no_id = export_request([], version="1", install_id=None)["resourceLogs"][0]["resource"]
    assert "service.instance.id" not in json.dumps(no_id)


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("http://c:4318", "http://c:4318/v1/logs"),
        ("http://c:4318/", "http://c:4318/v1/logs"),
        ("https://c/otel/ ", "https://c/otel/v1/logs"),
        ("http://c:4318/v1/logs", "http://c:4318/v1/logs"),
    ],
)
def test_logs_url_is_the_base_plus_v1_logs(endpoint: str, url: str) -> None:
    assert logs_url(endpoint) == url


def test_install_ids_are_random_hex() -> None:
    first, second = new_install_id(), new_install_id()
    assert first != second
    assert len(first) == 32 and int(first, 16) >= 0


def test_importing_telemetry_is_cheap() -> None:
    code = "import sys, json, qwen_tui.telemetry; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    modules = set(json.loads(result.stdout))
    assert not {m for m in modules if m.split(".")[0] in {"httpx", "openai", "textual"}}


def test_the_event_schema_is_not_built_before_the_first_frame() -> None:
    """The events are pydantic models, whose validators take a few ms to build: the
    app and its first screens must not import them; the recorder does, later."""
    code = (
        "import sys, qwen_tui.ui.app, qwen_tui.ui.screens.chat, qwen_tui.ui.screens.welcome;"
        " print('qwen_tui.telemetry.events' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- docs


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    following = text.find("\n## ", start + len(heading))
    return text[start : following if following != -1 else len(text)]


@pytest.mark.parametrize("heading", ["## Telemetry events", "## События телеметрии"])
def test_every_event_field_and_value_is_documented(heading: str) -> None:
    docs = Path(__file__).parents[2] / "docs" / "privacy.md"
    section = _section(docs.read_text(encoding="utf-8"), heading)
    for event_type in EVENT_TYPES:
        assert f"`qwen_tui.{event_type.name}`" in section
        for field in event_type.model_fields:
            assert f"`{field}`" in section, (event_type.name, field)
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
        for value in get_args(closed):
            assert f"`{value}`" in section, value
    for fact in (
        "telemetry.jsonl",
        "/v1/logs",
        "service.instance.id",
        "2 s" if "Tele" in heading else "2 с",
    ):
        assert fact in section
