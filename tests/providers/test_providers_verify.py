"""Key checks and model lists against a real OpenAI-compatible server on loopback.

One test per ``ProviderError`` kind that can be produced on this machine, plus
the proxy and custom-CA variables that users behind company networks rely on.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator

import pytest

from qwen_tui.providers import Provider, ProviderError, ProviderRegistry
from tests.support.servers import OpenAIServer, ScriptedError, closed_port, openai_server
from tests.support.waiting import LOAD_SLACK

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY, models=["qwen3-coder-plus", "qwen-max"]) as running:
        yield running


@pytest.fixture
def registry() -> ProviderRegistry:
    return ProviderRegistry()


async def verify_error(
    registry: ProviderRegistry,
    base_url: str,
    api_key: str | None,
    *,
    seconds: float = 5.0,
    provider: Provider | None = None,
) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await registry.verify_key(base_url, api_key, timeout=seconds, provider=provider)
    error = caught.value
    if api_key:
        assert api_key not in error.message
        assert api_key not in str(error)
        assert api_key not in repr(error)
    return error


# -- success ---------------------------------------------------------------------------


async def test_verify_returns_the_model_ids(
    server: OpenAIServer, registry: ProviderRegistry
) -> None:
    models = await registry.verify_key(server.base_url + "/", KEY)
    assert models == ["qwen3-coder-plus", "qwen-max"]
    (request,) = server.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.authorization == f"Bearer {KEY}"
    assert request.headers["user-agent"].startswith("qwen-tui")


async def test_verify_may_return_an_empty_list(registry: ProviderRegistry) -> None:
    with openai_server(api_key=None, models=[]) as server:
        assert await registry.verify_key(server.base_url, None) == []


async def test_list_models_without_a_key_sends_no_authorization(
    registry: ProviderRegistry,
) -> None:
    with openai_server(api_key=None, models=["llama3.2"]) as server:
        assert await registry.list_models(server.base_url, "  ") == ["llama3.2"]
        assert server.requests[0].authorization is None


# -- HTTP answers ------------------------------------------------------------------------


async def test_wrong_key_is_auth_and_never_echoed(
    server: OpenAIServer, registry: ProviderRegistry
) -> None:
    wrong = "sk-wrong-key-9876543210"
    error = await verify_error(registry, server.base_url, wrong)
    assert error.kind == "auth"
    assert error.status == 401
    assert error.message.startswith("The server refused the key (401)")
    # The server echoed the key in its error body; it must be redacted.
    assert "[redacted]" in error.message


async def test_missing_key_is_auth_with_a_different_hint(
    server: OpenAIServer, registry: ProviderRegistry
) -> None:
    error = await verify_error(registry, server.base_url, None)
    assert error.kind == "auth"
    assert "needs an API key" in error.message


async def test_provider_that_needs_a_key_is_refused_before_any_request(
    server: OpenAIServer, registry: ProviderRegistry
) -> None:
    provider = dataclasses.replace(registry.get("openai"), base_url=server.base_url)
    error = await verify_error(registry, server.base_url, "", provider=provider)
    assert error.kind == "auth"
    assert "platform.openai.com" in error.message
    assert server.requests == []


async def test_forbidden(server: OpenAIServer, registry: ProviderRegistry) -> None:
    server.options.mode = "forbidden"
    error = await verify_error(registry, server.base_url, KEY)
    assert error.kind == "forbidden"
    assert error.status == 403
    assert "403" in error.message
    assert "Country, region, or territory not supported" in error.message


async def test_no_models_endpoint(server: OpenAIServer, registry: ProviderRegistry) -> None:
    server.options.mode = "not_found"
    error = await verify_error(registry, server.base_url, KEY)
    assert error.kind == "not_found"
    assert error.status == 404
    assert "no /models endpoint at this URL" in error.message
    assert "it usually ends in /v1" in error.message


async def test_base_url_without_v1_is_not_found(
    server: OpenAIServer, registry: ProviderRegistry
) -> None:
    error = await verify_error(registry, server.url, KEY)
    assert error.kind == "not_found"
    assert server.requests[0].path == "/models"


async def test_web_page_instead_of_json(server: OpenAIServer, registry: ProviderRegistry) -> None:
    server.options.mode = "html"
    error = await verify_error(registry, server.base_url, KEY)
    assert error.kind == "not_json"
    assert "answered with a web page, not the API" in error.message
    assert "missing /v1 or points at a website" in error.message


@pytest.mark.parametrize(
    ("status", "fragment"), [(500, "server error"), (429, "rate-limiting"), (400, "HTTP 400")]
)
async def test_other_http_errors(
    server: OpenAIServer, registry: ProviderRegistry, status: int, fragment: str
) -> None:
    server.options.errors["/v1/models"] = ScriptedError(status, message=f"scripted {status}")
    error = await verify_error(registry, server.base_url, KEY)
    assert error.kind == "http"
    assert error.status == status
    assert fragment in error.message
    assert f"scripted {status}" in error.message


async def test_server_error_mode(server: OpenAIServer, registry: ProviderRegistry) -> None:
    server.options.mode = "server_error"
    error = await verify_error(registry, server.base_url, KEY)
    assert (error.kind, error.status) == ("http", 500)


# -- no HTTP answer ----------------------------------------------------------------------


async def test_timeout(server: OpenAIServer, registry: ProviderRegistry) -> None:
    server.options.mode = "slow"
    server.options.delay = 60.0
    started = time.perf_counter()
    error = await verify_error(registry, server.base_url, KEY, seconds=0.3)
    elapsed = time.perf_counter() - started
    assert error.kind == "timeout"
    assert "0.3 s" in error.message
    assert elapsed < 0.3 + LOAD_SLACK


async def test_a_trickling_answer_is_a_timeout_too(
    server: OpenAIServer, registry: ProviderRegistry
) -> None:
    server.options.mode = "trickle"
    server.options.trickle_interval = 0.2  # the whole answer would take over 10 s
    started = time.perf_counter()
    error = await verify_error(registry, server.base_url, KEY, seconds=0.3)
    assert error.kind == "timeout"
    assert time.perf_counter() - started < 0.3 + LOAD_SLACK


async def test_connection_refused(registry: ProviderRegistry) -> None:
    port = closed_port()
    error = await verify_error(registry, f"http://127.0.0.1:{port}/v1", KEY)
    assert error.kind == "connect"
    assert "connection refused" in error.message
    assert str(port) in error.message


async def test_unknown_host(registry: ProviderRegistry) -> None:
    error = await verify_error(registry, "https://nonexistent.invalid/v1", KEY)
    assert error.kind == "dns"
    assert "Cannot resolve host nonexistent.invalid" in error.message


async def test_https_to_a_plain_http_server_is_tls(
    server: OpenAIServer, registry: ProviderRegistry
) -> None:
    error = await verify_error(registry, server.base_url.replace("http://", "https://"), KEY)
    assert error.kind == "tls"
    assert "use http://" in error.message


async def test_untrusted_certificate_is_tls_with_a_ca_hint(registry: ProviderRegistry) -> None:
    with openai_server(tls=True, api_key=KEY) as server:
        error = await verify_error(registry, server.base_url, KEY)
        assert error.kind == "tls"
        assert "not trusted" in error.message
        assert "SSL_CERT_FILE" in error.message


async def test_ssl_cert_file_is_honoured(
    registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    with openai_server(tls=True, api_key=KEY, models=["secure-model"]) as server:
        assert server.ca_file is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        assert await registry.verify_key(server.base_url, KEY) == ["secure-model"]


@pytest.mark.parametrize("url", ["127.0.0.1:11434/v1", "ftp://example.com/v1", "http:///v1"])
async def test_bad_url(registry: ProviderRegistry, url: str) -> None:
    error = await verify_error(registry, url, KEY)
    assert error.kind == "bad_url"


async def test_bad_url_without_scheme_says_how_to_fix(registry: ProviderRegistry) -> None:
    error = await verify_error(registry, "localhost:1234/v1", None)
    assert "add http:// or https://" in error.message


# -- providers whose /models is public (OpenRouter) ------------------------------------


@pytest.fixture
def public_models_server() -> Iterator[OpenAIServer]:
    with openai_server(api_key=KEY, models_require_auth=False, models=["qwen/qwen3-coder"]) as s:
        yield s


def openrouter_at(registry: ProviderRegistry, server: OpenAIServer) -> Provider:
    return dataclasses.replace(registry.get("openrouter"), base_url=server.base_url)


async def test_public_model_list_proves_nothing_about_the_key(
    public_models_server: OpenAIServer, registry: ProviderRegistry
) -> None:
    # The trap verify_path exists for: without it, a wrong key "passes".
    models = await registry.verify_key(public_models_server.base_url, "sk-wrong")
    assert models == ["qwen/qwen3-coder"]


async def test_verify_path_catches_a_wrong_key(
    public_models_server: OpenAIServer, registry: ProviderRegistry
) -> None:
    provider = openrouter_at(registry, public_models_server)
    error = await verify_error(registry, provider.base_url, "sk-wrong", provider=provider)
    assert error.kind == "auth"
    assert public_models_server.requests[0].path == "/v1/key"


async def test_verify_path_then_models_with_the_right_key(
    public_models_server: OpenAIServer, registry: ProviderRegistry
) -> None:
    provider = openrouter_at(registry, public_models_server)
    models = await registry.verify_key(provider.base_url, KEY, provider=provider)
    assert models == ["qwen/qwen3-coder"]
    assert [r.path for r in public_models_server.requests] == ["/v1/key", "/v1/models"]
    assert all(r.authorization == f"Bearer {KEY}" for r in public_models_server.requests)


# -- proxies -----------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", [str.upper, str.lower])
async def test_http_proxy_is_honoured(
    server: OpenAIServer,
    registry: ProviderRegistry,
    monkeypatch: pytest.MonkeyPatch,
    spelling: Callable[[str], str],
) -> None:
    # The test server doubles as a forward proxy: it records the absolute target.
    monkeypatch.setenv(spelling("HTTP_PROXY"), server.url)
    models = await registry.verify_key("http://api.example.test/v1", KEY)
    assert models == ["qwen3-coder-plus", "qwen-max"]
    assert server.requests[0].target == "http://api.example.test/v1/models"


@pytest.mark.parametrize("spelling", [str.upper, str.lower])
async def test_no_proxy_is_honoured(
    server: OpenAIServer,
    registry: ProviderRegistry,
    monkeypatch: pytest.MonkeyPatch,
    spelling: Callable[[str], str],
) -> None:
    monkeypatch.setenv(spelling("HTTP_PROXY"), server.url)
    # .invalid never resolves (RFC 6761), and no look-up of it leaves the test machine.
    monkeypatch.setenv(spelling("NO_PROXY"), "api.example.invalid")
    error = await verify_error(registry, "http://api.example.invalid/v1", KEY)
    assert error.kind == "dns"
    assert server.requests == []


async def test_loopback_never_goes_through_the_proxy(
    server: OpenAIServer, registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    assert await registry.verify_key(server.base_url, KEY) == ["qwen3-coder-plus", "qwen-max"]
    assert server.requests[0].target == "/v1/models"
