"""Text policies that every layer shares: what may reach a terminal, and what never may.

The lowest layer of the package: it imports nothing else of qwen_tui and no textual.
"""

from qwen_tui.text.redact import REDACTED, mask, redact
from qwen_tui.text.terminal import neutralise, neutralise_json

__all__ = ["REDACTED", "mask", "neutralise", "neutralise_json", "redact"]
