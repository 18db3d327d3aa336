"""``qwen-tui -p`` on a real terminal (a pty): what reaches it, byte for byte.

The real command runs with stdout and stderr on two ptys, against the loopback
OpenAI-compatible server, and the bytes the terminal receives are read raw from the
master side. Output post-processing of the pty (``\\n`` → ``\\r\\n``) is turned off, so
every byte read is one the program wrote.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from tests.headless.test_cli_prompt import CHAT, chat_requests, environment
from tests.support.servers.openai_server import ScriptedError, openai_server

OSC_52 = "\x1b]52;c;aGVsbG8gY2xpcGJvYXJk\x07"
OSC_TITLE = "\x1b]0;PWNED\x07"
OSC_8 = "\x1b]8;;file:///etc/passwd\x1b\\click me\x1b]8;;\x1b\\"
CLEAR_SCREEN = "\x1b[2J"
C1_CSI = "\x9b31m"
HOSTILE = [
    "start ",
    OSC_52,
    " ",
    OSC_TITLE,
    " ",
    OSC_8,
    " ",
    CLEAR_SCREEN,
    " ",
    C1_CSI,
    " red\x7f ",
    "split \x1b]52;c;",  # one sequence across two SSE chunks
    "c3BsaXQ=\x07 end",
]
SENT = "".join(HOSTILE)

# Every byte a terminal acts on, besides line feed: C0, DEL, and C1 as UTF-8 encodes it.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@dataclass
class Terminal:
    """A running ``qwen-tui`` with stdout and stderr each on its own pty."""

    process: subprocess.Popen[bytes]
    masters: dict[str, int]
    received: dict[str, bytearray] = field(default_factory=dict)

    def pump(self, timeout: float) -> None:
        """Read whatever the ptys have, waiting at most ``timeout`` seconds."""
        ready, _, _ = select.select(list(self.masters.values()), [], [], timeout)
        for name, fd in self.masters.items():
            if fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # EIO: the program closed its side
                    data = b""
                self.received.setdefault(name, bytearray()).extend(data)

    def wait_for(self, name: str, predicate: Callable[[bytes], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(bytes(self.received.get(name, b""))):
            assert time.monotonic() < deadline, (name, bytes(self.received.get(name, b"")))
            self.pump(0.1)

    def finish(self, timeout: float = 60) -> tuple[int, bytes, bytes]:
        """Wait for the exit and read everything left: (exit code, stdout, stderr)."""
        code = self.process.wait(timeout=timeout)
        while True:
            before = sum(len(data) for data in self.received.values())
            self.pump(0.2)
            if sum(len(data) for data in self.received.values()) == before:
                break
        return code, bytes(self.received.get("out", b"")), bytes(self.received.get("err", b""))


def _pty() -> tuple[int, int]:
    master, slave = os.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.OPOST  # no "\n" → "\r\n": read exactly what was written
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    return master, slave


@contextmanager
def terminal(*args: str, env: dict[str, str]) -> Iterator[Terminal]:
    out_master, out_slave = _pty()
    err_master, err_slave = _pty()
    process = subprocess.Popen(
        [sys.executable, "-m", "qwen_tui", *args],
        stdin=subprocess.DEVNULL,
        stdout=out_slave,
        stderr=err_slave,
        env=env,
    )
    os.close(out_slave)
    os.close(err_slave)
    try:
        yield Terminal(process, {"out": out_master, "err": err_master})
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        os.close(out_master)
        os.close(err_master)


def controls(data: bytes) -> list[str]:
    return _CONTROL.findall(data.decode("utf-8"))


def test_control_sequences_in_an_answer_never_reach_the_terminal() -> None:
    with (
        openai_server(chat_pieces=HOSTILE) as server,
        terminal("-p", "hi", env=environment(server.base_url)) as term,
    ):
        code, out, err = term.finish()
    assert code == 0, err
    assert controls(out) == []
    assert b"\x1b" not in out and b"\x07" not in out
    text = out.decode()
    # Shown, not obeyed: each sequence is visible with stand-ins for its controls.
    assert "␛]52;c;aGVsbG8gY2xpcGJvYXJk␇" in text
    assert "␛]0;PWNED␇" in text
    assert "␛]8;;file:///etc/passwd␛\\click me" in text
    assert "␛[2J" in text
    assert "␛[31m red␡" in text
    assert "split ␛]52;c;c3BsaXQ=␇ end" in text
    assert text.endswith(" end\n")
    assert err == b""


def test_raw_passes_the_answer_byte_for_byte() -> None:
    with (
        openai_server(chat_pieces=HOSTILE) as server,
        terminal("-p", "hi", "--raw", env=environment(server.base_url)) as term,
    ):
        code, out, err = term.finish()
    assert code == 0, err
    assert out == SENT.encode() + b"\n"
    assert b"\x1b]52;c;c3BsaXQ=\x07" in out  # the split one, joined again
    assert "\x9b".encode() in out


def test_hostile_server_error_text_is_neutralised_on_stderr() -> None:
    error = ScriptedError(
        500, f"Internal error {OSC_TITLE}{CLEAR_SCREEN}{C1_CSI} {OSC_52}", type="server_error"
    )
    with (
        openai_server(errors={CHAT: error}) as server,
        terminal("-p", "hi", env=environment(server.base_url)) as term,
    ):
        code, out, err = term.finish()
    assert code == 1
    assert out == b""
    assert controls(err) == []
    text = err.decode()
    assert text.startswith("error: The server had an error (500).")
    assert "␛]0;PWNED␇␛[2J␛[31m" in text
    assert "Run the command again." in text


def test_model_id_on_stderr_is_neutralised() -> None:
    with openai_server(models=["alpha"], strict_model=True) as server:
        model = "gamma\x1b]0;PWNED\x07"
        with terminal("-p", "hi", "--model", model, env=environment(server.base_url)) as term:
            code, out, err = term.finish()
    assert code == 1
    assert out == b""
    assert controls(err) == []
    assert "gamma␛]0;PWNED␇" in err.decode()
    assert "--model" in err.decode()


def test_ctrl_c_stops_quietly_and_keeps_what_arrived() -> None:
    with openai_server(chat_pieces=["Hello", ", ", "world"], stall_after=2) as server:
        with terminal("-p", "hi", env=environment(server.base_url)) as term:
            term.wait_for("out", lambda data: data == b"Hello, ")
            term.process.send_signal(signal.SIGINT)
            code, out, err = term.finish(timeout=20)
        assert len(chat_requests(server)) == 1
    assert code == 130
    assert out == b"Hello, \n"
    assert err.decode() == "qwen-tui: stopped (Ctrl+C); what arrived is kept.\n"


@pytest.mark.parametrize("output", ["text", "json"])
def test_ctrl_c_during_a_retry_after_wait(output: str) -> None:
    error = ScriptedError(
        429,
        "Slow down.",
        type="requests",
        code="rate_limit_exceeded",
        headers={"Retry-After": "30"},
    )
    with openai_server(errors={CHAT: error}) as server:
        env = environment(server.base_url)
        with terminal("-p", "hi", "--output", output, env=env) as term:
            term.wait_for("err", lambda data: b"Asking again in 30 s" in data)
            started = time.monotonic()
            term.process.send_signal(signal.SIGINT)
            code, out, err = term.finish(timeout=20)
        assert time.monotonic() - started < 15
        assert len(chat_requests(server)) == 1
    assert code == 130
    assert err.decode().endswith("qwen-tui: stopped (Ctrl+C); what arrived is kept.\n")
    assert "Traceback" not in err.decode()
    if output == "json":
        assert b'"kind": "stopped"' in out
    else:
        assert out == b""
