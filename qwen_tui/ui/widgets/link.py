"""A link that the keyboard can reach: the whole URL on screen, Enter opens it.

The URL is always shown in full so that it can be read and copied by hand where no
browser can be opened (an SSH session); there, Enter copies it instead.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static


class Link(Static, can_focus=True):
    """``label: url``, focusable; Enter opens ``url`` in a graphical browser or copies it.

    Args:
        label: what the link is (``"Privacy policy"``).
        url: the address; an empty one shows ``missing`` instead and does nothing.
        missing: shown in place of an empty URL.
    """

    DEFAULT_CSS = """
    Link {
        height: auto;
        padding: 0 1;
    }
    Link:focus {
        background: $accent 25%;
    }
    """

    BINDINGS = [Binding("enter", "open", "Open link")]

    def __init__(self, label: str, url: str, *, missing: str = "", id: str | None = None) -> None:
        self.label = label
        self.url = url
        text = Text.assemble((f"{label}: ", "bold"), (url, "underline") if url else missing)
        super().__init__(text, id=id, classes="link")
        self.can_focus = bool(url)

    def action_open(self) -> None:
        """Open the link where a browser can be; otherwise copy it and say so."""
        from qwen_tui.providers.qwen_oauth.browser import open_browser
        from qwen_tui.ui.clipboard import copy_text

        if not self.url:
            return
        if open_browser(self.url):
            self.notify(f"Opened {self.url} in your browser.", timeout=4)
            return
        how = copy_text(self.app, self.url)
        self.notify(f"No browser here: copied {self.url} (with {how}).", timeout=6)

    def on_click(self) -> None:
        self.action_open()
