"""Key checks and model lists over plain HTTP (httpx), with errors people can act on.

Imported lazily by :class:`~qwen_tui.providers.registry.ProviderRegistry` so
that importing the registry does not pay for httpx. The openai SDK is not used
here on purpose: a key check must be one cheap GET with a short timeout, and
its failure must map to a precise reason (DNS, TLS, 401, a web page instead of
the API…) rather than a generic SDK exception.

Proxies, custom CAs and loopback follow :mod:`qwen_tui.providers.http_policy`, as the
chat and the sign-in do; a key check also follows redirects, as the openai SDK does
for the chat.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from qwen_tui.net.clients import async_client
from qwen_tui.net.ledger import Purpose
from qwen_tui.providers.catalogue import Provider, ProviderError
from qwen_tui.providers.http_policy import LOOPBACK_DIRECT, USER_AGENT, transport_error
from qwen_tui.providers.urls import display_url, host_port, join_url, normalise_base_url
from qwen_tui.providers.web_page import looks_like_web_page
from qwen_tui.text.redact import one_line_excerpt

__all__ = ["error_detail", "fetch_models", "make_client", "transport_error", "verify_key"]


def make_client(
    timeout: float, *, purpose: Purpose = "model_list", trust_env: bool = True
) -> httpx.AsyncClient:
    """Create the httpx client used for every probe in this package.

    Args:
        timeout: Seconds allowed for each phase (connect, read, write).
        purpose: What the network ledger says its requests are for.
        trust_env: Honour proxy and CA variables; only loopback probes turn
            it off, where neither can apply.

    Returns:
        A client the caller must close (use ``async with``).
    """
    return async_client(
        purpose=purpose,
        content="none",
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        trust_env=trust_env,
        mounts=LOOPBACK_DIRECT if trust_env else None,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )


def error_detail(response: httpx.Response, api_key: str | None) -> str:
    """Short, redacted reason from an error body (OpenAI style or plain text)."""
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = str(error.get("message") or "")
        elif isinstance(error, str):
            message = error
        message = message or str(body.get("message") or body.get("detail") or "")
    elif not _looks_like_html(response):
        message = response.text
    return one_line_excerpt(message, [api_key])


def _looks_like_html(response: httpx.Response) -> bool:
    return looks_like_web_page(response.headers.get("content-type"), response.content[:64])


def status_error(
    response: httpx.Response, base_url: str, api_key: str | None, path: str
) -> ProviderError:
    """Turn an HTTP error status into a ``ProviderError`` with a fix.

    Args:
        response: The response (status >= 400).
        base_url: The base URL, quoted (without credentials) in messages.
        api_key: The key that was sent, redacted from any quoted server text.
        path: The API path that was requested, e.g. ``"/models"``.

    Returns:
        The error to raise.
    """
    status = response.status_code
    host, _ = host_port(base_url)
    detail = error_detail(response, api_key)
    said = f" The server said: {detail}" if detail else ""
    if status == 401:
        if not api_key:
            return ProviderError(
                "auth",
                f"{host} needs an API key (401) and none was given. Enter the key for this "
                f"provider.{said}",
                status=status,
            )
        return ProviderError(
            "auth",
            f"The server refused the key (401). Check that it is complete, not revoked, and "
            f"made for {host}.{said}",
            status=status,
        )
    if status == 403:
        return ProviderError(
            "forbidden",
            f"{host} refused access (403): the key may lack permission for this endpoint or "
            f"model, or the service is not available to your account or region.{said}",
            status=status,
        )
    if status == 404:
        return ProviderError(
            "not_found",
            f"{host} has no {path} endpoint at this URL ({display_url(base_url)}) — check the "
            "base URL; it usually ends in /v1.",
            status=status,
        )
    if status == 429:
        return ProviderError(
            "http",
            f"{host} is rate-limiting requests or the account is out of quota (429); wait "
            f"and try again, or check billing.{said}",
            status=status,
        )
    if status >= 500:
        return ProviderError(
            "http",
            f"{host} had a server error (HTTP {status}); try again later.{said}",
            status=status,
        )
    return ProviderError("http", f"{host} answered HTTP {status}.{said}", status=status)


async def _get_json(
    client: httpx.AsyncClient,
    base_url: str,
    path: str,
    api_key: str | None,
    seconds: float,
) -> Any:
    """GET ``base_url + path`` and return the decoded JSON, or raise ``ProviderError``."""
    url = join_url(base_url, path)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        # httpx's timeout is per phase; this bounds the whole exchange too, so a
        # server that drips bytes cannot keep the user waiting.
        async with asyncio.timeout(seconds * 2):
            response = await client.get(url, headers=headers)
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        raise transport_error(exc, url, seconds) from exc
    if response.status_code >= 400:
        raise status_error(response, base_url, api_key, path)
    host, _ = host_port(base_url)
    if _looks_like_html(response):
        raise ProviderError(
            "not_json",
            f"{host} answered with a web page, not the API — the base URL "
            f"({display_url(base_url)}) is probably missing /v1 or points at a website.",
            status=response.status_code,
        )
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProviderError(
            "not_json",
            f"{host} answered {path} with something that is not JSON — is "
            f"{display_url(base_url)} the API's base URL?",
            status=response.status_code,
        ) from exc


def _model_ids(body: Any, base_url: str) -> list[str]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        host, _ = host_port(base_url)
        raise ProviderError(
            "not_json",
            f"{host} answered /models with JSON that is not an OpenAI-style model list — is "
            f"{display_url(base_url)} an OpenAI-compatible base URL?",
        )
    ids: list[str] = []
    for item in data:
        model_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(model_id, str) and model_id and model_id not in ids:
            ids.append(model_id)
    return ids


def _clean_key(api_key: str | None) -> str | None:
    key = (api_key or "").strip()
    return key or None


async def fetch_models(
    base_url: str,
    api_key: str | None,
    *,
    timeout: float = 8.0,  # noqa: ASYNC109 - httpx's per-request timeout, part of the API
    client: httpx.AsyncClient | None = None,
) -> list[str]:
    """List the model ids a server offers (``GET {base_url}/models``).

    Args:
        base_url: The API root; normalised first.
        api_key: Sent as a Bearer token when not empty.
        timeout: Seconds per phase of the request.
        client: An existing client to reuse; a new one is made otherwise.

    Returns:
        Model ids in the server's order, without duplicates; may be empty.

    Raises:
        ProviderError: Any failure, with ``kind`` and a message that never
            contains the key.
    """
    base = normalise_base_url(base_url)
    key = _clean_key(api_key)
    if client is not None:
        return _model_ids(await _get_json(client, base, "/models", key, timeout), base)
    async with make_client(timeout) as own:
        return _model_ids(await _get_json(own, base, "/models", key, timeout), base)


async def verify_key(
    base_url: str,
    api_key: str | None,
    *,
    timeout: float = 8.0,  # noqa: ASYNC109 - httpx's per-request timeout, part of the API
    provider: Provider | None = None,
) -> list[str]:
    """Check that a key works at ``base_url`` and return the models it can use.

    A 200 from ``/models`` only proves the key where ``/models`` needs one; some
    providers (OpenRouter) list models to anybody. For those the catalogue has
    ``verify_path``, an endpoint that does need the key: it is asked first, and
    the model list after it is best effort (an empty list, not an error, since
    the key itself is then known to be good).

    Args:
        base_url: The API root; normalised first.
        api_key: The key to check; ``None`` or blank sends no Authorization.
        timeout: Seconds per phase of each request.
        provider: The preset in use, for ``verify_path`` and ``needs_key``.

    Returns:
        Model ids (may be empty).

    Raises:
        ProviderError: The key was refused or the server could not be used.
    """
    base = normalise_base_url(base_url)
    key = _clean_key(api_key)
    if key is None and provider is not None and provider.needs_key:
        where = f" Get one at {provider.key_url}." if provider.key_url else ""
        raise ProviderError("auth", f"{provider.name} needs an API key; none was given.{where}")
    async with make_client(timeout, purpose="key_check") as client:
        if provider is None or not provider.verify_path:
            return _model_ids(await _get_json(client, base, "/models", key, timeout), base)
        body = await _get_json(client, base, provider.verify_path, key, timeout)
        if not isinstance(body, dict | list):
            host, _ = host_port(base)
            raise ProviderError(
                "not_json", f"{host} answered {provider.verify_path} with unexpected JSON."
            )
        try:
            return _model_ids(await _get_json(client, base, "/models", key, timeout), base)
        except ProviderError:
            return []
