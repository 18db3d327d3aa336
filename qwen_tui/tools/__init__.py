"""What the model may do in the user's project: read, search, change files, run commands.

Free of textual and of the network: these functions take a :class:`Workspace` and
arguments, and return the text the model is told (or raise :class:`ToolError` with what
went wrong). Approval, checkpoints and the conversation loop live above, in the agent.
"""

from qwen_tui.tools.catalogue import BY_NAME, READ_ONLY, SPECS, Toolbox, ToolSpec, parse_arguments
from qwen_tui.tools.changes import PendingChange
from qwen_tui.tools.errors import OutsideWorkspace, ToolError
from qwen_tui.tools.workspace import Workspace

__all__ = [
    "BY_NAME",
    "READ_ONLY",
    "SPECS",
    "OutsideWorkspace",
    "PendingChange",
    "ToolError",
    "ToolSpec",
    "Toolbox",
    "Workspace",
    "parse_arguments",
]
