"""One wording for network failures, whichever HTTP library (httpx for key checks and
sign-in, httpx2 under the openai SDK) raised them."""

from __future__ import annotations

from types import ModuleType

import httpx
import httpx2
import pytest

from qwen_tui.providers.http_policy import LOOPBACK_DIRECT, transport_error

URL = "https://api.example.test/v1/models"


@pytest.fixture(params=[httpx, httpx2], ids=["httpx", "httpx2"])
def library(request: pytest.FixtureRequest) -> ModuleType:
    module: ModuleType = request.param
    return module


def test_a_timeout_names_the_wait(library: ModuleType) -> None:
    error = transport_error(library.ReadTimeout("timed out"), URL, 7)
    assert error.kind == "timeout"
    assert "api.example.test:443 within 7 s" in error.message


def test_a_proxy_failure_names_the_proxy(library: ModuleType) -> None:
    error = transport_error(library.ProxyError("407 Proxy Authentication Required"), URL, 1)
    assert error.kind == "connect"
    assert "HTTPS_PROXY" in error.message and "NO_PROXY" in error.message


def test_an_unsupported_scheme_is_a_bad_url(library: ModuleType) -> None:
    error = transport_error(library.UnsupportedProtocol("ftp"), "ftp://api.example.test/", 1)
    assert error.kind == "bad_url"


def test_a_connection_closed_without_http_suggests_the_scheme(library: ModuleType) -> None:
    error = transport_error(library.RemoteProtocolError("Server disconnected"), URL, 1)
    assert error.kind == "connect"
    assert "https://" in error.message


def test_a_class_of_the_same_name_from_elsewhere_is_not_taken_for_httpx() -> None:
    class ProxyError(Exception):
        pass

    error = transport_error(ProxyError("something else"), URL, 1)
    assert "HTTPS_PROXY" not in error.message


def test_loopback_goes_direct_on_every_spelling_of_this_machine() -> None:
    assert set(LOOPBACK_DIRECT) == {"all://127.0.0.1", "all://localhost", "all://[::1]"}
    assert set(LOOPBACK_DIRECT.values()) == {None}
    with pytest.raises(TypeError):
        LOOPBACK_DIRECT["all://example.test"] = None  # type: ignore[index]
