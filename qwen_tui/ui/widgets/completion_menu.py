"""A completion menu under the prompt: a list with a highlight, open or closed.

The prompt keeps the focus while a menu is open; the chat screen moves the highlight
(Up/Down) and reads :attr:`CompletionMenu.chosen` when a key accepts it. Whether it is
open is the ``-open`` class (``screens.tcss`` shows it then).
"""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets.option_list import Option


class CompletionMenu(OptionList):
    """The options the prompt's text could be completed with; closed when none."""

    can_focus = False
    """The prompt keeps the focus: keys go on editing it while the menu shows."""

    def show_options(self, options: list[Option]) -> bool:
        """Offer ``options`` (closed when empty), the first highlighted; returns
        whether the menu is open."""
        self.clear_options()
        self.add_options(options)
        self.set_class(bool(options), "-open")
        if options:
            self.highlighted = 0
        return bool(options)

    def close(self) -> None:
        """Hide the menu (what it listed is forgotten)."""
        self.show_options([])

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def move(self, step: int) -> None:
        """Move the highlight by ``step``, wrapping around at either end."""
        if self.option_count:
            self.highlighted = ((self.highlighted or 0) + step) % self.option_count

    @property
    def chosen(self) -> str | None:
        """The id of the highlighted option while the menu is open, else None."""
        if not (self.is_open and self.option_count and self.highlighted is not None):
            return None
        return self.get_option_at_index(self.highlighted).id
