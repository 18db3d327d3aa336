"""Slash commands: one table used by the prompt's completion, /help and the palette."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.screen import Screen


@dataclass(frozen=True)
class SlashCommand:
    """A command the user can type as ``/name`` or pick in the command palette.

    Attributes:
        name: what follows the slash.
        help: one line for completion and /help.
        action: the action it runs (a ChatScreen action, or ``app.…`` for the app's).
        takes_argument: what follows the name is passed to the action as one string.
    """

    name: str
    help: str
    action: str
    takes_argument: bool = False


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("auth", "Sign in again or switch provider", "sign_in"),
    SlashCommand("model", "Pick a model from the server's list", "pick_model"),
    SlashCommand("clear", "Start a new conversation", "new_session"),
    SlashCommand("compress", "Replace the older turns by a summary the model writes", "compress"),
    SlashCommand("resume", "Open a saved conversation", "resume"),
    SlashCommand(
        "approval-mode",
        "What the model may do unasked: plan, default, auto-edit, yolo",
        "approval_mode",
        takes_argument=True,
    ),
    SlashCommand("memory", "The instruction files sent with each task (QWEN.md …)", "memory"),
    SlashCommand("init", "Ask the model to write a starting QWEN.md for this project", "init"),
    SlashCommand("undo", "Undo the model's last change to the project", "undo"),
    SlashCommand(
        "rewind",
        "List the checkpoints, or go back to one: /rewind ID",
        "rewind",
        takes_argument=True,
    ),
    SlashCommand(
        "mcp",
        "MCP servers, their state and tools; /mcp restart NAME restarts one",
        "mcp",
        takes_argument=True,
    ),
    SlashCommand("stats", "Requests, tokens and time in the API this run", "stats"),
    SlashCommand("copy", "Copy the last answer", "copy_last"),
    SlashCommand(
        "privacy",
        "Terms, privacy policy and usage statistics of the provider in use",
        "app.privacy",
    ),
    SlashCommand("settings", "Theme, language, model, timeout and privacy", "app.settings"),
    SlashCommand("help", "Commands and keys", "help"),
    SlashCommand("quit", "Leave qwen-tui", "app.quit"),
)


@dataclass
class CommandRun(Message):
    """A slash command was run (typed, picked from the menu or the palette).

    It bubbles from the screen to the app, which counts it in the usage statistics:
    the commands need not know who listens.
    """

    name: str


async def run_command(screen: Screen[Any], command: SlashCommand, argument: str = "") -> None:
    """Run ``command`` on ``screen`` (with ``argument`` if it takes one), and say so
    with a :class:`CommandRun`."""
    screen.post_message(CommandRun(command.name))
    if command.takes_argument:
        await screen.run_action(f"{command.action}({argument.strip()!r})")
    else:
        await screen.run_action(command.action)


def command_argument(text: str) -> str:
    """What follows the command's name in ``text`` (``"/approval-mode yolo"``: ``yolo``)."""
    words = text.strip().split(maxsplit=1)
    return words[1] if len(words) > 1 else ""


def find_command(text: str) -> SlashCommand | None:
    """The command ``text`` names (``"/model"``, ``"/model "``), or None."""
    words = text.strip().removeprefix("/").split(maxsplit=1)
    name = words[0] if words else ""  # a lone "/" names no command
    return next((command for command in COMMANDS if command.name == name), None)


def complete(prefix: str) -> list[SlashCommand]:
    """Commands whose name starts with what follows the slash in ``prefix``."""
    typed = prefix.removeprefix("/")
    return [command for command in COMMANDS if command.name.startswith(typed)]


class SlashCommandsProvider(Provider):
    """Offers every slash command in the command palette (Ctrl+P)."""

    async def discover(self) -> Hits:
        for command in COMMANDS:
            yield DiscoveryHit(f"/{command.name}", self._runner(command), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in COMMANDS:
            score = matcher.match(f"/{command.name} {command.help}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(f"/{command.name}"),
                    self._runner(command),
                    help=command.help,
                )

    def _runner(self, command: SlashCommand):  # type: ignore[no-untyped-def]
        screen = self.screen

        async def run() -> None:
            await run_command(screen, command)

        return run
