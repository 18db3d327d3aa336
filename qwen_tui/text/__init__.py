"""Text policies that every layer shares: what may reach a terminal.

The lowest layer of the package: it imports nothing else of qwen_tui and no textual.
"""

from qwen_tui.text.terminal import neutralise, neutralise_json

__all__ = ["neutralise", "neutralise_json"]
