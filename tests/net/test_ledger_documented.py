"""Every purpose and content kind of the ledger is explained in docs/privacy.md, in both
languages, and has words on the Privacy tab and in ``qwen-tui audit``."""

from __future__ import annotations

from pathlib import Path

import pytest

from qwen_tui.net.ledger import CONTENT_KINDS, PURPOSES
from qwen_tui.privacy import Language
from qwen_tui.privacy.ledger_table import ledger_words

DOCS = Path(__file__).parents[2] / "docs" / "privacy.md"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n### ", start + len(heading))
    return text[start : end if end != -1 else None]


@pytest.mark.parametrize(
    "heading",
    ["### Where your data went: the network ledger", "### Куда ушли ваши данные: журнал"],
)
def test_every_purpose_and_content_kind_is_documented(heading: str) -> None:
    section = _section(DOCS.read_text(encoding="utf-8"), heading)
    for value in (*PURPOSES, *CONTENT_KINDS):
        assert f"| `{value}` |" in section, value
    assert "ledgers/" in section and "0600" in section and "qwen-tui audit" in section


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_purpose_and_content_kind_has_words(language: Language) -> None:
    words = ledger_words(language)
    assert set(words.purposes) == set(PURPOSES)
    assert set(words.contents) == set(CONTENT_KINDS)
    assert len(set(words.purposes.values())) == len(PURPOSES)
