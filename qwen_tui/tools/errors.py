"""The one error a tool raises: a message written for the model (and shown to the user).

A tool never fails with a traceback in the conversation. What went wrong is said in
words the model can act on ("old_string was found 3 times; add context or set
replace_all"), and nothing was changed when it is raised.
"""

from __future__ import annotations

from qwen_tui.text import UserFacingError


class ToolError(UserFacingError):
    """A refused or failed tool call; ``str(error)`` is what the model is told."""


class OutsideWorkspace(ToolError):
    """A path that leads out of the workspace (``..``, absolute, or via a symlink)."""
