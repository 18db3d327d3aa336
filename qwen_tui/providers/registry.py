"""The provider registry: built-in presets plus the user's own, and the active choice.

This is what the UI, the CLI and the chat layer talk to. It is cheap to import
(the catalogue and dataclasses only); network work (key checks, model lists,
local detection) imports httpx on first use, so nothing touches the network
or pays for an HTTP stack before the first frame.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qwen_tui.providers.catalogue import Provider, ProviderError, UnknownProvider, load_catalogue
from qwen_tui.providers.urls import host_port, is_loopback_host, normalise_base_url
from qwen_tui.text.errors import UserFacingError

__all__ = [
    "NO_KEY_PLACEHOLDER",
    "ActiveProvider",
    "CustomProviderError",
    "ProviderRegistry",
    "openai_client_kwargs",
    "url_origin",
]

NO_KEY_PLACEHOLDER = "not-needed"
"""Sent as the key to servers that need none; the SDK refuses an empty key."""

CUSTOM_ID = "custom"

_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CUSTOM_DATA_USE = "Depends on this server; see its own terms and privacy policy."


class CustomProviderError(UserFacingError, ValueError):
    """An entry of ``providers.custom[]`` in settings cannot be used.

    A ``ValueError`` so that settings validation can report it like any other
    bad value; the message names the entry and the field to fix.
    """


@dataclass(frozen=True)
class ActiveProvider:
    """The provider in use right now, and where that choice came from.

    Attributes:
        provider: The preset (or user-defined / "custom" provider); its terms,
            privacy link and data-use line are what the privacy screen shows.
        base_url: The URL actually used, which may differ from the preset's
            (``--provider ID --base-url URL``).
        model: The model to ask for; ``None`` means the provider's default.
        api_key: The key or OAuth access token; kept out of ``repr`` so it
            cannot leak through logs, tracebacks or debug output.
        source: Where the choice came from, for ``auth status`` and the
            settings screen: ``"flags"``, ``"environment"``, ``".env file"``
            or ``"settings"``.
    """

    provider: Provider
    base_url: str
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    source: str = "settings"

    @property
    def has_key(self) -> bool:
        """Whether a non-blank key is set (for status lines; never shows the key)."""
        return bool(self.api_key and self.api_key.strip())


def url_origin(url: str) -> str:
    """The origin of a URL, ``scheme://host:port``: what a stored key is bound to.

    Scheme and host are lower-cased and the port is always written (80 and 443 by
    default), so ``https://API.openai.com/v1`` and ``https://api.openai.com:443/x``
    share the origin ``https://api.openai.com:443``.

    Raises:
        ProviderError: ``kind="bad_url"`` when the URL is not usable.
    """
    normalised = normalise_base_url(url)
    host, port = host_port(normalised)
    scheme = normalised.split(":", 1)[0].lower()
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}:{port}"


def openai_client_kwargs(active: ActiveProvider) -> dict[str, Any]:
    """Arguments for ``openai.AsyncOpenAI`` that pin the key and base URL explicitly.

    The SDK falls back to ``OPENAI_API_KEY`` (and ``OPENAI_BASE_URL``) from the
    environment for any argument that is ``None``. That key was issued for one
    provider; sending it to another server (a local one, or a user-defined
    provider) would leak it. So the key is always given: the active one, or a
    placeholder when the provider needs none (the SDK also refuses to start
    without a key at all).

    Args:
        active: The provider in use.

    Returns:
        ``{"api_key": ..., "base_url": ...}``.
    """
    key = (active.api_key or "").strip()
    return {"api_key": key or NO_KEY_PLACEHOLDER, "base_url": active.base_url}


def _custom_provider(entry: Mapping[str, Any], index: int) -> Provider:
    """Build a user-defined provider from one ``providers.custom[]`` entry."""
    where = f"providers.custom[{index}]"

    def text(key: str, *, required: bool = False) -> str:
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise CustomProviderError(f"{where}: {key!r} is required.")
            return ""
        if not isinstance(value, str):
            raise CustomProviderError(f"{where}: {key!r} must be a string.")
        return value.strip()

    provider_id = text("id", required=True)
    if not _ID_PATTERN.match(provider_id):
        raise CustomProviderError(
            f"{where}: id {provider_id!r} must be lower-case letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit)."
        )
    try:
        base_url = normalise_base_url(text("baseUrl", required=True))
    except ProviderError as exc:
        raise CustomProviderError(f"{where} ({provider_id}): {exc.message}") from exc
    needs_key = entry.get("needsKey", False)
    if not isinstance(needs_key, bool):
        raise CustomProviderError(f"{where} ({provider_id}): 'needsKey' must be true or false.")
    verify_path = text("verifyPath")
    if verify_path and not verify_path.startswith("/"):
        raise CustomProviderError(f"{where} ({provider_id}): 'verifyPath' must start with '/'.")
    host, _ = host_port(base_url)
    return Provider(
        id=provider_id,
        name=text("name") or provider_id,
        auth="openai",
        base_url=base_url,
        default_model=text("model"),
        terms_url=text("termsUrl"),
        privacy_url=text("privacyUrl"),
        data_use=text("dataUse") or _CUSTOM_DATA_USE,
        needs_key=needs_key,
        local=is_loopback_host(host),
        hosts=(host,),
        key_url=text("keyUrl"),
        verify_path=verify_path,
        custom=True,
    )


class ProviderRegistry:
    """Built-in presets plus user-defined providers, looked up by id or by URL.

    Args:
        custom: The ``providers.custom[]`` entries from settings, each a mapping
            with ``id``, ``name``, ``baseUrl`` and optionally ``model``,
            ``needsKey``, ``termsUrl``, ``privacyUrl``, ``dataUse``, ``keyUrl``,
            ``verifyPath`` (camelCase, as in settings.json).

    Raises:
        CustomProviderError: An entry is malformed, or its id repeats a
            built-in id or another entry (silently shadowing "openai" would
            send an OpenAI key somewhere else).
    """

    def __init__(self, custom: Sequence[Mapping[str, Any]] = ()) -> None:
        builtin = load_catalogue()
        self._builtin = builtin
        by_id: dict[str, Provider] = {p.id: p for p in builtin}
        user: list[Provider] = []
        for index, entry in enumerate(custom):
            if not isinstance(entry, Mapping):
                raise CustomProviderError(f"providers.custom[{index}] must be an object.")
            provider = _custom_provider(entry, index)
            if provider.id in by_id:
                what = "a built-in provider" if not by_id[provider.id].custom else "another entry"
                raise CustomProviderError(
                    f"providers.custom[{index}]: id {provider.id!r} is already used by {what}; "
                    "choose another id."
                )
            by_id[provider.id] = provider
            user.append(provider)
        self._user = tuple(user)
        self._by_id = by_id

    def list(self) -> builtins.list[Provider]:
        """All providers for pickers: built-in presets first, then the user's."""
        return [*self._builtin, *self._user]

    def ids(self) -> builtins.list[str]:
        """All provider ids, in ``list()`` order (used in error messages and help)."""
        return [p.id for p in self.list()]

    def get(self, provider_id: str) -> Provider:
        """Look a provider up by id.

        Raises:
            UnknownProvider: No such id; the message lists the known ones.
        """
        try:
            return self._by_id[provider_id.strip()]
        except KeyError:
            raise UnknownProvider(provider_id, self.ids()) from None

    def match_base_url(self, base_url: str) -> Provider:
        """Find the provider a base URL belongs to, so its terms can be shown.

        Used when ``OPENAI_BASE_URL`` (or ``--base-url``) names a server without
        naming a provider. The match is by host name; for loopback URLs, which
        many local servers share, it is by port as well. Only API-key providers
        take part (Qwen OAuth has no base URL to type). A URL that matches no
        provider gives the ``custom`` provider carrying that URL, whose data-use
        line sends the user to that server's own policy.

        Args:
            base_url: The URL as given; normalised first.

        Returns:
            The matching provider (unchanged), or ``custom`` with ``base_url`` set.

        Raises:
            ProviderError: ``kind="bad_url"`` when the URL is not usable.
        """
        url = normalise_base_url(base_url)
        host, port = host_port(url)
        candidates = [(p, p.base_url) for p in self.list() if p.auth == "openai" and p.base_url]
        for provider, preset_url in candidates:
            if preset_url == url:
                return provider
        loopback = is_loopback_host(host)
        for provider, preset_url in candidates:
            preset_host, preset_port = host_port(preset_url)
            if loopback:
                if is_loopback_host(preset_host) and preset_port == port:
                    return provider
            elif host in provider.hosts or host == preset_host:
                return provider
        return replace(self.get(CUSTOM_ID), base_url=url, local=loopback)

    async def verify_key(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 8.0,  # noqa: ASYNC109 - httpx's per-request timeout, part of the API
        provider: Provider | None = None,
    ) -> builtins.list[str]:
        """Check a key against the server and return its models.

        See :func:`qwen_tui.providers.verify.verify_key`; providers whose
        ``/models`` is public are checked with their ``verify_path``.

        Raises:
            ProviderError: The key was refused or the server is unusable.
        """
        from qwen_tui.providers import verify

        return await verify.verify_key(base_url, api_key, timeout=timeout, provider=provider)

    async def list_models(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 8.0,  # noqa: ASYNC109 - httpx's per-request timeout, part of the API
    ) -> builtins.list[str]:
        """Return the model ids at ``{base_url}/models`` (may be empty).

        Raises:
            ProviderError: The list could not be fetched.
        """
        from qwen_tui.providers import verify

        return await verify.fetch_models(base_url, api_key, timeout=timeout)

    async def detect_local(
        self,
        *,
        timeout: float = 0.25,  # noqa: ASYNC109 - httpx's per-request timeout, part of the API
        ports: Mapping[str, int] | None = None,
    ) -> builtins.list[Provider]:
        """Find local servers that are running now, within ``timeout`` seconds in all.

        Args:
            timeout: Bound on the whole probe.
            ports: Per-provider port overrides (id → port).

        Returns:
            The local presets that answered, each with the URL that answered.
        """
        from qwen_tui.providers import local

        return await local.probe_local(self._builtin, timeout=timeout, ports=ports)
