"""Stream chat completions from the active provider as typed events.

The openai SDK is imported here, lazily, on the first request (or earlier by
:func:`preload_sdk` in a background thread), never at start-up. The SDK's own retries
are off: a retry is the user's decision (or an announced wait for ``Retry-After``, by
the front end following :mod:`qwen_tui.chat.retry`), so a 429 never turns into a silent
minute-long hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from qwen_tui.chat.events import (
    ChatEvent,
    ChatFailure,
    Finished,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallsRequested,
    UsageReport,
)
from qwen_tui.chat.failures import failure_from_exception
from qwen_tui.chat.sse import iter_chunks
from qwen_tui.chat.think import ThinkSplitter
from qwen_tui.config.debug_log import LOGGER_NAME, remember_secret
from qwen_tui.net.ledger import Content, content_kind
from qwen_tui.providers.http_policy import LOOPBACK_DIRECT
from qwen_tui.providers.registry import ActiveProvider, openai_client_kwargs
from qwen_tui.telemetry.events import ApiRequest, ErrorReport, ToolUsed
from qwen_tui.telemetry.recorder import NullTelemetry, TelemetryRecorder

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from qwen_tui.config import LoadedSettings
    from qwen_tui.credentials import CredentialStore
    from qwen_tui.providers import ProviderRegistry


INTERRUPTED_MESSAGE = "The connection closed before the answer was finished."
NO_CHOICES_MESSAGE = "The server answered without any reply (no choices)."
WEB_PAGE_MESSAGE = "The URL answered with a web page, not an OpenAI-compatible API ({url})."


RefreshCredentials = Callable[[bool], Awaitable[str | None]]
"""Returns the access token to use: called with ``False`` before each request (renew it
if it is about to expire) and with ``True`` after a 401 (renew it now)."""

_log = logging.getLogger(LOGGER_NAME)

_QUOTA_USED_UP = "Your quota with this provider is used up (429)."


def sent_content(messages: Sequence[dict[str, Any]]) -> Content:
    """What the network ledger says a request with ``messages`` carries: the
    conversation, and with it what tools read once a tool has answered."""
    return "tool_output" if any(m.get("role") == "tool" for m in messages) else "prompt"


def preload_sdk() -> None:
    """Import the openai SDK (about a second here) so the first answer does not wait."""
    import openai  # noqa: F401


@dataclass
class ChatStats:
    """What this run has asked of the provider, for ``/stats`` and the status line."""

    requests: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    api_seconds: float = 0.0
    by_model: dict[str, int] = field(default_factory=dict)


class ChatService:
    """Talks to one provider; one instance per active provider.

    Args:
        active: the provider, base URL, model and key to use.
        timeout: seconds to wait for the server (connect and between bytes).
        list_models: an async callable returning the server's models, used to say
            which models exist when the chosen one is not found.
        refresh_credentials: for Qwen OAuth (see
            :func:`qwen_tui.providers.signin.credentials_refresher`): gives the access
            token before each request, and a renewed one after a 401, after which the
            request is sent once more (only when no answer text had arrived).
        telemetry: where each answer's ``api_request`` event (latency, time to first
            token, token counts, finished, provider id) and each failure's ``error``
            event (kind, HTTP status) go; default: nowhere. Nothing of the prompt or
            answer is in them, and nothing is recorded unless the provider is Qwen
            OAuth (the recorder's own gate checks consent).
    """

    def __init__(
        self,
        active: ActiveProvider,
        *,
        timeout: float = 120.0,
        list_models: Any = None,
        refresh_credentials: RefreshCredentials | None = None,
        telemetry: TelemetryRecorder | None = None,
    ) -> None:
        self.active = active
        self.telemetry: TelemetryRecorder = telemetry or NullTelemetry()
        self.timeout = timeout
        self.stats = ChatStats()
        self._list_models = list_models
        self._refresh_credentials = refresh_credentials
        self._client: AsyncOpenAI | None = None

    @property
    def model(self) -> str | None:
        """The model answers are asked from."""
        return self.active.model

    def _get_client(self) -> AsyncOpenAI:
        if self._client is None:
            from openai import AsyncOpenAI

            from qwen_tui.net.openai_http import openai_client

            client = AsyncOpenAI(
                **openai_client_kwargs(self.active),
                timeout=self.timeout,
                max_retries=0,
                http_client=openai_client(purpose="chat", content="prompt", mounts=LOOPBACK_DIRECT),
            )
            if self.active.provider.id != "openai":
                # The SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment and
                # would send them to any server; they belong to OpenAI accounts only.
                client.organization = None
                client.project = None
            self._client = client
        return self._client

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def stream(
        self,
        messages: Sequence[dict[str, Any]],
        *,
        model: str | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
    ) -> AsyncGenerator[ChatEvent, None]:
        """Ask for an answer and yield its events as they arrive.

        ``tools`` (OpenAI function definitions) are offered to the model; the calls it
        asks for come as one :class:`ToolCallsRequested` at the end, their arguments
        joined from the pieces they were streamed in.

        Never raises for provider trouble: the last event is :class:`Finished` or a
        :class:`ChatFailure`. Cancelling the consuming task closes the HTTP stream at
        once (the ``async with`` below), so no request is left running.
        """
        chosen = model or self.active.model
        if not chosen:
            failure = ChatFailure("bad_request", "No model is chosen.", "pick_model")
            self._record_failure(failure)
            yield failure
            return
        self.stats.requests += 1
        self.stats.by_model[chosen] = self.stats.by_model.get(chosen, 0) + 1
        started = time.monotonic()
        first_token: float | None = None
        tokens = (0, 0)
        finished = False
        try:
            async for event in self._stream(messages, chosen, tools):
                if isinstance(event, TextDelta | ReasoningDelta):
                    if first_token is None:
                        first_token = time.monotonic()
                elif isinstance(event, UsageReport):
                    tokens = (event.prompt_tokens, event.completion_tokens)
                elif isinstance(event, Finished):
                    finished = True
                elif isinstance(event, ChatFailure):
                    self.stats.failures += 1
                    self._record_failure(event)
                    _log.warning("answer failed: %s (HTTP %s)", event.kind, event.status)
                yield event
        finally:
            ended = time.monotonic()
            self.stats.api_seconds += ended - started
            _log.info(
                "answer from %s: %.2f s, first token after %s, tokens %d→%d, finished %s",
                chosen,
                ended - started,
                "-" if first_token is None else f"{first_token - started:.2f} s",
                *tokens,
                finished,
            )
            self._record_request(started, first_token, ended, tokens, finished)

    def _collecting(self) -> bool:
        """Events only under Qwen OAuth: under an OpenAI-compatible key nothing is
        collected, whatever the recorder was told."""
        return self.telemetry.active and self.active.provider.auth == "qwen-oauth"

    def _record_request(
        self,
        started: float,
        first_token: float | None,
        ended: float,
        tokens: tuple[int, int],
        finished: bool,
    ) -> None:
        if not self._collecting():
            return
        provider = self.active.provider.id
        self.telemetry.record(
            lambda: ApiRequest(
                provider=provider,
                latency_ms=(ended - started) * 1000,
                ttft_ms=None if first_token is None else (first_token - started) * 1000,
                prompt_tokens=tokens[0],
                completion_tokens=tokens[1],
                finished=finished,
            )
        )

    def record_tool(self, tool: str, decision: str, seconds: float, success: bool) -> None:
        """Count one tool call of the coding agent, under the same consent and sign-in
        rule as every other event (see :meth:`_collecting`): its tool and decision from
        closed lists, its duration and success; nothing of what it read or did."""
        if self._collecting():
            self.telemetry.record(
                lambda: ToolUsed(
                    tool=tool, decision=decision, duration_ms=seconds * 1000, success=success
                )
            )

    def _record_failure(self, failure: ChatFailure) -> None:
        if self._collecting():
            self.telemetry.record(lambda: ErrorReport(kind=failure.kind, status=failure.status))

    async def _stream(
        self,
        messages: Sequence[dict[str, Any]],
        model: str,
        tools: Sequence[dict[str, Any]] | None,
    ) -> AsyncIterator[ChatEvent]:
        if self._refresh_credentials is not None:
            problem = await self._renew_credentials(force=False)
            if problem is not None:
                yield problem
                return
        retried = False
        while True:
            secrets = [self.active.api_key]
            splitter = ThinkSplitter()
            answer_started = False
            finish_reason: str | None = None
            saw_choice = False
            saw_chunk = False
            page = _FirstLine()
            calls = _ToolCalls()
            try:
                client = self._get_client()
                offered: dict[str, Any] = {"tools": list(tools)} if tools else {}
                request = client.chat.completions.with_streaming_response.create(  # type: ignore[call-overload]
                    model=model,
                    messages=list(messages),
                    stream=True,
                    stream_options={"include_usage": True},
                    **offered,
                )
                async with contextlib.AsyncExitStack() as exchange:
                    # The kind is read when the request is sent, inside this block,
                    # which holds no yield: it cannot leak to the consumer's code.
                    with content_kind(sent_content(messages)):
                        response = await exchange.enter_async_context(request)
                    page.content_type = response.headers.get("content-type")
                    async for chunk in iter_chunks(page.watch(response.iter_lines())):
                        saw_chunk = True
                        usage = chunk.get("usage")
                        if isinstance(usage, dict):
                            prompt = int(usage.get("prompt_tokens") or 0)
                            completion = int(usage.get("completion_tokens") or 0)
                            self.stats.prompt_tokens += prompt
                            self.stats.completion_tokens += completion
                            yield UsageReport(prompt, completion)
                        for choice in chunk.get("choices") or ():
                            saw_choice = True
                            delta = choice.get("delta") or {}
                            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                            if isinstance(reasoning, str) and reasoning:
                                yield ReasoningDelta(reasoning)
                            content = delta.get("content")
                            if isinstance(content, str) and content:
                                text, thought = splitter.feed(content)
                                if thought:
                                    yield ReasoningDelta(thought)
                                if text and not answer_started:
                                    text = text.lstrip()
                                    answer_started = bool(text)
                                if text:
                                    yield TextDelta(text)
                            calls.feed(delta.get("tool_calls"))
                            if choice.get("finish_reason"):
                                finish_reason = str(choice["finish_reason"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every provider failure becomes an event
                failure = failure_from_exception(exc, secrets)
                if (
                    failure.status == 401
                    and not saw_chunk
                    and not retried
                    and self._refresh_credentials is not None
                ):
                    retried = True
                    problem = await self._renew_credentials(force=True)
                    if problem is None:
                        continue  # send the request once more with the new token
                    failure = problem
                if failure.kind == "connect" and saw_chunk:
                    failure = ChatFailure("interrupted", INTERRUPTED_MESSAGE, "ask_again")
                if failure.kind == "model_not_found":
                    failure = await self._with_models(failure)
                yield self._for_qwen_oauth(failure)
                return
            break
        text, thought = splitter.flush()
        if thought:
            yield ReasoningDelta(thought)
        if text:
            yield TextDelta(text if answer_started else text.lstrip())
        if finish_reason is not None:
            if calls:
                yield ToolCallsRequested(calls.done())
            yield Finished(finish_reason)
        elif not saw_chunk and page.is_web_page():
            from qwen_tui.providers.urls import display_url

            yield ChatFailure(
                "malformed",
                WEB_PAGE_MESSAGE.format(url=display_url(self.active.base_url)),
                "check_base_url",
            )
        elif not saw_choice:
            yield ChatFailure("no_choices", NO_CHOICES_MESSAGE, "retry_or_pick_model")
        else:
            yield ChatFailure("interrupted", INTERRUPTED_MESSAGE, "ask_again")

    async def _renew_credentials(self, *, force: bool) -> ChatFailure | None:
        """Ask for the current (or, with ``force``, a renewed) token and switch to it."""
        assert self._refresh_credentials is not None
        try:
            token = await self._refresh_credentials(force)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return _renewal_failure(exc)
        if token and token != self.active.api_key:
            remember_secret(token)
            self.active = replace(self.active, api_key=token)
            await self.aclose()  # the next request builds a client with the new token
        return None

    def _for_qwen_oauth(self, failure: ChatFailure) -> ChatFailure:
        """Word quota and 401 failures for a Qwen OAuth sign-in (no key to replace)."""
        if self.active.provider.auth != "qwen-oauth":
            return failure
        if failure.kind == "quota":
            message = failure.message.replace(
                _QUOTA_USED_UP, "Your free Qwen OAuth quota is used up for now (429)."
            )
            return replace(failure, message=message, remedy="switch_to_api_key")
        if failure.kind == "auth":
            from qwen_tui.providers.qwen_oauth.errors import SIGN_IN_AGAIN

            if failure.status == 401:
                return replace(
                    failure,
                    message=f"The Qwen server refused the sign-in (401). {SIGN_IN_AGAIN}",
                    remedy=None,
                )
        return failure

    async def _with_models(self, failure: ChatFailure) -> ChatFailure:
        """Add the server's model list to a model-not-found failure."""
        if self._list_models is None:
            return failure
        try:
            models = tuple(await self._list_models())
        except Exception:
            return failure
        if not models:
            return failure
        shown = ", ".join(models[:15]) + (" …" if len(models) > 15 else "")
        return ChatFailure(
            failure.kind,
            f"{failure.message} Models on this server: {shown}.",
            "pick_model",
            status=failure.status,
            models=models,
        )


class _ToolCalls:
    """Tool calls put together from their streamed pieces, by ``index``.

    The first piece of a call carries its ``id`` and ``name``; the rest carry parts of
    ``arguments``, to be joined in order. Names are joined too: the spec streams every
    field as deltas, and some servers do send a name in parts.
    """

    def __init__(self) -> None:
        self._calls: dict[int, tuple[list[str], list[str], list[str]]] = {}

    def __bool__(self) -> bool:
        return any(name for _, name, _ in self._calls.values())

    def feed(self, pieces: object) -> None:
        if not isinstance(pieces, list):
            return
        for position, piece in enumerate(pieces):
            if not isinstance(piece, dict):
                continue
            index = piece.get("index")
            key = index if isinstance(index, int) else position
            ids, names, arguments = self._calls.setdefault(key, ([], [], []))
            if isinstance(piece.get("id"), str):
                ids.append(piece["id"])
            function = piece.get("function")
            if isinstance(function, dict):
                if isinstance(function.get("name"), str):
                    names.append(function["name"])
                if isinstance(function.get("arguments"), str):
                    arguments.append(function["arguments"])

    def done(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(ids[-1] if ids else f"call_{key}", "".join(names), "".join(arguments))
            for key, (ids, names, arguments) in sorted(self._calls.items())
            if names
        )


class _FirstLine:
    """Remembers the content type and first non-blank line of a stream, so that an
    answer with no events can be told apart: a web page, or an API with no reply."""

    def __init__(self) -> None:
        self.content_type: str | None = None
        self.first: str = ""

    async def watch(self, lines: AsyncIterator[str]) -> AsyncIterator[str]:
        async for line in lines:
            if not self.first and line.strip():
                self.first = line
            yield line

    def is_web_page(self) -> bool:
        from qwen_tui.providers.web_page import looks_like_web_page

        return looks_like_web_page(self.content_type, self.first)


def _renewal_failure(exc: Exception) -> ChatFailure:
    """A failed token renewal as a chat failure; the conversation is untouched."""
    from qwen_tui.providers.qwen_oauth.errors import OAuthError

    if isinstance(exc, OAuthError):
        if exc.kind in ("network", "server", "busy"):
            return ChatFailure(
                "connect", f"Could not renew the Qwen sign-in: {exc.message}", "retry"
            )
        return ChatFailure("auth", exc.message, status=exc.status)
    return ChatFailure(
        "auth",
        f"Could not read the Qwen sign-in ({type(exc).__name__}: {exc}).",
        "sign_in_qwen",
    )


def build_chat_service(
    loaded: LoadedSettings,
    active: ActiveProvider,
    registry: ProviderRegistry,
    credentials: CredentialStore | None,
    *,
    telemetry: TelemetryRecorder | None = None,
) -> ChatService:
    """The chat service for ``active`` as the TUI and ``-p`` both use it: the configured
    timeout, the server's model list for "model not found", token refresh under
    Qwen OAuth, and the run's telemetry recorder (default: none)."""
    from qwen_tui.providers.signin import credentials_refresher

    return ChatService(
        active,
        timeout=loaded.settings.model.request_timeout,
        list_models=lambda: registry.list_models(active.base_url, active.api_key),
        refresh_credentials=credentials_refresher(loaded, credentials),
        telemetry=telemetry,
    )
