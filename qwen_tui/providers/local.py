"""Find local OpenAI-compatible servers (Ollama, LM Studio, llama.cpp, vLLM) on loopback.

The welcome screen offers "use the server already running on this machine"
without the user typing a URL. The probe is the only network activity before
sign-in, so it is kept to what the design allows: loopback addresses only,
every probe at once, and a hard bound on the total time so a port that accepts
connections but never answers (a "black hole") cannot hold up the screen.

Imported lazily (it pulls in httpx).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import replace

import httpx

from qwen_tui.net.clients import async_client
from qwen_tui.providers.catalogue import Provider
from qwen_tui.providers.urls import host_port, is_loopback_host, join_url, with_port

__all__ = ["local_targets", "probe_local", "speaks_openai"]


def local_targets(
    providers: Sequence[Provider], ports: Mapping[str, int] | None = None
) -> list[Provider]:
    """Pick the providers to probe, with their probe URLs.

    Args:
        providers: Candidates; only ``local`` ones with a loopback base URL are
            kept, so a mistake in the catalogue can never make the start-up probe
            reach another machine.
        ports: Per-provider port overrides (id → port), for servers started on
            a non-default port and for tests.

    Returns:
        Providers whose ``base_url`` is the URL that will be probed.
    """
    targets: list[Provider] = []
    for provider in providers:
        if not provider.local or not provider.base_url:
            continue
        url = provider.base_url
        if ports and provider.id in ports:
            url = with_port(url, ports[provider.id])
        host, _ = host_port(url)
        if not is_loopback_host(host):
            continue
        targets.append(provider if url == provider.base_url else replace(provider, base_url=url))
    return targets


async def speaks_openai(client: httpx.AsyncClient, base_url: str) -> bool:
    """Tell whether an OpenAI-compatible API answers at ``base_url``.

    A model list counts, and so does an OpenAI-style JSON error with 401/403 (a
    vLLM started with ``--api-key`` is there, it only wants a key). Anything
    else on the port (a web app on 8080, a closed port) does not.

    Args:
        client: The client to use.
        base_url: The API root to probe.

    Returns:
        True when the server looks like an OpenAI-compatible API. Never raises
        on network or protocol failures: a failed probe just means "not found".
    """
    try:
        response = await client.get(join_url(base_url, "/models"))
        body = response.json()
    except (httpx.HTTPError, ValueError, OSError):
        return False
    if not isinstance(body, dict):
        return False
    if response.status_code == 200:
        return isinstance(body.get("data"), list)
    if response.status_code in (401, 403):
        return isinstance(body.get("error"), dict | str)
    return False


async def probe_local(
    providers: Sequence[Provider],
    *,
    timeout: float = 0.25,  # noqa: ASYNC109 - httpx's per-request timeout, part of the API
    ports: Mapping[str, int] | None = None,
) -> list[Provider]:
    """Probe every local provider's ``/models`` at once, within ``timeout`` in total.

    Proxy and CA variables are ignored on purpose (``trust_env=False``): a proxy
    cannot reach this machine's loopback, and a TLS context without CAs is
    enough for servers that speak plain HTTP (it also saves the tens of
    milliseconds that loading a CA bundle costs, a good share of the budget).

    Args:
        providers: Candidates (normally the catalogue); non-local ones are skipped.
        timeout: Upper bound in seconds for the whole probe, counted from the
            call (the first call also imports httpx, before the clock starts).
        ports: Per-provider port overrides (id → port).

    Returns:
        The providers that answered, in the order given, each with the
        ``base_url`` that answered.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    targets = local_targets(providers, ports)
    if not targets:
        return []
    tasks: list[asyncio.Task[bool]] = []
    client = async_client(
        purpose="local_probe",
        content="none",
        timeout=httpx.Timeout(timeout),
        trust_env=False,
        verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
        follow_redirects=False,
        headers={"User-Agent": "qwen-tui", "Accept": "application/json"},
    )
    async with client:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(deadline), asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(speaks_openai(client, target.base_url)) for target in targets
                ]
    return [
        target
        for target, task in zip(targets, tasks, strict=True)
        if task.done() and not task.cancelled() and task.result()
    ]
