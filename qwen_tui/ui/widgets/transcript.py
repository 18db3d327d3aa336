"""The scrolling transcript: follows new text until the user scrolls up to read.

Textual's anchor keeps a container glued to the bottom at layout time, which is what a
streaming answer needs. Two of its rules do not fit a chat, so they are replaced here:
any programmatic scroll releases the anchor (a focus change or a scroll-into-view would
stop the following for good), and once released it only re-engages at the exact bottom,
which a growing answer never stays at (textual#6677). Here only the user's own scrolling
up (wheel, keys, scrollbar) releases it, and scrolling back near the bottom, or sending
a message, re-engages it.

While the user reads above the end, the view is anchored to what they read (as the
web's scroll anchoring does): the message at the top of the view and how far into it
the view starts. Messages above it are built from placeholders and rendered lazily, so
they grow and shrink; after each layout the view is put back at the same line of the
same message, before Textual would clamp it to a shorter end.
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
    _reading: tuple[Widget, float] | None = None
    """While not following: the child at the top of the view and the view's offset
    into it (see the module docstring)."""

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
        """Replace placeholders by their messages. What grows or shrinks above the view
        is made up for by the reading anchor; a placeholder that is itself the anchor
        hands it to its message."""
        placeholders = [p for p in placeholders if not p.hydrating and p.parent is self]
        if not placeholders:
            return
        for placeholder in placeholders:
            placeholder.hydrating = True
            widget = placeholder.entry.build()
            await self.mount(widget, before=placeholder)
            if self._reading is not None and self._reading[0] is placeholder:
                self._reading = (widget, self._reading[1])
        await self.remove_children(placeholders)

    def _engage(self) -> None:
        """Anchor once the content is taller than the view: an anchored container with
        less content than fits would push it to the bottom of the screen."""
        if self.following and self.max_scroll_y > 0:
            self._engaged = True
            self.anchor()

    def _scroll_update(self, virtual_size: Size) -> None:
        """After every layout: put the view back at the line the user reads, then let
        Textual clamp the scroll position to the new size (a shorter text above would
        otherwise push the view to the end), then engage the anchor once there is
        something to scroll.

        A private hook, overridden on purpose (textual is pinned below 9): it is the one
        place that runs after each layout with the new virtual and container sizes both
        in place. ``watch_virtual_size`` misses layouts Textual applies without
        watchers, and sees the old container size; a ``Resize`` arrives a frame late.
        """
        if not self.following:
            self._keep_reading_place()
        super()._scroll_update(virtual_size)
        if not self._engaged:
            self._engage()

    def _keep_reading_place(self) -> None:
        if self._reading is None:
            return
        widget, offset = self._reading
        if widget.parent is not self:
            self._reading = None
            return
        target = widget.virtual_region.y + offset
        if target != self.scroll_y:
            self.scroll_target_y = self.scroll_y = target

    def _note_reading_place(self) -> None:
        """Remember the child at the top of the view and the view's offset into it."""
        top = self.scroll_y
        for child in self.children:
            region = child.virtual_region
            if region.bottom > top:
                self._reading = (child, top - region.y)
                return
        self._reading = None

    def on_resize(self) -> None:
        """A new width rewraps every message: while following, land on the end again."""
        self.call_after_refresh(self._back_to_the_end)

    def _back_to_the_end(self) -> None:
        # Decided after the refresh, not at the resize: a PageUp pressed in between
        # has stopped the following, and must not be undone. Immediate, because
        # Textual's own scroll_end waits for yet another refresh, where that PageUp
        # could land in between again.
        if self.following:
            self.scroll_end(animate=False, immediate=True)

    def release_anchor(self) -> None:
        """Release only for the user's own scrolling; ignore programmatic scrolls."""
        if self._user_scrolling:
            self.following = False
            super().release_anchor()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._hydrate_near()
        if self.following:
            self._reading = None
        elif new_value >= self.max_scroll_y - 1:
            self.resume_following()
            self._reading = None
        else:
            self._note_reading_place()

    def on_markdown_piece_settled(self, message: MarkdownPiece.Settled) -> None:
        """A lazily rendered segment came out taller or shorter than estimated. Inside
        the message the user reads, above the top of the view (it is being scrolled
        into view from the top), it moves the lines being read within that message:
        the reading offset moves by as much. Elsewhere the anchor needs no help, and
        while following the end is kept in place anyway."""
        message.stop()
        if self.following or self._reading is None:
            return
        widget, offset = self._reading
        if widget not in message.piece.ancestors_with_self:
            return
        if message.piece.region.y + message.top >= self.region.y:
            return
        self._reading = (widget, offset + message.delta)
        self.call_after_refresh(self._keep_reading_place)

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
        # Not animated and not deferred: a page is there at once, measured from the
        # lines on screen when the key was pressed. Textual's own page scroll waits for
        # the next refresh, where a message above may have changed height and the
        # page would land somewhere else (or be lost at the end).
        self._as_user(lambda: self._page(-1))

    def action_page_down(self) -> None:
        self._page(1)

    def _page(self, direction: int) -> None:
        height = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_y + direction * height, animate=False, immediate=True)

    def action_scroll_home(self) -> None:
        self._as_user(super().action_scroll_home)
