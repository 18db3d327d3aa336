"""The network ledger as a table, in English and Russian, for the Privacy tab and
``qwen-tui audit``: one row per request, in the same words on both."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qwen_tui.net.ledger import Content, Purpose
from qwen_tui.privacy.language import Language
from qwen_tui.text import neutralise


@dataclass(frozen=True)
class LedgerWords:
    """The table's words in one language; a missing one is a type error."""

    heading: str
    explained: str
    empty: str
    columns: tuple[str, str, str, str, str, str, str]
    purposes: dict[Purpose, str]
    contents: dict[Content, str]
    waiting: str
    no_answer: str
    earlier: str


_ENGLISH = LedgerWords(
    heading="This session's connections",
    explained=(
        "Every request this session sent, as it happens: where to, why, what kind of your "
        "data went with it and how many bytes each way. Never the content itself. "
        "`qwen-tui audit` shows it for a past session."
    ),
    empty="No connection yet in this session.",
    columns=("Time", "Purpose", "Content", "Request", "Sent", "Received", "Result"),
    purposes={
        "chat": "answer",
        "model_list": "model list",
        "key_check": "key check",
        "sign_in": "sign-in",
        "token_refresh": "token refresh",
        "usage_statistics": "usage statistics",
        "local_probe": "local probe",
        "mcp": "MCP server",
    },
    contents={
        "none": "nothing",
        "prompt": "conversation",
        "tool_output": "conversation + tools",
        "sign_in": "sign-in codes",
        "usage_statistics": "usage events",
    },
    waiting="…",
    no_answer="no answer",
    earlier="{count} earlier connections are not shown here; `qwen-tui audit` lists them all.",
)

_RUSSIAN = LedgerWords(
    heading="Соединения этого сеанса",
    explained=(
        "Каждый запрос этого сеанса по мере отправки: куда, зачем, какие ваши данные ушли "
        "с ним и сколько байт в каждую сторону. Само содержимое не записывается. "
        "`qwen-tui audit` показывает это для прошлого сеанса."
    ),
    empty="В этом сеансе соединений ещё не было.",
    columns=(
        "Время",
        "Назначение",
        "Содержимое",
        "Запрос",
        "Отправлено",
        "Получено",
        "Итог",
    ),
    purposes={
        "chat": "ответ",
        "model_list": "список моделей",
        "key_check": "проверка ключа",
        "sign_in": "вход",
        "token_refresh": "обновление токена",
        "usage_statistics": "статистика использования",
        "local_probe": "поиск локальных",
        "mcp": "MCP-сервер",
    },
    contents={
        "none": "ничего",
        "prompt": "переписка",
        "tool_output": "переписка + инструменты",
        "sign_in": "коды входа",
        "usage_statistics": "события использования",
    },
    waiting="…",
    no_answer="нет ответа",
    earlier="Ещё {count} более ранних соединений здесь не показаны; `qwen-tui audit` покажет все.",
)


def ledger_words(language: Language) -> LedgerWords:
    """The table's words in ``language``."""
    return _RUSSIAN if language == "ru" else _ENGLISH


def ledger_rows(records: Iterable[Mapping[str, Any]], words: LedgerWords) -> list[tuple[str, ...]]:
    """One row of cells (as :attr:`LedgerWords.columns`) per ledger record: a ledger
    line or ``Connection.to_record()``.

    A file may have been edited by hand, so every value is checked and neutralised.

    Args:
        records: The entries, oldest first.
        words: The language of the purposes, contents and results.
    """
    rows: list[tuple[str, ...]] = []
    for record in records:
        at = record.get("at")
        when = (
            time.strftime("%H:%M:%S", time.localtime(at))
            if isinstance(at, int | float) and not isinstance(at, bool)
            else "?"
        )
        purpose = record.get("purpose")
        content = record.get("content")
        rows.append(
            (
                when,
                _label(words.purposes, purpose),
                _label(words.contents, content),
                neutralise(
                    f"{record.get('method')} {record.get('host')}:{record.get('port')}"
                    f"{record.get('path')}"
                ),
                _size(record.get("sent")),
                _size(record.get("received")),
                _result(record, words),
            )
        )
    return rows


def _label(labels: Mapping[Any, str], value: object) -> str:
    """The label of a purpose or content kind, or the value itself (a newer version's)."""
    return labels.get(value) or neutralise(str(value))


def _size(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return "?"
    if value < 10_000:
        return f"{value} B"
    if value < 10_000_000:
        return f"{value / 1000:.1f} kB"
    return f"{value / 1_000_000:.1f} MB"


def _result(record: Mapping[str, Any], words: LedgerWords) -> str:
    status, error = record.get("status"), record.get("error")
    if error:
        shown = f"{status} " if isinstance(status, int) else ""
        return neutralise(f"{shown}{error}")
    if isinstance(status, int) and not isinstance(status, bool):
        return str(status) if record.get("done", True) else f"{status} {words.waiting}"
    return words.waiting if not record.get("done", True) else words.no_answer
