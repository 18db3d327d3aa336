"""The sandbox around ``run_shell_command``: bubblewrap on Linux, ``sandbox-exec`` on macOS.

A command the model writes runs with the user's rights. Inside the sandbox it can
change the workspace and nothing else: the rest of the file system is read-only, ``/tmp``
is a private, empty tmpfs, and what holds the user's secrets is out of sight:
``QWEN_TUI_HOME`` (settings, sessions, a file credential store, the undo history), the
runtime folder ``$XDG_RUNTIME_DIR`` (the D-Bus session bus and gnome-keyring's sockets),
a D-Bus socket named by ``DBUS_SESSION_BUS_ADDRESS`` and the keyring files
(``~/.local/share/keyrings``). The network is off unless ``tools.sandbox.network`` is
on: bubblewrap gives the command a network namespace of its own with only a loopback
device, which also cuts it off from abstract unix sockets (D-Bus can listen on one).
With the network on, the command shares the host's network namespace, so an abstract
D-Bus socket stays reachable; the hidden folders, the read-only file system and the
secret-free environment still hold.

Under bubblewrap the command is also in a PID namespace of its own, with
``--die-with-parent``: it cannot see the user's other processes nor read their
environment in ``/proc`` (the app's own may hold ``OPENAI_API_KEY``); when the shell
is killed on timeout or Esc (the process group of the outer ``bwrap``), everything the
command started dies with the namespace, even a process that moved itself into a new
session; ``--new-session`` keeps it from the terminal. The undo history is written by
the app, outside the sandbox, so undo keeps working.

Whether a sandbox can be had is found out once per process (:func:`choose_sandbox`):
the program must exist and a trial run must succeed (inside a container without user
namespaces, bubblewrap fails), and when it cannot be had the choice says why.

``sandbox-exec`` on macOS is deprecated by Apple but still shipped; the profile here is
kept small (writes only to the workspace and the temporary folders, the hidden folders
unreadable, network denied unless allowed) and is not tested on this project's machines.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SandboxKind = Literal["bubblewrap", "sandbox-exec"]
TRIAL_TIMEOUT = 10.0
"""Seconds a trial run may take before the sandbox counts as not working."""
BUBBLEWRAP = "bwrap"
SANDBOX_EXEC = "sandbox-exec"


@dataclass(frozen=True)
class Sandbox:
    """A working sandbox program and what a command inside it may reach.

    Attributes:
        kind: which sandbox.
        program: the program's path.
        workspace: the one folder commands may write.
        hidden: folders and files commands must not see (those that exist when a
            command starts are hidden; a folder created later is hidden from then on).
        network: whether commands may use the network.
    """

    kind: SandboxKind
    program: str
    workspace: Path
    hidden: tuple[Path, ...]
    network: bool

    def wrap(self, argv: Sequence[str], cwd: Path) -> list[str]:
        """The command line that runs ``argv`` in ``cwd`` inside this sandbox."""
        if self.kind == "bubblewrap":
            return self._bubblewrap(argv, cwd)
        return self._sandbox_exec(argv)

    def limits(self) -> str:
        """What a command cannot do here, in one line for the model."""
        network = "the network is allowed" if self.network else "no network"
        return f"{self.kind}; only the workspace and /tmp are writable; {network}."

    def _existing_hidden(self) -> list[Path]:
        return [path for path in self.hidden if os.path.lexists(path)]

    def _bubblewrap(self, argv: Sequence[str], cwd: Path) -> list[str]:
        args = [self.program, *_bubblewrap_base(network=self.network)]
        # Mounts apply in order, a later one over an earlier one: a hidden folder that
        # holds the workspace is hidden first and the workspace bound over it; one inside
        # the workspace is hidden after the workspace is bound.
        hidden = self._existing_hidden()
        around = [path for path in hidden if self.workspace.is_relative_to(path)]
        inside = [path for path in hidden if path not in around]
        args += _hiding(around)
        args += ["--bind", str(self.workspace), str(self.workspace)]
        args += _hiding(inside)
        args += ["--chdir", str(cwd), "--", *argv]
        return args

    def _sandbox_exec(self, argv: Sequence[str]) -> list[str]:
        hidden = self._existing_hidden()
        params = ["-D", f"WORKSPACE={self.workspace}"]
        denials = []
        for index, path in enumerate(hidden):
            params += ["-D", f"HIDDEN_{index}={path}"]
            denials.append(f'(subpath (param "HIDDEN_{index}"))')
        profile = [
            "(version 1)",
            "(allow default)",
            "(deny file-write*)",
            '(allow file-write* (subpath (param "WORKSPACE")) (subpath "/private/tmp")'
            ' (subpath "/private/var/folders") (literal "/dev/null") (regex #"^/dev/tty")'
            ' (regex #"^/dev/fd/"))',
        ]
        if denials:
            profile.append(f"(deny file-read* file-write* {' '.join(denials)})")
        if not self.network:
            profile.append("(deny network*)")
        return [self.program, "-p", "\n".join(profile), *params, *argv]


def _bubblewrap_base(*, network: bool) -> list[str]:
    """The options every bubblewrap run has: the file system, namespaces and lifetime."""
    base = [
        "--die-with-parent",
        "--new-session",
        "--unshare-pid",
        "--unshare-ipc",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
    ]
    if not network:
        base.append("--unshare-net")
    # A TMPDIR of the user's outside /tmp is read-only in here: point it at the
    # private /tmp, where temporary files can be written.
    base += ["--setenv", "TMPDIR", "/tmp"]
    return base


def _hiding(paths: Sequence[Path]) -> list[str]:
    """bubblewrap options that put an empty tmpfs on a folder, ``/dev/null`` on a file
    or socket."""
    args: list[str] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            args += ["--tmpfs", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    return args


@dataclass(frozen=True)
class SandboxChoice:
    """The sandbox shell commands run in, or why they run without one.

    Attributes:
        sandbox: the sandbox; ``None``: commands run unsandboxed.
        reason: why there is none, in a sentence for the user ("" with a sandbox).
    """

    sandbox: Sandbox | None
    reason: str = ""

    @property
    def sandboxed(self) -> bool:
        """Whether commands run in a sandbox."""
        return self.sandbox is not None


def hidden_paths(home: Path, environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """What a sandboxed command must not see: the app's state folder and the ways to
    the user's keyring (see the module docstring)."""
    env = os.environ if environ is None else environ
    paths = [home]
    runtime = env.get("XDG_RUNTIME_DIR", "").strip()
    if runtime:
        paths.append(Path(runtime))
    elif hasattr(os, "getuid"):
        paths.append(Path(f"/run/user/{os.getuid()}"))
    bus = _bus_socket(env.get("DBUS_SESSION_BUS_ADDRESS", ""))
    if bus is not None:
        paths.append(bus)
    control = env.get("GNOME_KEYRING_CONTROL", "").strip()
    if control:
        paths.append(Path(control))
    data_home = env.get("XDG_DATA_HOME", "").strip()
    user_home = Path(env.get("HOME", "") or Path.home())
    paths.append((Path(data_home) if data_home else user_home / ".local" / "share") / "keyrings")
    if sys.platform == "darwin":
        paths.append(user_home / "Library" / "Keychains")
    unique: dict[Path, None] = {}
    for path in paths:
        if path.is_absolute():
            unique[Path(os.path.realpath(path))] = None
    return tuple(unique)


def _bus_socket(address: str) -> Path | None:
    """The socket file of a D-Bus address such as ``unix:path=/run/user/1000/bus``
    (an abstract socket has none: only the network namespace cuts it off)."""
    for part in address.split(";"):
        if not part.startswith("unix:"):
            continue
        for option in part[len("unix:") :].split(","):
            key, _, value = option.partition("=")
            if key == "path" and value:
                return Path(value)
    return None


def choose_sandbox(
    workspace: Path,
    *,
    home: Path,
    enabled: bool = True,
    network: bool = False,
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
) -> SandboxChoice:
    """The sandbox for shell commands in ``workspace`` (see the module docstring).

    Args:
        workspace: the folder commands may write.
        home: ``QWEN_TUI_HOME``, hidden from commands.
        enabled: ``tools.sandbox.enabled``; ``False``: no sandbox, by the user's choice.
        network: ``tools.sandbox.network``.
        environ: where ``PATH`` and the runtime folders are read (default: this
            process's environment).
        platform: ``sys.platform``, a parameter for tests.
    """
    if not enabled:
        return SandboxChoice(None, "the sandbox is turned off (tools.sandbox.enabled is false)")
    env = os.environ if environ is None else environ
    kind: SandboxKind
    if platform.startswith("linux"):
        kind, name, missing = "bubblewrap", BUBBLEWRAP, "bubblewrap (bwrap) is not installed"
    elif platform == "darwin":
        kind, name, missing = "sandbox-exec", SANDBOX_EXEC, "sandbox-exec is not on this Mac"
    else:
        return SandboxChoice(None, f"there is no sandbox for this system ({platform})")
    program = shutil.which(name, path=env.get("PATH", os.defpath))
    if program is None:
        return SandboxChoice(None, missing)
    failure = trial_failure(kind, program, network=network)
    if failure:
        return SandboxChoice(None, f"{kind} does not work here: {failure}")
    sandbox = Sandbox(kind, program, workspace.resolve(), hidden_paths(home, env), network)
    return SandboxChoice(sandbox)


@functools.cache
def trial_failure(kind: SandboxKind, program: str, *, network: bool) -> str:
    """What went wrong when ``program`` ran ``true`` in a sandbox ("" when it worked).

    Run once per program and network setting in a process: it costs a fork and, for
    bubblewrap, new namespaces (some tens of milliseconds).
    """
    if kind == "bubblewrap":
        argv = [program, *_bubblewrap_base(network=network), "--", "true"]
    else:
        argv = [program, "-p", "(version 1)(allow default)", "/usr/bin/true"]
    try:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TRIAL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"a trial run took more than {TRIAL_TIMEOUT:g} s"
    except OSError as error:
        return str(error.strerror or error)
    if result.returncode == 0:
        return ""
    said = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return said[-1] if said else f"a trial run ended with exit code {result.returncode}"
