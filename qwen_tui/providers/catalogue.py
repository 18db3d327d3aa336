"""The built-in provider catalogue and the types every other layer shares.

``ErrorKind`` and ``ProviderError`` live in :mod:`qwen_tui.providers.errors` (so the
URL helpers can raise them without importing the catalogue) and are re-exported here.

The catalogue lives in ``catalogue.toml`` next to this file, not in Python, so
that terms/privacy links and the one-line data-use notes can be reviewed and
corrected as data. This module only parses and checks it. It must stay cheap to
import (no httpx, no openai): the UI imports it before the first frame.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, get_args

from qwen_tui.providers.errors import ErrorKind, ProviderError
from qwen_tui.providers.urls import normalise_base_url
from qwen_tui.text.errors import UserFacingError

__all__ = [
    "AuthMethod",
    "ErrorKind",
    "Provider",
    "ProviderError",
    "UnknownProvider",
    "load_catalogue",
]

AuthMethod = Literal["qwen-oauth", "openai"]
"""The two ways to sign in; the values are Qwen Code's ``security.auth.selectedType``."""


class UnknownProvider(UserFacingError, ValueError):
    """A provider id that is neither built in nor defined in settings.

    The message lists the known ids because the usual cause is a typo on the
    command line or in settings.json, and the list is the fix.
    """

    def __init__(self, provider_id: str, known: list[str]) -> None:
        self.provider_id = provider_id
        self.known = known
        super().__init__(f"Unknown provider {provider_id!r}. Known providers: {', '.join(known)}.")


@dataclass(frozen=True)
class Provider:
    """One provider preset: where it lives and which terms apply to it.

    Text fields that do not apply are empty strings (never ``None``), so callers
    can write ``if provider.terms_url:`` and pass any field to a label as is.

    Attributes:
        id: Stable id used in settings and on the command line.
        name: Display name.
        auth: ``"qwen-oauth"`` or ``"openai"``.
        base_url: API root (usually ending in ``/v1``); empty for "custom".
        default_model: Model to use when the user picked none; empty means
            "ask the server" (local servers serve whatever is loaded).
        terms_url: Terms of service; empty where none apply (local servers).
        privacy_url: Privacy policy; empty where none apply (local servers).
        data_use: One factual line on what happens to prompts and answers.
        needs_key: Requests without an API key cannot work.
        local: Runs on this machine; probed on loopback by the welcome screen.
        hosts: Hostnames that identify the provider in ``OPENAI_BASE_URL``.
        key_url: Where to create a key; empty when there is no such page.
        verify_path: Path under ``base_url`` that needs a valid key, for
            providers whose ``/models`` answers without one (OpenRouter);
            empty means ``/models`` itself proves the key.
        custom: Defined by the user in settings (``providers.custom[]``).
        data_use_ru: ``data_use`` in Russian, for the Russian Privacy tab; empty for
            the user's own providers, which show ``data_use``.
        key_note: A line shown beside the key field, e.g. that a plan takes only its
            own keys; empty for none.
        models: The models a server offers that has no ``/models`` list (Alibaba
            Cloud Coding Plan): the key is then checked with a one-token request to
            ``default_model`` instead, and these are offered to pick from.
    """

    id: str
    name: str
    auth: AuthMethod
    base_url: str
    default_model: str
    terms_url: str
    privacy_url: str
    data_use: str
    needs_key: bool
    local: bool
    hosts: tuple[str, ...]
    key_url: str = ""
    verify_path: str = ""
    custom: bool = False
    data_use_ru: str = ""
    key_note: str = ""
    models: tuple[str, ...] = ()


_REQUIRED_STR = ("id", "name", "auth", "data_use")
_OPTIONAL_STR = (
    "base_url",
    "default_model",
    "terms_url",
    "privacy_url",
    "key_url",
    "verify_path",
    "data_use_ru",
    "key_note",
)
_REQUIRED_BOOL = ("needs_key", "local")
_KNOWN_FIELDS = frozenset((*_REQUIRED_STR, *_OPTIONAL_STR, *_REQUIRED_BOOL, "hosts", "models"))


def _optional_str(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be a string")
    return value.strip()


def provider_from_entry(entry: dict[str, Any]) -> Provider:
    """Build and check one provider from a catalogue table.

    Kept strict (unknown fields, wrong types and bad URLs are errors) because
    the file ships with the package: a mistake there is a bug to catch in
    tests, not something to guess around at run time.

    Args:
        entry: One ``[[provider]]`` table.

    Returns:
        The provider.

    Raises:
        ValueError: The entry is malformed.
    """
    where = f"catalogue entry {entry.get('id', '?')!r}"
    unknown = set(entry) - _KNOWN_FIELDS
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in _REQUIRED_STR:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ValueError(f"{where}: {key} must be a non-empty string")
    for key in _REQUIRED_BOOL:
        if not isinstance(entry.get(key), bool):
            raise ValueError(f"{where}: {key} must be true or false")
    auth = entry["auth"]
    if auth not in get_args(AuthMethod):
        raise ValueError(f"{where}: auth must be one of {get_args(AuthMethod)}")
    hosts = entry.get("hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise ValueError(f"{where}: hosts must be a list of hostnames")
    models = entry.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) and m for m in models):
        raise ValueError(f"{where}: models must be a list of model ids")
    default_model = _optional_str(entry, "default_model", where)
    if models and default_model not in models:
        raise ValueError(f"{where}: default_model must be one of models")
    base_url = _optional_str(entry, "base_url", where)
    if base_url:
        try:
            base_url = normalise_base_url(base_url)
        except ProviderError as exc:
            raise ValueError(f"{where}: {exc.message}") from exc
    verify_path = _optional_str(entry, "verify_path", where)
    if verify_path and not verify_path.startswith("/"):
        raise ValueError(f"{where}: verify_path must start with '/'")
    return Provider(
        id=entry["id"].strip(),
        name=entry["name"].strip(),
        auth=auth,
        base_url=base_url,
        default_model=default_model,
        terms_url=_optional_str(entry, "terms_url", where),
        privacy_url=_optional_str(entry, "privacy_url", where),
        data_use=entry["data_use"].strip(),
        needs_key=entry["needs_key"],
        local=entry["local"],
        hosts=tuple(h.lower() for h in hosts),
        key_url=_optional_str(entry, "key_url", where),
        verify_path=verify_path,
        data_use_ru=_optional_str(entry, "data_use_ru", where),
        key_note=_optional_str(entry, "key_note", where),
        models=tuple(models),
    )


def parse_catalogue(text: str) -> tuple[Provider, ...]:
    """Parse catalogue TOML text; separate from loading so tests can feed bad data.

    Args:
        text: The TOML document.

    Returns:
        The providers in file order.

    Raises:
        ValueError: The document is malformed or repeats an id.
    """
    data = tomllib.loads(text)
    entries = data.get("provider")
    if not isinstance(entries, list) or not entries:
        raise ValueError("catalogue: no [[provider]] entries")
    providers = tuple(provider_from_entry(entry) for entry in entries)
    seen: set[str] = set()
    for provider in providers:
        if provider.id in seen:
            raise ValueError(f"catalogue: duplicate provider id {provider.id!r}")
        seen.add(provider.id)
    return providers


@functools.cache
def load_catalogue() -> tuple[Provider, ...]:
    """Return the built-in providers, read once from the packaged data file.

    Cached because it is immutable for the life of the process and the UI asks
    for it on every screen that shows provider details.

    Returns:
        The built-in providers in display order.
    """
    text = (
        resources.files("qwen_tui.providers").joinpath("catalogue.toml").read_text(encoding="utf-8")
    )
    return parse_catalogue(text)
