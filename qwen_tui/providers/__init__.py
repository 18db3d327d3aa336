"""Providers: the catalogue of presets, the registry, and the active choice.

Importing this package is cheap on purpose (no httpx, no openai): the UI needs
provider names and terms links before its first frame. Network helpers live in
``qwen_tui.providers.verify`` and ``qwen_tui.providers.local`` and are imported
on first use by :class:`ProviderRegistry`.
"""

from qwen_tui.providers.catalogue import (
    AuthMethod,
    ErrorKind,
    Provider,
    ProviderError,
    UnknownProvider,
    load_catalogue,
)
from qwen_tui.providers.registry import (
    NO_KEY_PLACEHOLDER,
    ActiveProvider,
    CustomProviderError,
    ProviderRegistry,
    openai_client_kwargs,
)
from qwen_tui.providers.urls import display_url, is_loopback_host, normalise_base_url

__all__ = [
    "NO_KEY_PLACEHOLDER",
    "ActiveProvider",
    "AuthMethod",
    "CustomProviderError",
    "ErrorKind",
    "Provider",
    "ProviderError",
    "ProviderRegistry",
    "UnknownProvider",
    "display_url",
    "is_loopback_host",
    "load_catalogue",
    "normalise_base_url",
    "openai_client_kwargs",
]
