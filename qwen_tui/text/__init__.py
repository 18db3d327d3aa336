"""Text policies that every layer shares: what may reach a terminal, and what never may,
and the root of the errors whose message is meant for people.

The lowest layer of the package: it imports nothing else of qwen_tui and no textual.
"""

from qwen_tui.text.errors import UserFacingError
from qwen_tui.text.redact import REDACTED, mask, redact
from qwen_tui.text.terminal import neutralise, neutralise_json

__all__ = ["REDACTED", "UserFacingError", "mask", "neutralise", "neutralise_json", "redact"]
