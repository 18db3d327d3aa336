"""Small modal pickers: a model from the server's list, a saved session."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from qwen_tui.ui.plain import plain


class OptionPicker(ModalScreen[str | None]):
    """Pick one of ``options`` (id, label); Esc cancels with ``None``.

    ``telemetry_name`` says which picker this is in usage statistics (a closed set).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        options: list[tuple[str, str]],
        current: str | None = None,
        *,
        telemetry_name: str = "other",
    ):
        super().__init__()
        self.telemetry_name = telemetry_name
        self._title = title
        self._options = options
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Static(plain(self._title), classes="dialog-title")
            if self._options:
                yield OptionList(
                    *(Option(plain(label), id=value) for value, label in self._options),
                    id="choices",
                )
            else:
                yield Static("Nothing to choose from.", classes="hint")

    def on_mount(self) -> None:
        if not self._options:
            return
        choices = self.query_one(OptionList)
        ids = [value for value, _ in self._options]
        if self._current in ids:
            choices.highlighted = ids.index(self._current)
        choices.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
