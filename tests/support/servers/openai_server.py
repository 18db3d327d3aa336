"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests (standard library only).

Written from the public OpenAI API reference (``GET /v1/models``,
``POST /v1/chat/completions`` with and without ``stream``), so that the
provider checks and the chat layer are tested against real sockets, real HTTP
and real server-sent events instead of transport mocks.

Usage::

    with openai_server(api_key="sk-test", models=["m1"]) as server:
        ...  # use server.base_url ("http://127.0.0.1:PORT/v1")
        server.options.mode = "html"  # options can change between requests
        assert server.requests[-1].headers["authorization"] == "Bearer sk-test"

Misbehaviour on purpose (``options.mode``): ``"forbidden"`` (403 everywhere),
``"not_found"`` (404 on every path: no API at this URL), ``"html"`` (200 with
a web page), ``"slow"`` (sleeps ``options.delay`` seconds before answering),
``"trickle"`` (answers normally but sends the body one byte every
``options.trickle_interval`` seconds, so no single read ever times out),
``"server_error"`` (500). Finer control: ``options.errors`` maps a path (e.g.
``"/v1/chat/completions"``) to a :class:`ScriptedError`; ``drop_after`` cuts a
stream after that many content chunks, without ``[DONE]``.

A scripted model (``options.script``): each chat request takes the next :class:`Turn`,
which streams text and then tool calls the way the API does, each call opened with its
``id`` and ``name`` and its ``arguments`` sent in several pieces, several calls in one
turn, ``finish_reason: "tool_calls"``. What the client sent back (the tool results) is
in ``server.requests``; :meth:`OpenAIServer.tool_results` reads them out.
``reject_tools`` answers a request that offers tools with a 400, as models without
function calling do.

The server also accepts absolute-form request targets, so it can stand in
for an HTTP proxy (``HTTP_PROXY=server.url``) and record what went through.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "Call",
    "Mode",
    "OpenAIServer",
    "RecordedRequest",
    "ScriptedError",
    "ServerOptions",
    "Turn",
    "blackhole_port",
    "closed_port",
    "openai_server",
]

Mode = Literal["ok", "forbidden", "not_found", "html", "slow", "trickle", "server_error"]

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head>"
    b"<body><h1>Welcome to our website</h1></body></html>\n"
)


@dataclass
class ScriptedError:
    """An OpenAI-style error answer for one path.

    Attributes:
        status: HTTP status, e.g. 400, 404, 429, 500.
        message: ``error.message``.
        type: ``error.type``.
        code: ``error.code`` (e.g. ``"context_length_exceeded"``).
        param: ``error.param``.
        headers: extra response headers (e.g. ``{"Retry-After": "1"}``).
        times: answer with the error this many times, then normally (``None``: always).
        in_stream: answer a streamed request with 200 and the error as the stream's
            first event (``data: {"error": {...}}``), as OpenAI-compatible servers do
            for a failure found once the stream has begun; ``status`` is then unused.
    """

    status: int
    message: str = "Scripted failure."
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    in_stream: bool = False


@dataclass
class Call:
    """A tool call in a scripted turn; ``arguments`` is sent in ``pieces`` parts."""

    name: str
    arguments: dict[str, Any] | str
    pieces: int = 3
    id: str = ""

    def text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Turn:
    """One scripted answer: text pieces, then tool calls (none: a final answer)."""

    text: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


@dataclass
class ServerOptions:
    """What the server does; change fields at any time, each request reads them anew.

    Attributes:
        api_key: The key every request must send as ``Authorization: Bearer``;
            ``None`` accepts requests without a key (a local server).
        models: Model ids for ``GET /v1/models``.
        owned_by: ``owned_by`` of each model.
        models_require_auth: When False, ``/v1/models`` answers without a key
            (OpenRouter does this); ``/v1/key`` always needs one.
        mode: Deliberate misbehaviour, see the module docstring.
        delay: Seconds to sleep in ``"slow"`` mode.
        trickle_interval: Seconds between body bytes in ``"trickle"`` mode.
        errors: Path → scripted error, checked after authentication.
        chat_pieces: Text pieces of the assistant's answer; one SSE chunk each.
        chunk_delay: Seconds between SSE chunks.
        finish_reason: ``finish_reason`` of the last choice.
        reasoning_pieces: ``reasoning_content`` pieces sent before the answer.
        malformed_after: After this many content chunks, send a line that is not JSON.
        stall_after: After this many content chunks, wait until the server stops (an
            answer caught mid-stream).
        no_choices: Stream only chunks with an empty ``choices`` list.
        send_usage: Whether to send the usage chunk when asked for it.
        drop_after: Close a stream after this many content chunks (no
            finish chunk, no ``[DONE]``), as a broken connection does.
        strict_model: Answer 404 ``model_not_found`` for models not in ``models``.
        prefix: Path prefix of the API (``"/v1"``).
        script: Turns answered one per chat request, in order (see the module
            docstring); when it runs out, ``chat_pieces`` answer.
        reject_tools: Answer 400 to a request that offers ``tools``.
        refuse_max_tokens: Answer 400 to ``max_tokens`` and take only
            ``max_completion_tokens``, as OpenAI's newer models do. Either limit is
            honoured (one piece of ``chat_pieces`` stands for one token; the answer then
            ends with ``finish_reason: "length"``).
    """

    api_key: str | None = "sk-test-key"
    models: list[str] = field(default_factory=lambda: ["test-model", "test-model-mini"])
    owned_by: str = "qwen-tui-tests"
    models_require_auth: bool = True
    mode: Mode = "ok"
    delay: float = 5.0
    trickle_interval: float = 0.1
    errors: dict[str, ScriptedError] = field(default_factory=dict)
    chat_pieces: list[str] = field(default_factory=lambda: ["Hello", ", ", "world", "!"])
    chunk_delay: float = 0.0
    finish_reason: str = "stop"
    drop_after: int | None = None
    reasoning_pieces: list[str] = field(default_factory=list)
    malformed_after: int | None = None
    stall_after: int | None = None
    no_choices: bool = False
    send_usage: bool = True
    strict_model: bool = False
    prefix: str = "/v1"
    script: list[Turn] = field(default_factory=list)
    reject_tools: bool = False
    refuse_max_tokens: bool = False


@dataclass
class RecordedRequest:
    """One request as the server received it.

    Attributes:
        method: ``"GET"``, ``"POST"``…
        target: The raw request target (absolute when sent to a proxy).
        path: The path without query.
        headers: Header names in lower case.
        body: The raw body.
        answered: Bytes of the answer's body written back (chunk framing not counted).
    """

    method: str
    target: str
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int = 0

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body or b"null")

    @property
    def authorization(self) -> str | None:
        """The Authorization header, if any."""
        return self.headers.get("authorization")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, owner: OpenAIServer, ssl_context: ssl.SSLContext | None) -> None:
        self.owner = owner
        self.ssl_context = ssl_context
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        with self.connections_lock:
            self.connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up on purpose in these tests (timeouts, cancelled
        # probes); a traceback on stderr for each would only be noise.
        return

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    _recorded: RecordedRequest
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                raise

    # -- plumbing -----------------------------------------------------------------

    @property
    def owner(self) -> OpenAIServer:
        return self.server.owner

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.path
        path = urlsplit(target).path if "://" in target else target.split("?", 1)[0]
        recorded = RecordedRequest(
            method=self.command,
            target=target,
            path=path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        self.owner.requests.append(recorded)
        self._recorded = recorded
        return recorded

    def _answered(self, data: bytes) -> bytes:
        """Count ``data`` as answer body written for the request being handled."""
        self._recorded.answered += len(data)
        return data

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        if self.owner.options.mode != "trickle":
            self.wfile.write(self._answered(body))
            self.wfile.flush()
            return
        for index in range(len(body)):
            if self.owner.stopping:
                return
            self.wfile.write(self._answered(body[index : index + 1]))
            self.wfile.flush()
            self.owner.sleep(self.owner.options.trickle_interval)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _error(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        error = {"message": message, "type": type, "param": param, "code": code}
        body = json.dumps({"error": error}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(self._answered(body))
        self.wfile.flush()

    def _stream_error(self, scripted: ScriptedError) -> None:
        """200, then the error as the first and only event of the stream."""
        error = {
            "message": scripted.message,
            "type": scripted.type,
            "param": scripted.param,
            "code": scripted.code,
        }
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(b"data: " + json.dumps({"error": error}).encode() + b"\n\n")
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + self._answered(data) + b"\r\n")
        self.wfile.flush()

    # -- dispatch -----------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        request = self._record()
        options = self.owner.options
        try:
            if options.mode == "slow":
                self.owner.sleep(options.delay)
            self._route(request, options)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def _route(self, request: RecordedRequest, options: ServerOptions) -> None:
        prefix = options.prefix.rstrip("/")
        if options.mode == "html":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
            return
        if options.mode == "not_found" or not request.path.startswith(prefix + "/"):
            self._error(
                404,
                f"Unknown request URL: {request.method} {request.path}. Please check the URL "
                "for typos.",
                code="unknown_url",
            )
            return
        if options.mode == "server_error":
            self._error(
                500, "The server had an error while processing your request.", type="server_error"
            )
            return
        route = request.path[len(prefix) :]
        public = route == "/models" and not options.models_require_auth
        if not public and not self._authorised(request, options):
            return
        if options.mode == "forbidden":
            self._error(
                403,
                "Country, region, or territory not supported",
                type="invalid_request_error",
                code="unsupported_country_region_territory",
            )
            return
        scripted = options.errors.get(request.path)
        if scripted is not None and scripted.times != 0:
            if scripted.times is not None:
                scripted.times -= 1
            if scripted.in_stream and _wants_stream(request):
                self._stream_error(scripted)
                return
            self._error(
                scripted.status,
                scripted.message,
                type=scripted.type,
                code=scripted.code,
                param=scripted.param,
                headers=scripted.headers,
            )
            return
        if request.method == "GET" and route == "/models":
            self._models(options)
        elif request.method == "GET" and route == "/key":
            self._json(200, {"data": {"label": "sk-test…", "usage": 0, "limit": None}})
        elif request.method == "POST" and route == "/chat/completions":
            self._chat(request, options)
        else:
            self._error(
                404 if request.method in ("GET", "POST") else 405,
                f"Unknown request URL: {request.method} {request.path}.",
                code="unknown_url",
            )

    def _authorised(self, request: RecordedRequest, options: ServerOptions) -> bool:
        if options.api_key is None:
            return True
        header = request.authorization or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip() == options.api_key:
            return True
        if not header:
            message = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            # Echo what was received, as some servers do, so that tests can
            # check that callers redact keys from quoted server messages.
            message = f"Incorrect API key provided: {token.strip()}."
        self._error(401, message, code="invalid_api_key")
        return False

    # -- endpoints ----------------------------------------------------------------

    def _models(self, options: ServerOptions) -> None:
        created = int(time.time())
        data = [
            {"id": model, "object": "model", "created": created, "owned_by": options.owned_by}
            for model in options.models
        ]
        self._json(200, {"object": "list", "data": data})

    def _chat(self, request: RecordedRequest, options: ServerOptions) -> None:
        try:
            body = request.json()
        except ValueError:
            self._error(400, "We could not parse the JSON body of your request.")
            return
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._error(400, "'messages' is a required property", param="messages")
            return
        model = body.get("model")
        if not isinstance(model, str) or not model:
            self._error(400, "you must provide a model parameter", param="model")
            return
        if options.strict_model and model not in options.models:
            self._error(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                code="model_not_found",
            )
            return
        if options.reject_tools and body.get("tools"):
            self._error(
                400,
                f"The model `{model}` does not support tools.",
                param="tools",
                code="unsupported_parameter",
            )
            return
        turn = options.script.pop(0) if options.script else None
        prompt_tokens = sum(
            len(str(message.get("content") or "").split())
            for message in body["messages"]
            if isinstance(message, dict)
        )
        pieces = list(options.chat_pieces) if turn is None else list(turn.text)
        finish_reason = options.finish_reason
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if options.refuse_max_tokens and "max_tokens" in body:
            self._error(
                400,
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                "'max_completion_tokens' instead.",
                param="max_tokens",
                code="unsupported_parameter",
            )
            return
        if isinstance(limit, int) and 0 < limit < len(pieces):
            # One piece stands for one token: the answer stops at the limit.
            pieces, finish_reason = pieces[:limit], "length"
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(pieces),
            "total_tokens": prompt_tokens + len(pieces),
        }
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.get("stream"):
            message = {"role": "assistant", "content": "".join(pieces), "refusal": None}
            choice = {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            self._json(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [choice],
                    "usage": usage,
                },
            )
            return
        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(
            stream_options.get("include_usage")
        )
        calls = [] if turn is None else turn.calls
        self._stream(
            completion_id,
            created,
            model,
            pieces,
            usage,
            include_usage,
            options,
            calls,
            finish_reason,
        )

    def _stream(
        self,
        completion_id: str,
        created: int,
        model: str,
        pieces: list[str],
        usage: dict[str, int],
        include_usage: bool,
        options: ServerOptions,
        calls: list[Call] | None = None,
        finish_reason: str = "stop",
    ) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(choices: list[dict[str, Any]], **extra: Any) -> None:
            chunk: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": choices,
            }
            if include_usage:
                chunk["usage"] = None
            chunk.update(extra)
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())

        def choice(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}

        if options.no_choices:
            event([])
            if include_usage and options.send_usage:
                event([], usage=usage)
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")
            return
        event([choice({"role": "assistant", "content": "", "refusal": None})])
        for piece in options.reasoning_pieces:
            event([choice({"reasoning_content": piece})])
        for sent, piece in enumerate(pieces):
            if options.drop_after is not None and sent >= options.drop_after:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if options.stall_after is not None and sent == options.stall_after:
                self.owner.sleep(3600)
                return
            if options.malformed_after is not None and sent == options.malformed_after:
                self._chunk(b"data: {this is not json\n\n")
            if options.chunk_delay:
                self.owner.sleep(options.chunk_delay)
            event([choice({"content": piece})])
        for index, call in enumerate(calls or []):
            text = call.text()
            call_id = call.id or f"call_{uuid.uuid4().hex[:12]}"
            opening = {"index": index, "id": call_id, "type": "function"}
            event(
                [
                    choice(
                        {
                            "tool_calls": [
                                opening | {"function": {"name": call.name, "arguments": ""}}
                            ]
                        }
                    )
                ]
            )
            size = max(1, -(-len(text) // max(1, call.pieces)))
            for start in range(0, len(text), size):
                piece = text[start : start + size]
                event(
                    [choice({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})]
                )
        event([choice({}, "tool_calls" if calls else finish_reason)])
        if include_usage and options.send_usage:
            event([], usage=usage)
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")


class OpenAIServer:
    """A running test server.

    Attributes:
        options: What the server does (mutable).
        requests: Every request received, in order.
        url: Root URL, e.g. ``"http://127.0.0.1:PORT"`` (for use as a proxy).
        base_url: API base URL, e.g. ``"http://127.0.0.1:PORT/v1"``.
        port: The port.
        ca_file: With ``tls=True``, the PEM file of the CA that signed the
            server's certificate (for ``SSL_CERT_FILE``); else ``None``.
    """

    def __init__(self, options: ServerOptions, *, tls: bool = False) -> None:
        self.options = options
        self.requests: list[RecordedRequest] = []
        self.ca_file: Path | None = None
        self._stopping = threading.Event()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        context = self._tls_context() if tls else None
        self._server = _Server(self, context)
        self.port: int = self._server.server_address[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"openai-server-{self.port}",
            daemon=True,
        )

    def tool_results(self, request: int = -1) -> dict[str, str]:
        """The tool results a chat request carried: call id → content."""
        chats = [r for r in self.requests if r.path.endswith("/chat/completions")]
        messages = chats[request].json()["messages"]
        return {m["tool_call_id"]: m["content"] for m in messages if m.get("role") == "tool"}

    @property
    def base_url(self) -> str:
        """The API base URL clients should be given."""
        return self.url + self.options.prefix.rstrip("/")

    @property
    def stopping(self) -> bool:
        """True once ``stop()`` has begun."""
        return self._stopping.is_set()

    def sleep(self, seconds: float) -> None:
        """Sleep in a handler, waking early when the server stops."""
        self._stopping.wait(seconds)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers and drop open connections."""
        self._stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def _tls_context(self) -> ssl.SSLContext:
        """A server context with a fresh CA and a certificate for 127.0.0.1 / localhost."""
        self._tmp = tempfile.TemporaryDirectory(prefix="openai-server-")
        folder = Path(self._tmp.name)
        ca_pem, cert_pem, key_pem = _make_certificates()
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(ca_pem)
        (folder / "cert.pem").write_bytes(cert_pem)
        (folder / "key.pem").write_bytes(key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        return context


def _wants_stream(request: RecordedRequest) -> bool:
    try:
        body = request.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("stream"))


def _make_certificates() -> tuple[bytes, bytes, bytes]:
    """Create a throw-away CA and a server certificate signed by it (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "qwen-tui test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        ca_cert.public_bytes(serialization.Encoding.PEM),
        cert.public_bytes(serialization.Encoding.PEM),
        key_pem,
    )


@contextlib.contextmanager
def openai_server(*, tls: bool = False, **options: Any) -> Iterator[OpenAIServer]:
    """Run an :class:`OpenAIServer` for the duration of a ``with`` block.

    Args:
        tls: Serve HTTPS with a certificate from a fresh CA (``server.ca_file``).
        **options: Fields of :class:`ServerOptions`.

    Yields:
        The running server.
    """
    server = OpenAIServer(ServerOptions(**options), tls=tls)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def blackhole_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections but never answers.

    The kernel completes the handshake from the listen backlog; nothing ever
    reads the request, as with a hung server.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]
