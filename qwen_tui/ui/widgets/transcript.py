"""The scrolling transcript: follows new text until the user scrolls up to read.

Textual's ``anchor()`` stops following for good after any programmatic scroll while
content streams (textual#6677), so following is decided here from what the user did:
scrolling up (wheel, keys, scrollbar) stops it; reaching the bottom again, or sending
a message, resumes it.
"""

from __future__ import annotations

from textual import events
from textual.containers import VerticalScroll
from textual.scrollbar import ScrollTo, ScrollUp


class Transcript(VerticalScroll):
    """A ``VerticalScroll`` that keeps the newest text in view while the user lets it."""

    following: bool = True

    def follow(self) -> None:
        """Scroll to the end if the user has not scrolled away; call after content grew."""
        if self.following:
            self.scroll_end(animate=False, immediate=False)

    def resume_following(self) -> None:
        """Follow again (e.g. the user sent a message) and jump to the end."""
        self.following = True
        self.follow()

    def _stop_following(self) -> None:
        self.following = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self.following and new_value >= self.max_scroll_y:
            self.following = True

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._stop_following()
        super()._on_mouse_scroll_up(event)

    def _on_scroll_up(self, event: ScrollUp) -> None:
        self._stop_following()
        super()._on_scroll_up(event)

    def _on_scroll_to(self, message: ScrollTo) -> None:
        if message.y is not None and message.y < self.max_scroll_y:
            self._stop_following()
        super()._on_scroll_to(message)

    def action_scroll_up(self) -> None:
        self._stop_following()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._stop_following()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._stop_following()
        super().action_scroll_home()
