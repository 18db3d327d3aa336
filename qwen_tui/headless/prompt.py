"""``qwen-tui -p PROMPT``: one answer streamed to stdout, for scripts and pipes.

The answer text goes to stdout as it arrives (flushed per chunk so a pipe sees it at
once); everything else (errors, warnings, notes) goes to stderr with a non-zero exit
code. With ``--output json`` a single JSON object is printed at the end instead.

Everything the server sends is untrusted: the answer, its error messages, model ids.
A terminal obeys control characters wherever they appear (``ESC ] 52`` writes the
clipboard, ``ESC ] 0`` the window title), so all of it goes through
:func:`qwen_tui.text.neutralise` (JSON through ``neutralise_json``) unless ``--raw``
asks for the answer byte for byte.

A 429 or 5xx with a short ``Retry-After`` is waited for and asked again, as the chat
screen does, within :data:`qwen_tui.chat.retry.HEADLESS_WAITS` (at most 60 s of
waiting in all); the wait is announced on stderr and Ctrl+C stops it.

Ctrl+C at any point stops quietly with exit code 130: what was printed stays, the line
is ended, and one note goes to stderr.

Usage statistics (only with consent under Qwen OAuth): an ``app_start`` event in
``headless`` mode, the chat service's request and error events, ``app_stop``, and a
``crash`` event for an unexpected exception; whatever was queued is flushed at the end,
waiting at most 2 s and not at all when nothing is queued, on every exit path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TextIO

from qwen_tui.config import LoadedSettings
from qwen_tui.headless.agent_setup import AgentOptions
from qwen_tui.text import neutralise, neutralise_json

if TYPE_CHECKING:
    from qwen_tui.account import Account

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_TURN_LIMIT = 3
EXIT_REFUSED = 4
EXIT_INTERRUPTED = 130
EXIT_FLUSH_SECONDS = 2.0
STDIN_LIMIT = 8 * 1024 * 1024
"""The most bytes read from standard input (8 MiB): more is refused with exit code 2
before anything is sent, rather than uploading it for the provider to reject."""

STOPPED_NOTE = "qwen-tui: stopped (Ctrl+C); what arrived is kept."


class PromptInputError(Exception):
    """The prompt cannot be used as given (exit code 2); ``str()`` says why."""


def _as_text(text: str) -> tuple[str, bool]:
    """``text`` as valid UTF-8 text, and whether anything had to be replaced.

    Bytes that are not UTF-8 reach Python as lone surrogates (``surrogateescape`` in
    argv, and in stdin under some locales); they cannot be sent in a JSON request, so
    each becomes U+FFFD.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "replace"), True
    return text, False


def _read_stdin(stdin: IO[Any]) -> tuple[str, bool]:
    """Piped standard input as text (bytes that are not UTF-8 replaced), capped."""
    source = getattr(stdin, "buffer", stdin)
    data = source.read(STDIN_LIMIT + 1)
    if len(data) > STDIN_LIMIT:
        raise PromptInputError(
            f"standard input is larger than {STDIN_LIMIT // (1024 * 1024)} MB; nothing was "
            "sent. Pipe in less (for example only the files or lines the question needs)."
        )
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            return data.decode("utf-8", "replace"), True
    return _as_text(data)


def read_prompt(prompt: str | None, stdin: IO[Any], err: TextIO | None = None) -> str:
    """The prompt: ``-p`` text, with piped standard input placed before it as context.

    Input that is not UTF-8 is sent with U+FFFD in place of the bytes that could not
    be read, and a warning on ``err`` says so.

    Raises:
        PromptInputError: standard input is larger than :data:`STDIN_LIMIT`.
    """
    piped, replaced_piped = ("", False) if stdin.isatty() else _read_stdin(stdin)
    given, replaced_given = _as_text(prompt or "")
    warn = err or sys.stderr
    if replaced_piped:
        print(
            "warning: standard input is not valid UTF-8; the bytes that could not be read "
            "are sent as U+FFFD (\ufffd).",
            file=warn,
        )
    if replaced_given:
        print(
            "warning: the -p text is not valid UTF-8; the bytes that could not be read are "
            "sent as U+FFFD (\ufffd).",
            file=warn,
        )
    parts = [part for part in (piped.strip(), given.strip()) if part]
    return "\n\n".join(parts)


@dataclass
class _Answer:
    """What arrived so far, kept where an interrupt can still reach it."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    usage: dict[str, int] | None = None
    finish: str | None = None
    provider: str | None = None
    model: str | None = None
    line_open: bool = False
    pending_cr: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    after_tools: bool = False
    exit_reason: str | None = None
    turns: int = 0

    def add_usage(self, prompt: int, completion: int) -> None:
        """Count one model request's tokens (an agent run makes several)."""
        before = self.usage or {"prompt_tokens": 0, "completion_tokens": 0}
        self.usage = {
            "prompt_tokens": before["prompt_tokens"] + prompt,
            "completion_tokens": before["completion_tokens"] + completion,
        }


def run_prompt(
    prompt: str,
    loaded: LoadedSettings,
    *,
    output: str = "text",
    raw: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    agent: AgentOptions | None = None,
) -> int:
    """Ask once, let the model use the tools as the approval mode allows, and print the
    answer; returns the exit code.

    When the reader of stdout goes away (``qwen-tui -p … | head -c 1``), the request is
    cancelled and the exit code is 1, without a traceback. Ctrl+C gives exit code 130
    and keeps what was printed.
    """
    from qwen_tui.account import Account
    from qwen_tui.headless.run_ledger import keep_ledger
    from qwen_tui.telemetry import AppStop, crash_report, process_age_seconds

    keep_ledger(loaded)
    out = out or sys.stdout
    err = err or sys.stderr
    answer = _Answer()
    account = Account(loaded)
    telemetry = account.telemetry
    try:
        options = agent or AgentOptions()
        return asyncio.run(_run(prompt, account, output, raw, out, err, answer, options))
    except BrokenPipeError:
        _silence(out)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return _stopped(answer, output, raw, out, err)
    except Exception as error:
        telemetry.record(functools.partial(crash_report, error))
        raise
    finally:
        telemetry.record(lambda: AppStop(duration_s=process_age_seconds()))
        telemetry.close(timeout=EXIT_FLUSH_SECONDS)


def _stopped(answer: _Answer, output: str, raw: bool, out: TextIO, err: TextIO) -> int:
    """After Ctrl+C: end the line (or print what arrived as JSON), note it, exit 130."""
    with contextlib.suppress(OSError, ValueError):
        if output == "json":
            stopped = {"kind": "stopped", "message": "Stopped with Ctrl+C.", "remedy": None}
            out.write(_document(answer, stopped, raw) + "\n")
        elif answer.line_open:
            out.write("\n")
        out.flush()
    print(STOPPED_NOTE, file=err)
    return EXIT_INTERRUPTED


def _silence(out: TextIO) -> None:
    """Point a closed stdout at /dev/null so the flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def _write_text(answer: _Answer, text: str, raw: bool, out: TextIO) -> None:
    """Print a piece of the answer, made safe for a terminal unless ``raw``.

    A carriage return at the end of a piece is held back until the next one: with a
    line feed it is a plain line end, alone it is shown as a stand-in.
    """
    if not raw:
        text = answer.pending_cr + text
        shown = text.rstrip("\r")
        answer.pending_cr = text[len(shown) :]
        text = neutralise(shown)
    if text:
        out.write(text)
        out.flush()
        answer.line_open = not text.endswith("\n")


def _summary(answer: _Answer, error: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "provider": answer.provider,
        "model": answer.model,
        "text": "".join(answer.text),
        "reasoning": "".join(answer.reasoning) or None,
        "finish_reason": answer.finish,
        "usage": answer.usage,
        "error": error,
        "exit_reason": answer.exit_reason,
        "turns": answer.turns,
    }


def _document(answer: _Answer, error: dict[str, Any] | None, raw: bool) -> str:
    """The ``--output-format json`` object, printable (DEL and C1 escaped) unless
    ``raw``: the final text, the tool calls with their results, usage, exit reason."""
    document = _summary(answer, error) | {"tool_calls": answer.tools}
    text = json.dumps(document, ensure_ascii=False)
    return text if raw else neutralise_json(text)


def _say(err: TextIO, line: str) -> None:
    """One line on stderr; text from outside in it is made safe first."""
    print(neutralise(line), file=err)


async def _run(
    prompt: str,
    account: Account,
    output: str,
    raw: bool,
    out: TextIO,
    err: TextIO,
    answer: _Answer,
    options: AgentOptions,
) -> int:
    from qwen_tui.agent.events import AgentStopped, ToolFinished, ToolStarted, ToolsUnavailable
    from qwen_tui.agent.mentions import expand_mentions
    from qwen_tui.chat.events import (
        ChatFailure,
        Finished,
        ReasoningDelta,
        TextDelta,
        UsageReport,
    )
    from qwen_tui.chat.messages import ChatMessage
    from qwen_tui.chat.retry import HEADLESS_WAITS
    from qwen_tui.chat.service import build_chat_service
    from qwen_tui.credentials import CredentialError
    from qwen_tui.headless.agent_output import StreamJson, shown_output, tool_line, tool_record
    from qwen_tui.headless.agent_setup import agent_for
    from qwen_tui.headless.failure_text import failure_text
    from qwen_tui.headless.mcp_run import say_new_failures, start_for_run
    from qwen_tui.mcp_servers import servers_for
    from qwen_tui.providers import ProviderError, UnknownProvider
    from qwen_tui.providers.signin import resolve_active
    from qwen_tui.telemetry import AppStart, process_age_ms
    from qwen_tui.tools import ToolError

    if not prompt:
        _say(err, "error: the prompt is empty (give -p TEXT or pipe text in).")
        return EXIT_USAGE
    loaded, registry, store, telemetry = (
        account.loaded,
        account.registry,
        account.credentials,
        account.telemetry,
    )
    try:
        active = await asyncio.to_thread(resolve_active, loaded, registry, store)
    except (UnknownProvider, ProviderError) as error:
        _say(err, f"error: {error}")
        return EXIT_USAGE
    except CredentialError as error:
        _say(err, f"error: {error}")
        return EXIT_FAILURE
    if active is None:
        _say(
            err,
            "error: no provider is configured. Run `qwen-tui` once, or "
            "`qwen-tui auth login --provider ID`, or set OPENAI_API_KEY / OPENAI_BASE_URL.",
        )
        return EXIT_USAGE
    answer.provider = active.provider.id
    answer.model = active.model
    # Collect only for the sign-in this run really uses (a flag may have chosen a key).
    telemetry.configure(auth_method=active.provider.auth)
    telemetry.record(lambda: AppStart(mode="headless", startup_ms=process_age_ms()))
    service = build_chat_service(loaded, active, registry, store, telemetry=telemetry)
    try:
        agent = agent_for(service, account, options, active.api_key, err)
    except ToolError as error:
        _say(err, f"error: {error}")
        await service.aclose()
        return EXIT_USAGE
    servers = servers_for(account, agent.toolbox.workspace.root)
    said: dict[str, str | None] = {}
    if servers is not None:
        said = await start_for_run(servers, options.can_ask, err)
        agent.mcp = servers
    expanded = expand_mentions(prompt, agent.toolbox.workspace)
    for note in expanded.notes:
        _say(err, f"qwen-tui: {note}")
    history = [ChatMessage("user", expanded.text)]
    stream = StreamJson(out, raw) if output == "stream-json" else None
    failure: ChatFailure | None = None
    waited = 0.0
    try:
        for attempt in range(HEADLESS_WAITS.attempts + 1):
            failure = None
            events = agent.run(history)
            try:
                async for event in events:
                    if isinstance(event, TextDelta):
                        if answer.after_tools and output == "text":
                            _write_text(answer, "\n\n" if answer.line_open else "\n", raw, out)
                        answer.after_tools = False
                        answer.text.append(event.text)
                        if output == "text":
                            _write_text(answer, event.text, raw, out)
                        elif stream is not None:
                            stream.write("text", text=event.text)
                    elif isinstance(event, ReasoningDelta):
                        answer.reasoning.append(event.text)
                    elif isinstance(event, UsageReport):
                        answer.add_usage(event.prompt_tokens, event.completion_tokens)
                    elif isinstance(event, Finished):
                        answer.finish = event.reason
                    elif isinstance(event, ChatFailure):
                        failure = event
                    elif isinstance(event, ToolStarted) and stream is not None:
                        stream.started(event)
                    elif isinstance(event, ToolFinished):
                        answer.tools.append(tool_record(event))
                        answer.after_tools = bool(answer.text)
                        if stream is not None:
                            stream.finished(event)
                        elif output == "text":
                            _end_line(answer, out)
                            _say(err, tool_line(event))
                            if event.diff:
                                print(shown_output(event.diff.rstrip("\n")), file=err)
                    elif isinstance(event, ToolsUnavailable):
                        _say(err, f"qwen-tui: {event.message}")
                    elif isinstance(event, AgentStopped):
                        answer.exit_reason = event.reason
                        answer.turns += event.turns
            finally:
                # Close the stream at once (a broken stdout pipe leaves the loop mid-answer).
                await events.aclose()
            wait = HEADLESS_WAITS.wait_before_retry(
                failure, attempt=attempt, answered=bool(answer.text), waited=waited
            )
            if wait is None or failure is None:
                break
            _say(
                err,
                f"qwen-tui: {failure.message} Asking again in {wait:.0f} s (Ctrl+C to stop).",
            )
            await asyncio.sleep(wait)
            waited += wait
    finally:
        await service.aclose()
        if servers is not None:
            say_new_failures(servers, said, err)
            await servers.aclose()
    if answer.pending_cr:  # a carriage return at the very end, with nothing after it
        out.write(neutralise(answer.pending_cr))
        answer.pending_cr = ""
        answer.line_open = True
    if output in ("json", "stream-json"):
        reported = (
            None
            if failure is None
            else {
                "kind": failure.kind,
                "message": failure_text(failure),
                "remedy": failure.remedy,
            }
        )
        if stream is not None:
            stream.write("result", **_summary(answer, reported))
        else:
            out.write(_document(answer, reported, raw) + "\n")
    _end_line(answer, out)
    out.flush()
    if failure is not None:
        _say(err, f"error: {failure_text(failure)}")
        return EXIT_FAILURE
    if answer.exit_reason == "turn_limit":
        _say(
            err,
            f"qwen-tui: stopped after {answer.turns} model requests (the turn limit); "
            "raise it with --max-turns or tools.maxTurns.",
        )
        return EXIT_TURN_LIMIT
    if agent.refused_without_asking:
        _say(
            err,
            "qwen-tui: the model wanted to change files or run commands, which needs "
            "approval this run cannot ask for; run with --approval-mode auto-edit or yolo.",
        )
        return EXIT_REFUSED
    return EXIT_OK


def _end_line(answer: _Answer, out: TextIO) -> None:
    if answer.line_open:
        out.write("\n")
        answer.line_open = False
