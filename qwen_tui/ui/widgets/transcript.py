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

from collections.abc import Callable

from textual import events
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.scrollbar import ScrollTo, ScrollUp


class Transcript(VerticalScroll):
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

    def release_anchor(self) -> None:
        """Release only for the user's own scrolling; ignore programmatic scrolls."""
        if self._user_scrolling:
            self.following = False
            super().release_anchor()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self.following and new_value >= self.max_scroll_y - 1:
            self.resume_following()

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
        self._as_user(super().action_page_up)

    def action_scroll_home(self) -> None:
        self._as_user(super().action_scroll_home)
