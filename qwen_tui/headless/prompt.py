"""``qwen-tui -p PROMPT``: one answer streamed to stdout, for scripts and pipes.

The answer text goes to stdout as it arrives (flushed per chunk so a pipe sees it at
once); everything else (errors, warnings) goes to stderr with a non-zero exit code. With
``--output json`` a single JSON object is printed at the end instead.

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
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, TextIO, cast

from qwen_tui.config import LoadedSettings

if TYPE_CHECKING:
    from qwen_tui.chat.events import ChatEvent
    from qwen_tui.telemetry import Telemetry

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_FLUSH_SECONDS = 2.0


def read_prompt(prompt: str | None, stdin: TextIO) -> str:
    """The prompt: ``-p`` text, with piped standard input placed before it as context."""
    piped = "" if stdin.isatty() else stdin.read()
    parts = [part for part in (piped.strip(), (prompt or "").strip()) if part]
    return "\n\n".join(parts)


def run_prompt(
    prompt: str,
    loaded: LoadedSettings,
    *,
    output: str = "text",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Ask once and print the answer; returns the exit code.

    When the reader of stdout goes away (``qwen-tui -p … | head -c 1``), the request is
    cancelled and the exit code is 1, without a traceback.
    """
    from qwen_tui.telemetry import AppStop, Telemetry, crash_report, process_age_seconds

    out = out or sys.stdout
    telemetry = Telemetry.from_settings(loaded)
    try:
        return asyncio.run(_run(prompt, loaded, output, out, err or sys.stderr, telemetry))
    except BrokenPipeError:
        _silence(out)
        return EXIT_FAILURE
    except Exception as error:
        telemetry.record(functools.partial(crash_report, error))
        raise
    finally:
        telemetry.record(lambda: AppStop(duration_s=process_age_seconds()))
        telemetry.close(timeout=EXIT_FLUSH_SECONDS)


def _silence(out: TextIO) -> None:
    """Point a closed stdout at /dev/null so the flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


async def _run(
    prompt: str,
    loaded: LoadedSettings,
    output: str,
    out: TextIO,
    err: TextIO,
    telemetry: Telemetry,
) -> int:
    from qwen_tui.chat.events import ChatFailure, Finished, ReasoningDelta, TextDelta, UsageReport
    from qwen_tui.chat.service import build_chat_service
    from qwen_tui.credentials import CredentialError, CredentialStore
    from qwen_tui.providers import ProviderError, ProviderRegistry, UnknownProvider
    from qwen_tui.providers.signin import resolve_active
    from qwen_tui.telemetry import AppStart, process_age_ms

    if not prompt:
        print("error: the prompt is empty (give -p TEXT or pipe text in).", file=err)
        return EXIT_USAGE
    settings = loaded.settings
    registry = ProviderRegistry(
        [entry.model_dump(by_alias=True) for entry in settings.providers.custom]
    )
    store = CredentialStore(loaded.home, allow_file_store=settings.credentials.allow_file_store)
    try:
        active = await asyncio.to_thread(resolve_active, loaded, registry, store)
    except (UnknownProvider, ProviderError) as error:
        print(f"error: {error}", file=err)
        return EXIT_USAGE
    except CredentialError as error:
        print(f"error: {error}", file=err)
        return EXIT_FAILURE
    if active is None:
        print(
            "error: no provider is configured. Run `qwen-tui` once, or "
            "`qwen-tui auth login --provider ID`, or set OPENAI_API_KEY / OPENAI_BASE_URL.",
            file=err,
        )
        return EXIT_USAGE
    # Collect only for the sign-in this run really uses (a flag may have chosen a key).
    telemetry.configure(auth_method=active.provider.auth)
    telemetry.record(lambda: AppStart(mode="headless", startup_ms=process_age_ms()))
    service = build_chat_service(loaded, active, registry, store, telemetry=telemetry)
    text: list[str] = []
    reasoning: list[str] = []
    usage: dict[str, int] | None = None
    finish: str | None = None
    failure: ChatFailure | None = None
    events = cast(
        "AsyncGenerator[ChatEvent, None]", service.stream([{"role": "user", "content": prompt}])
    )
    try:
        async for event in events:
            if isinstance(event, TextDelta):
                text.append(event.text)
                if output == "text":
                    out.write(event.text)
                    out.flush()
            elif isinstance(event, ReasoningDelta):
                reasoning.append(event.text)
            elif isinstance(event, UsageReport):
                usage = {
                    "prompt_tokens": event.prompt_tokens,
                    "completion_tokens": event.completion_tokens,
                }
            elif isinstance(event, Finished):
                finish = event.reason
            else:
                failure = event
    finally:
        # Close the stream at once (a broken stdout pipe leaves the loop mid-answer).
        await events.aclose()
        await service.aclose()
    if output == "json":
        document = {
            "provider": active.provider.id,
            "model": active.model,
            "text": "".join(text),
            "reasoning": "".join(reasoning) or None,
            "finish_reason": finish,
            "usage": usage,
            "error": None
            if failure is None
            else {"kind": failure.kind, "message": failure.message},
        }
        out.write(json.dumps(document, ensure_ascii=False) + "\n")
    elif text and not "".join(text).endswith("\n"):
        out.write("\n")
    out.flush()
    if failure is not None:
        print(f"error: {failure.message}", file=err)
        return EXIT_FAILURE
    return EXIT_OK
