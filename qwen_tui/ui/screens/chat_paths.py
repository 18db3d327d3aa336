"""``@path`` completion in the chat's prompt: the list of the workspace's files and
folders that opens after an ``@`` and narrows as the path is typed.

The workspace is walked once, in a thread, the first time an ``@`` is typed (see
:class:`qwen_tui.tools.path_index.PathIndex`), and again after the model may have
changed the project (each answer, ``/undo``, ``/rewind``). Matching runs on each key
against that index. Tab or Enter takes the highlighted path (a folder's then lists
what is inside it), Esc closes the list until the mention is edited, Up and Down move.
"""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.worker import Worker

from qwen_tui.ui.screens.chat_agent import ChatAgent
from qwen_tui.ui.widgets.path_menu import PathMenu
from qwen_tui.ui.widgets.prompt_input import PromptInput


class ChatPathCompletion(ChatAgent):
    """The ``@path`` list of the chat screen's prompt."""

    _dismissed: str | None = None
    """The mention whose list Esc closed: it stays closed until the mention changes."""
    _said_truncated = False
    """Whether the note that the project is over the index's cap was shown."""
    _reader: Worker[None] | None = None
    """The walk in flight: keys typed meanwhile wait for it rather than start another."""
    _shown_for: tuple[str, int] | None = None
    """What the open list was matched for (the path typed, the index): a key that moves
    the cursor and changes the text is seen twice, and matched once."""

    def update_path_menu(self) -> None:
        """Open, narrow or close the list for the mention at the cursor, if any."""
        from qwen_tui.agent.mentions import typed_mention

        prompt = self.query_one(PromptInput)
        typing = None
        if self.agent is not None and not prompt.text.startswith("/"):
            typing = typed_mention(_before_cursor(prompt))
        typed = None if typing is None else typing[0]
        if typed != self._dismissed:
            self._dismissed = None
        if typed is None or typed == self._dismissed:
            self._show_paths([])
        elif self.path_index is None:
            if self._reader is None or self._reader.is_finished:
                self._reader = self._read_paths()
        elif self._shown_for != (typed, id(self.path_index)):
            self._show_paths(self.path_index.match(typed))
            self._shown_for = (typed, id(self.path_index))
        # The slash menu's update may have just said no menu is open: this one is.
        prompt.menu_open = prompt.menu_open or prompt.completing_path

    def _show_paths(self, paths: list[str]) -> None:
        self._shown_for = None
        prompt = self.query_one(PromptInput)
        was_open = prompt.completing_path
        prompt.completing_path = self.query_one(PathMenu).show_paths(paths)
        if was_open or prompt.completing_path:
            prompt.menu_open = prompt.completing_path

    @work(exclusive=True, group="paths", exit_on_error=False)
    async def _read_paths(self) -> None:
        from qwen_tui.tools.path_index import MAX_PATHS, PathIndex

        if self.agent is None:
            return
        index = await asyncio.to_thread(PathIndex.build, self.agent.toolbox.workspace)
        if index.truncated and not self._said_truncated:
            self._said_truncated = True
            self.note(
                f"This project has more than {MAX_PATHS:,} files: the @path list offers "
                "the first of them (a path typed in full is attached all the same)."
            )
        self.path_index = index
        self.update_path_menu()

    @on(PathMenu.OptionSelected, "#path-menu")
    def _path_clicked(self, event: PathMenu.OptionSelected) -> None:
        """A click on a path takes it, as Tab would."""
        self.query_one(PathMenu).highlighted = event.option_index
        self._path_accepted()
        self.query_one(PromptInput).focus()

    @on(PromptInput.SelectionChanged, "#prompt")
    def _cursor_moved(self) -> None:
        self.update_path_menu()

    @on(PromptInput.MenuAccept)
    def _path_accepted(self) -> None:
        """Put the highlighted path in place of the mention being typed."""
        from qwen_tui.agent.mentions import mention_text, typed_mention

        prompt = self.query_one(PromptInput)
        path = self.query_one(PathMenu).chosen
        row, column = prompt.cursor_location
        typing = typed_mention(_before_cursor(prompt))
        if path is None or typing is None:
            self._show_paths([])
            return
        completed = mention_text(path) + ("" if path.endswith("/") else " ")
        prompt.replace(completed, (row, column - typing[1]), (row, column))
        self.update_path_menu()

    @on(PromptInput.MenuDismiss)
    def _path_dismissed(self) -> None:
        from qwen_tui.agent.mentions import typed_mention

        prompt = self.query_one(PromptInput)
        typing = typed_mention(_before_cursor(prompt))
        self._dismissed = None if typing is None else typing[0]
        self._show_paths([])


def _before_cursor(prompt: PromptInput) -> str:
    """The cursor's line up to the cursor: a mention never spans lines, and a long
    prompt is not copied on each key."""
    row, column = prompt.cursor_location
    return prompt.document.get_line(row)[:column]
