"""The ``qwen-tui`` command: argument parsing, headless sub-commands, and the app launch.

Kept light on purpose: only argparse and the settings are imported before the app's
first frame; the TUI, the provider registry and the keyring are imported when needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qwen_tui import __version__

if TYPE_CHECKING:
    from qwen_tui.config import LoadedSettings
    from qwen_tui.config.first_look import DeferredSettings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

BUILT_IN_PROVIDERS = (
    "qwen",
    "openai",
    "dashscope-intl",
    "dashscope-us",
    "dashscope-cn",
    "coding-plan-intl",
    "coding-plan-cn",
    "modelscope",
    "openrouter",
    "ollama",
    "lmstudio",
    "llamacpp",
    "vllm",
    "custom",
)
"""The catalogue's ids, written out so that ``--help`` needs no file read (a test keeps
the two the same)."""


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar; documented in docs/cli.md."""
    parser = argparse.ArgumentParser(
        prog="qwen-tui",
        usage="qwen-tui [options] [-p PROMPT]\n       qwen-tui auth {login,status,logout} …"
        "\n       qwen-tui trust [DIR]"
        "\n       qwen-tui mcp {add,list,remove,trust,secret} …"
        "\n       qwen-tui audit [--session ID] [--json]",
        description="AI coding help in your terminal, from the provider of your choice.",
        epilog=f"Provider ids: {', '.join(BUILT_IN_PROVIDERS)}, or one of your own "
        "(providers.custom in settings.json). Documentation: docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"qwen-tui {__version__}")
    parser.add_argument("--provider", metavar="ID", help="provider id for this run (listed below)")
    parser.add_argument("--base-url", metavar="URL", help="API base URL for this run")
    parser.add_argument("--model", metavar="MODEL", help="model id for this run")
    parser.add_argument(
        "-p",
        "--prompt",
        metavar="PROMPT",
        help="ask once, stream the answer to stdout and exit (piped stdin is added as context)",
    )
    parser.add_argument(
        "--output-format",
        "--output",
        dest="output",
        choices=["text", "json", "stream-json"],
        default="text",
        help="with -p: plain text as it arrives, one JSON object at the end, or one "
        "JSON event a line as things happen",
    )
    parser.add_argument(
        "--approval-mode",
        choices=["plan", "default", "auto-edit", "yolo"],
        help="what the model may do without asking: plan (read only), default (asks "
        "before edits and commands), auto-edit (asks before commands), yolo (asks "
        "nothing); -p without a terminal to ask on is plan unless given",
    )
    parser.add_argument(
        "--max-turns",
        type=_positive,
        metavar="N",
        help="model requests per prompt before stopping (default: tools.maxTurns, 50)",
    )
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        help="the project folder the tools work in (default: this folder's git root)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help=(
            "with -p: print the answer byte for byte as the server sent it, control "
            "characters included (unsafe on a terminal; for pipes only)"
        ),
    )
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        "-c",
        "--continue",
        dest="continue_last",
        action="store_true",
        help="open the most recent conversation",
    )
    resume.add_argument("--resume", metavar="ID", help="open a saved conversation by id")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="write a debug log to $QWEN_TUI_HOME/logs/debug.log (secrets masked)",
    )
    parser.add_argument(
        "--trust-folder",
        action="store_true",
        help="trust the .env of this project folder (remembered; see `qwen-tui trust`)",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", prog="qwen-tui"
    )
    trust = commands.add_parser(
        "trust",
        help="let a project's .env change the endpoint (shows what it changes first)",
    )
    trust.add_argument("folder", nargs="?", help="the project folder (default: this one)")
    trust.add_argument("--forget", action="store_true", help="stop trusting the folder")
    from qwen_tui.headless.mcp_command import add_parser as add_mcp_parser

    add_mcp_parser(commands)
    audit = commands.add_parser(
        "audit",
        help="show what a session sent over the network, and where (its ledger)",
        description=(
            "Print the network ledger of a session: every request, its purpose, the kind "
            "of data that went with it and the bytes each way, never the content."
        ),
    )
    audit.add_argument(
        "--session",
        dest="audit_session",
        metavar="ID",
        help="the session id, or a prefix only it has (default: the latest)",
    )
    audit.add_argument("--json", action="store_true", help="one JSON array of the entries")
    auth = commands.add_parser("auth", help="sign in, show or remove credentials")
    auth_commands = auth.add_subparsers(dest="auth_command", metavar="ACTION", required=True)
    login = auth_commands.add_parser(
        "login",
        help="sign in and make the provider active",
        epilog=f"Provider ids: {', '.join(BUILT_IN_PROVIDERS)}, or one of your own.",
        description=(
            "Sign in. For --method openai the key is read from standard input when it is "
            "not a terminal (e.g. `echo $KEY | qwen-tui auth login --provider openai`), "
            "otherwise asked for without echo. The key is checked against the server "
            "before it is stored in the OS keyring."
        ),
    )
    login.add_argument("--method", choices=["qwen-oauth", "openai"], default="openai")
    login.add_argument(
        "--provider", dest="login_provider", metavar="ID", help="provider id, e.g. openai"
    )
    login.add_argument("--base-url", dest="login_base_url", metavar="URL", help="API base URL")
    login.add_argument(
        "--model", dest="login_model", metavar="MODEL", help="model id (default: the preset's)"
    )
    login.add_argument(
        "--no-browser", action="store_true", help="never open a browser (Qwen OAuth)"
    )
    login.add_argument(
        "--allow-file-store",
        action="store_true",
        help="if no OS keyring works, keep the secret in a 0600 file in QWEN_TUI_HOME",
    )
    auth_commands.add_parser("status", help="show the active sign-in (never the secret)")
    logout = auth_commands.add_parser("logout", help="remove the stored secret")
    logout.add_argument(
        "--provider", dest="logout_provider", metavar="ID", help="provider id to sign out of"
    )
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def settings_flags(args: argparse.Namespace) -> dict[str, Any]:
    """Turn run-wide options into the top layer of the settings."""
    model: dict[str, Any] = {}
    if args.provider:
        model["provider"] = args.provider
    if args.base_url:
        model["base_url"] = args.base_url
    if args.model:
        model["name"] = args.model
    flags: dict[str, Any] = {}
    if model:
        flags["model"] = model
        if args.provider or args.base_url:
            flags["security"] = {"auth": {"selected_type": "openai"}}
    return flags


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    flags = settings_flags(args)
    if args.command == "trust":
        from qwen_tui.headless.trust import run_trust_command

        return run_trust_command(args)
    interactive = args.command is None and args.prompt is None and sys.stdin.isatty()
    if interactive and not args.debug:
        deferred = _deferred_settings(args, flags)
        if deferred is not None:
            return _run_app(args, flags, deferred)
    from qwen_tui.config import load_settings

    loaded = load_settings(flags, trust_folder=args.trust_folder)
    if args.debug:
        _start_debug_log(loaded)
    if args.command == "audit":
        from qwen_tui.headless.audit import run_audit_command

        return run_audit_command(args, loaded)
    if args.command == "auth":
        from qwen_tui.headless.auth import run_auth_command

        return run_auth_command(args, loaded)
    if args.command == "mcp":
        from qwen_tui.headless.mcp_command import run_mcp_command

        return run_mcp_command(args, loaded)
    if not interactive:
        return _headless_prompt(args, loaded)
    return _run_app(args, flags, loaded)


def _deferred_settings(args: argparse.Namespace, flags: dict[str, Any]) -> DeferredSettings | None:
    """The app's settings with their full load put after the first frame, or ``None``
    when the first screen cannot be told without it (see ``config.first_look``)."""
    from qwen_tui.config.first_look import DeferredSettings, first_look

    look = first_look(flags)
    if look is None:
        return None

    def load() -> LoadedSettings:
        from qwen_tui.config import load_settings

        return load_settings(flags, home=look.home, trust_folder=args.trust_folder)

    return DeferredSettings(look, load)


def _run_app(
    args: argparse.Namespace, flags: dict[str, Any], settings: LoadedSettings | DeferredSettings
) -> int:
    """The full-screen app; afterwards, how to get back to the conversation."""
    from qwen_tui.ui.terminal import refusal, terminal_lack

    lack = terminal_lack(os.environ)
    if lack is not None:
        print(refusal(os.environ.get("TERM", ""), lack), file=sys.stderr)
        return EXIT_USAGE
    from qwen_tui.ui.app import QwenTuiApp
    from qwen_tui.ui.services import AppServices

    resume = "latest" if args.continue_last else args.resume
    services = AppServices(
        settings,
        flags=flags,
        resume=resume,
        approval_mode=args.approval_mode,
        workspace=Path(args.workspace) if args.workspace else None,
    )
    try:
        QwenTuiApp(services).run()
    finally:
        services.close_telemetry()
    _say_how_to_continue(services)
    return EXIT_OK


def _say_how_to_continue(services: Any) -> None:
    """After the app: one line on how to get back to the conversation, if there is one."""
    from qwen_tui.chat.sessions import SessionError

    try:
        recent = services.sessions.list(limit=1)
    except (SessionError, OSError):
        return
    if recent and recent[0].messages:
        print(f"qwen-tui --continue opens this conversation again (--resume {recent[0].id}).")


def _start_debug_log(loaded: Any) -> None:
    """``--debug``: open the log and note what this run is (never a secret)."""
    import logging

    from qwen_tui.config.debug_log import LOGGER_NAME, start_debug_log

    path = start_debug_log(loaded.home)
    log = logging.getLogger(LOGGER_NAME)
    log.info("qwen-tui %s, Python %s", __version__, sys.version.split()[0])
    log.info("home %s; settings %s; .env %s", loaded.home, loaded.settings_file, loaded.dotenv_path)
    for problem in loaded.problems:
        log.warning("settings problem: %s", problem)
    print(f"Debug log: {path}", file=sys.stderr)


def _headless_prompt(args: argparse.Namespace, loaded: Any) -> int:
    """``-p``, or a prompt piped in: checks the arguments, reads the prompt, asks once."""
    from qwen_tui.headless.agent_setup import AgentOptions
    from qwen_tui.headless.prompt import (
        EXIT_INTERRUPTED,
        STOPPED_NOTE,
        PromptInputError,
        read_prompt,
        run_prompt,
    )
    from qwen_tui.text import neutralise

    if args.continue_last or args.resume is not None:
        return _resume_without_terminal(args, loaded)
    for problem in loaded.problems:
        print(neutralise(f"warning: {problem}"), file=sys.stderr)
    try:
        prompt = read_prompt(args.prompt, sys.stdin, sys.stderr)
        agent = AgentOptions(
            approval_mode=args.approval_mode,
            max_turns=args.max_turns,
            workspace=Path(args.workspace) if args.workspace else None,
            can_ask=sys.stdin.isatty() and sys.stderr.isatty(),
        )
        return run_prompt(prompt, loaded, output=args.output, raw=args.raw, agent=agent)
    except PromptInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # while the prompt was still being read
        print(STOPPED_NOTE, file=sys.stderr)
        return EXIT_INTERRUPTED


def _resume_without_terminal(args: argparse.Namespace, loaded: Any) -> int:
    """``--resume`` / ``--continue`` open the app; say plainly why they cannot here."""
    from qwen_tui.chat.sessions import SessionError, SessionStore
    from qwen_tui.text import neutralise

    store = SessionStore(loaded.home)
    flag = "--continue" if args.continue_last else "--resume"
    try:
        found = store.latest() if args.continue_last else store.open(args.resume)
    except SessionError as error:
        print(neutralise(f"error: {error}"), file=sys.stderr)
        return EXIT_USAGE
    if found is None:
        print("error: there is no saved conversation to continue.", file=sys.stderr)
        return EXIT_USAGE
    print(
        f"error: {flag} opens a saved conversation in the app, which needs a terminal; "
        "-p and piped input ask a new question and cannot continue one.",
        file=sys.stderr,
    )
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
