"""What the app tells people about terms, privacy and usage statistics, in English and
Russian. Plain data and small functions; no textual, nothing heavy, so the TUI and the
headless commands say the same thing in the same words."""

from qwen_tui.privacy.language import Language, pick_language
from qwen_tui.privacy.terms import ProviderTerms, terms_for
from qwen_tui.privacy.texts import FaqEntry, PrivacyTexts, statistics_explained, texts_for

__all__ = [
    "FaqEntry",
    "Language",
    "PrivacyTexts",
    "ProviderTerms",
    "pick_language",
    "statistics_explained",
    "terms_for",
    "texts_for",
]
