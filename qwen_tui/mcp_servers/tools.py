"""An MCP server's tools as the model sees them, and their results as text.

The model gets each tool as ``server__tool`` (Qwen Code's naming), so that two servers
may both have a ``search``; a name is cut to what the OpenAI tools API accepts
(letters, digits, ``_`` and ``-``, at most 64). What a tool returns is told to the
model as text: text content as it is, anything else (an image, audio, a resource)
summarised in one line, since the chat sends text only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from qwen_tui.tools.catalogue import ToolKind

SEPARATOR = "__"
MAX_NAME = 64
MAX_DESCRIPTION = 2000
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def exposed_name(server: str, tool: str) -> str:
    """``server__tool``, with characters the tools API refuses replaced by ``_``."""
    return _NOT_ALLOWED.sub("_", f"{server}{SEPARATOR}{tool}")[:MAX_NAME]


@dataclass(frozen=True)
class McpTool:
    """One tool of one server.

    Attributes:
        server: the server's name in ``mcpServers``.
        name: the tool's own name, as the server knows it.
        exposed: ``server__tool``, the name the model calls.
        description: the server's description of it.
        input_schema: its JSON schema for the arguments.
        read_only: the server says it changes nothing (``readOnlyHint``); such a tool
            runs without asking, like ``read_file``; every other one asks.
    """

    server: str
    name: str
    exposed: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool = False

    @property
    def kind(self) -> ToolKind:
        """``read`` for a read-only tool, else ``execute``: asked in ``default`` and
        ``auto-edit``, refused in ``plan``."""
        return "read" if self.read_only else "execute"

    def schema(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry."""
        parameters = dict(self.input_schema) or {"type": "object", "properties": {}}
        parameters.setdefault("type", "object")
        description = self.description.strip() or f"The {self.name} tool of {self.server}."
        return {
            "type": "function",
            "function": {
                "name": self.exposed,
                "description": f"[MCP server {self.server}] {description}"[:MAX_DESCRIPTION],
                "parameters": parameters,
            },
        }


def from_listing(server: str, listed: Any) -> McpTool:
    """A tool from the SDK's ``Tool`` (typed loosely: the SDK is imported lazily)."""
    annotations = getattr(listed, "annotations", None)
    schema = getattr(listed, "input_schema", None)
    return McpTool(
        server=server,
        name=str(listed.name),
        exposed=exposed_name(server, str(listed.name)),
        description=str(getattr(listed, "description", None) or ""),
        input_schema=schema if isinstance(schema, dict) else {},
        read_only=bool(getattr(annotations, "read_only_hint", False)),
    )


def result_text(result: Any) -> tuple[bool, str]:
    """Whether a ``CallToolResult`` reports success, and its content as text."""
    parts: list[str] = []
    for block in getattr(result, "content", None) or ():
        kind = getattr(block, "type", "unknown")
        if kind == "text":
            parts.append(str(getattr(block, "text", "")))
        elif kind in ("image", "audio"):
            mime = getattr(block, "mime_type", None) or kind
            size = len(str(getattr(block, "data", "")))
            parts.append(f"[{kind} content, {mime}, {size} characters of base64, not shown]")
        elif kind == "resource_link":
            parts.append(f"[a link to the resource {getattr(block, 'uri', '')}]")
        elif kind == "resource":
            resource = getattr(block, "resource", None)
            text = getattr(resource, "text", None)
            uri = getattr(resource, "uri", "")
            parts.append(str(text) if text is not None else f"[binary resource {uri}, not shown]")
        else:
            parts.append(f"[{kind} content, not shown]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False))
    ok = not bool(getattr(result, "is_error", False))
    text = "\n".join(parts) or "(the tool returned nothing)"
    return ok, text if ok else f"Error from the tool: {text}"
