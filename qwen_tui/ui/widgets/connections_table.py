"""The Privacy tab's "This session's connections": the network ledger, updated live.

The ledger tells its listeners of each change from whichever thread finished a request
(the event loop, the token-refresh thread, the usage-statistics export thread); the
listener only posts :class:`ConnectionsTable.Changed` to this widget, which is safe
from any thread, and the table is redrawn on the app's own loop.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Static

from qwen_tui.net import ledger
from qwen_tui.privacy.ledger_table import LedgerWords, ledger_rows

MAX_ROWS = 200
"""The most rows drawn: a long session's table stays quick to redraw on each request."""


class ConnectionsTable(Static):
    """One row per request of this session, newest last.

    Args:
        words: the table's words in the user's language.
        source: the ledger to show (the process's by default).
    """

    class Changed(Message):
        """The ledger has a new or finished entry."""

        bubble = False

    def __init__(
        self, words: LedgerWords, *, source: ledger.Ledger | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="connections-table")
        self.words = words
        self.source = source or ledger.current()
        self._unsubscribe: Callable[[], None] | None = None
        self.rows: list[tuple[str, ...]] = []
        """The cells on screen, one tuple a row."""
        self.hidden = 0
        """Earlier entries not drawn (beyond :data:`MAX_ROWS`)."""

    def on_mount(self) -> None:
        self._unsubscribe = self.source.subscribe(self._tell)
        self._draw()

    def _tell(self) -> None:
        """The ledger's listener, called from any thread."""
        self.post_message(self.Changed())

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    @on(Changed)
    def _changed(self, event: Changed) -> None:
        event.stop()
        self._draw()

    def _draw(self) -> None:
        entries = self.source.entries()
        shown = entries[-MAX_ROWS:]
        records = [{**entry.to_record(), "done": entry.done} for entry in shown]
        self.rows = ledger_rows(records, self.words)
        if not records:
            self.update(Text(self.words.empty, style="italic"))
            return
        # Two lines a request, so that a terminal of 80 columns shows it whole: where it
        # went, then (dimmed) why and what went with it.
        time_, purpose, content, request, sent, received, result = self.words.columns
        table = Table(box=None, pad_edge=False, expand=True, header_style="bold")
        table.add_column(time_, no_wrap=True)
        table.add_column(f"{request}\n{purpose} · {content}", ratio=1, overflow="fold")
        table.add_column(sent, justify="right", no_wrap=True)
        table.add_column(received, justify="right", no_wrap=True)
        table.add_column(result, no_wrap=True)
        for when, why, what, where, up, down, outcome in self.rows:
            table.add_row(
                Text(when),
                Text.assemble(where, "\n", (f"{why} · {what}", "dim")),
                Text(up),
                Text(down),
                Text(outcome),
            )
        self.hidden = len(entries) - len(shown)
        if self.hidden:
            earlier = Text(self.words.earlier.format(count=self.hidden), style="italic")
            self.update(Group(earlier, table))
        else:
            self.update(table)
