"""Which terms of service and privacy policy apply: the one rule of the seed document.

Under Qwen OAuth the Qwen terms and privacy policy apply. Under an OpenAI-compatible
API it is the chosen provider's own, not the app's; a server on this machine has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from qwen_tui.privacy.language import Language
from qwen_tui.providers.catalogue import Provider

QWEN_TERMS_URL = "https://qwen.ai/termsservice"
QWEN_PRIVACY_URL = "https://qwen.ai/privacypolicy"

Regime = Literal["qwen", "provider", "local", "none"]
"""Whose terms apply: Qwen's, the API provider's, nobody's (a local server), or not yet
known (no provider chosen)."""


@dataclass(frozen=True)
class ProviderTerms:
    """The terms that apply to the provider in use.

    Attributes:
        regime: whose terms apply (see :data:`Regime`).
        provider_name: shown to people; empty when no provider is chosen.
        auth_method: ``"qwen-oauth"`` or ``"openai"``; None when none is chosen.
        terms_url: the terms of service, or "" when none apply or none are known.
        privacy_url: the privacy policy, or "" likewise.
        data_use: the catalogue's one line on what the provider does with prompts.
        data_use_ru: the same line in Russian; empty where the catalogue has none (the
            user's own providers).
    """

    regime: Regime
    provider_name: str
    auth_method: str | None
    terms_url: str
    privacy_url: str
    data_use: str
    data_use_ru: str = ""

    def data_use_in(self, language: Language) -> str:
        """The data-use line in ``language``, English where no translation exists."""
        if language == "ru" and self.data_use_ru:
            return self.data_use_ru
        return self.data_use


def terms_for(auth_method: str | None, provider: Provider | None) -> ProviderTerms:
    """The terms for ``provider`` reached with ``auth_method``.

    Qwen OAuth always shows the Qwen documents, whatever URL its tokens point at, so
    the links cannot depend on a server's answer.
    """
    if auth_method == "qwen-oauth":
        return ProviderTerms(
            regime="qwen",
            provider_name=provider.name if provider else "Qwen OAuth",
            auth_method=auth_method,
            terms_url=QWEN_TERMS_URL,
            privacy_url=QWEN_PRIVACY_URL,
            data_use=provider.data_use if provider else "",
            data_use_ru=provider.data_use_ru if provider else "",
        )
    if provider is None:
        return ProviderTerms("none", "", auth_method, "", "", "")
    regime: Regime = "local" if provider.local else "provider"
    return ProviderTerms(
        regime=regime,
        provider_name=provider.name,
        auth_method=auth_method or "openai",
        terms_url=provider.terms_url,
        privacy_url=provider.privacy_url,
        data_use=provider.data_use,
        data_use_ru=provider.data_use_ru,
    )
