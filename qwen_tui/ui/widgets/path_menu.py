"""The ``@path`` completion menu: the workspace's files and folders matching what
follows the ``@`` (see :mod:`qwen_tui.tools.path_index`)."""

from __future__ import annotations

from textual.widgets.option_list import Option

from qwen_tui.ui.plain import plain
from qwen_tui.ui.widgets.completion_menu import CompletionMenu


class PathMenu(CompletionMenu):
    """Paths to attach; Tab or Enter takes the highlighted one, Esc closes the list."""

    def show_paths(self, paths: list[str]) -> bool:
        """Offer ``paths`` (file names are shown literally, never read as markup)."""
        return self.show_options([Option(plain(path), id=path) for path in paths])
