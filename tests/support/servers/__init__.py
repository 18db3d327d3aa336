"""Real servers on 127.0.0.1 that tests run against instead of transport mocks."""

from tests.support.servers.openai_server import (
    OpenAIServer,
    RecordedRequest,
    ScriptedError,
    ServerOptions,
    blackhole_port,
    closed_port,
    openai_server,
)

__all__ = [
    "OpenAIServer",
    "RecordedRequest",
    "ScriptedError",
    "ServerOptions",
    "blackhole_port",
    "closed_port",
    "openai_server",
]
