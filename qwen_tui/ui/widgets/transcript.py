"""The scrolling transcript: follows new text until the user scrolls up to read.

Textual's anchor keeps a container glued to the bottom at layout time, which is what a
streaming answer needs. Two of its rules do not fit a chat, so they are replaced here:
any programmatic scroll releases the anchor (a focus change or a scroll-into-view would
stop the following for good), and once released it only re-engages at the exact bottom,
which a growing answer never stays at (textual#6677). Here only the user's own scrolling
up (wheel, keys, scrollbar) releases it, and scrolling back near the bottom, or sending
a message, re-engages it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual import events
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.scrollbar import ScrollTo, ScrollUp
from textual.widget import Widget

from qwen_tui.ui.widgets.history import HistoryEntry, HistoryPlaceholder
from qwen_tui.ui.widgets.streaming_markdown import MarkdownPiece
from qwen_tui.ui.widgets.tall import TallContainer

LIVE_SCREENS = 2
"""When a conversation is opened, the messages within this many screens of its end
are mounted for real; older ones get a placeholder until they come near the view."""


class Transcript(TallContainer, VerticalScroll):
    """A ``VerticalScroll`` that keeps the newest text in view while the user lets it."""

    following: bool = True
    _user_scrolling: bool = False
    _engaged: bool = False

    def resume_following(self) -> None:
        """Follow again (e.g. the user sent a message) and jump to the end."""
        self.following = True
        self._engage()

    def clear(self) -> None:
        """Remove everything (a new or resumed conversation) and start following anew."""
        self.remove_children()
        self.anchor(False)
        self._engaged = False
        self.following = True

    def show_history(self, entries: Sequence[HistoryEntry]) -> None:
        """Show saved messages: the last screens' worth for real, the rest as
        placeholders that are hydrated when scrolled near (see :mod:`.history`)."""
        budget = max(self.size.height, 24) * LIVE_SCREENS
        width = max(self.size.width, 40)
        live = len(entries)
        while live > 0 and budget > 0:
            live -= 1
            budget -= entries[live].estimate(width) + 1
        widgets: list[Widget] = []
        for entry in entries[:live]:
            placeholder = HistoryPlaceholder(entry)
            placeholder.on_painted = self._painted
            widgets.append(placeholder)
        widgets += [entry.build() for entry in entries[live:]]
        if widgets:
            self.mount_all(widgets)
        if live:
            self.call_after_refresh(self._hydrate_near)

    def _painted(self, placeholder: HistoryPlaceholder) -> None:
        self.call_later(self._hydrate, [placeholder])

    def _hydrate_near(self) -> None:
        """Swap in the real widgets of placeholders within a screen of the view."""
        height = self.scrollable_content_region.height
        top, bottom = self.scroll_y - height, self.scroll_y + 2 * height
        near = [
            child
            for child in self.children
            if isinstance(child, HistoryPlaceholder)
            and not child.hydrating
            and child.virtual_region.bottom >= top
            and child.virtual_region.y <= bottom
        ]
        if near:
            self.call_later(self._hydrate, near)

    async def _hydrate(self, placeholders: list[HistoryPlaceholder]) -> None:
        """Replace placeholders by their messages, keeping the lines the user reads in
        place: what grows or shrinks above the view moves the view by as much."""
        placeholders = [p for p in placeholders if not p.hydrating and p.parent is self]
        if not placeholders:
            return
        above: list[tuple[Widget, int]] = []
        for placeholder in placeholders:
            placeholder.hydrating = True
            widget = placeholder.entry.build()
            if placeholder.virtual_region.y < self.scroll_y:
                above.append((widget, placeholder.outer_size.height))
            await self.mount(widget, before=placeholder)
        await self.remove_children(placeholders)
        if above and not self.following:

            def keep_place() -> None:
                delta = sum(widget.outer_size.height - old for widget, old in above)
                if delta:
                    self.scroll_to(y=self.scroll_y + delta, animate=False)

            self.call_after_refresh(keep_place)

    def _engage(self) -> None:
        """Anchor once the content is taller than the view: an anchored container with
        less content than fits would push it to the bottom of the screen."""
        if self.following and self.max_scroll_y > 0:
            self._engaged = True
            self.anchor()

    def _scroll_update(self, virtual_size: Size) -> None:
        super()._scroll_update(virtual_size)
        if not self._engaged:
            self._engage()

    def on_resize(self) -> None:
        """A new width rewraps every message: while following, land on the end again."""
        self.call_after_refresh(self._back_to_the_end)

    def _back_to_the_end(self) -> None:
        # Decided after the refresh, not at the resize: a PageUp pressed in between
        # has stopped the following, and must not be undone.
        if self.following:
            self.scroll_end(animate=False)

    def release_anchor(self) -> None:
        """Release only for the user's own scrolling; ignore programmatic scrolls."""
        if self._user_scrolling:
            self.following = False
            super().release_anchor()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._hydrate_near()
        if not self.following and new_value >= self.max_scroll_y - 1:
            self.resume_following()

    def on_markdown_piece_settled(self, message: MarkdownPiece.Settled) -> None:
        """A lazily rendered segment came out taller or shorter than estimated. When it
        starts above the view (it is being scrolled into view from the top), move by
        the difference so the lines the user is reading stay where they are; while
        following, the anchor already keeps the end in place."""
        message.stop()
        if self.following or message.piece.region.y + message.top >= self.region.y:
            return
        delta = message.delta
        self.call_after_refresh(lambda: self.scroll_to(y=self.scroll_y + delta, animate=False))

    def _as_user(self, scroll: Callable[[], object]) -> None:
        """Run a scroll the user asked for, so that it may release the anchor."""
        self._user_scrolling = True
        try:
            scroll()
        finally:
            self._user_scrolling = False

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._as_user(lambda: super(Transcript, self)._on_mouse_scroll_up(event))

    def _on_scroll_up(self, event: ScrollUp) -> None:
        self._as_user(lambda: super(Transcript, self)._on_scroll_up(event))

    def _on_scroll_to(self, message: ScrollTo) -> None:
        self._as_user(lambda: super(Transcript, self)._on_scroll_to(message))

    def action_scroll_up(self) -> None:
        self._as_user(super().action_scroll_up)

    def action_page_up(self) -> None:
        # Not animated: a page is there at once, and a placeholder swapped in above the
        # view mid-animation would cut the page short when the view is moved to keep up.
        self._as_user(lambda: self.scroll_page_up(animate=False))

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_scroll_home(self) -> None:
        self._as_user(super().action_scroll_home)
