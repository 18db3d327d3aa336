"""``make bench``: start-up, idle memory and streaming cost, each against a baseline.

Baselines are measured in the same run on the same machine: a bare Textual app's first
frame for start-up and memory; for streaming, a bare socket reading the same stream
(the server's own speed) and the raw ``openai`` client.

Subsets: ``--messages --skip-headless --huge-runs 0`` for start-up and streaming,
adding ``--tokens`` for start-up alone, or ``--skip-launch`` for streaming alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bench.agent_parts import bench_ledger, bench_sandbox
from bench.answers import answer_pieces
from bench.headless import bench_headless
from bench.huge import bench_huge
from bench.startup import CHAT_MILESTONES, Milestone, save_sign_in, time_milestones
from bench.stream import bench_stream
from bench.stream import raw_client_read as raw_client
from bench.tmux import stop_server
from bench.tools import bench_round_trip, bench_search
from bench.transcript import bench_transcript

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.servers.openai_server import openai_server  # noqa: E402

KEY = "sk-bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def tree_rss_mb(root: int) -> float:
    total = 0
    for pid in tree_pids(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def tree_cpu_seconds(root: int) -> float:
    total = 0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLK_TCK


@dataclass(frozen=True)
class LaunchCase:
    """One program launched in the start-up rounds, and the moments timed in it."""

    label: str
    command: list[str]
    milestones: list[Milestone]
    env: dict[str, str] = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None
    """Sets up the case's home before each launch."""


def _shows(text: str) -> Callable[[str], bool]:
    return lambda screen: text in screen


BARE_MILESTONES: list[Milestone] = [("first frame", _shows("bare-ready"))]


def summary(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def run_launch(
    command: list[str], env: dict[str, str], milestones: list[Milestone], settle: float = 1.5
) -> tuple[list[float], float]:
    """Seconds from start to each milestone on screen, and the idle RSS of the process
    tree ``settle`` seconds later (once the background imports are done)."""
    seconds, session = time_milestones(command, env, milestones)
    try:
        time.sleep(settle)
        rss = tree_rss_mb(session.pane_pid())
    finally:
        session.kill()
    return seconds, rss


def base_env(home: Path, **extra: str) -> dict[str, str]:
    return {
        "QWEN_TUI_HOME": str(home),
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **extra,
    }


def bench_launch(
    runs: int, work: Path, base_url: str
) -> list[tuple[str, str, list[float], list[float]]]:
    """Per case and milestone: the case, the milestone, the seconds to it in each run,
    and the case's idle memory."""
    python = sys.executable
    cases: list[LaunchCase] = [
        LaunchCase("bare Textual app", [python, "-m", "bench.bare_app"], BARE_MILESTONES),
        LaunchCase(
            "qwen-tui welcome", [python, "-m", "qwen_tui"], [("ready", _shows("Verify & Save"))]
        ),
        LaunchCase(
            "qwen-tui chat",
            [python, "-m", "qwen_tui"],
            [("ready", _shows("New chat"))],
            {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": KEY, "OPENAI_MODEL": "test-model"},
        ),
        LaunchCase(
            "qwen-tui chat, saved sign-in",
            [python, "-m", "qwen_tui"],
            CHAT_MILESTONES,
            prepare=lambda home: save_sign_in(home, base_url, KEY),
        ),
    ]
    times: dict[str, list[list[float]]] = {c.label: [[] for _ in c.milestones] for c in cases}
    memory: dict[str, list[float]] = {case.label: [] for case in cases}
    # Rounds of one run per case, so that a busy moment of the machine hits all alike.
    for index in range(runs):
        for case in cases:
            home = work / f"launch-{case.label.replace(' ', '-')}-{index}"
            if case.prepare is not None:
                case.prepare(home)
            env = base_env(home, PYTHONPATH=str(ROOT), **case.env)
            seconds, rss = run_launch(case.command, env, case.milestones)
            for values, value in zip(times[case.label], seconds, strict=True):
                values.append(value)
            memory[case.label].append(rss)
    return [
        (case.label, name, values, memory[case.label])
        for case in cases
        for (name, _), values in zip(case.milestones, times[case.label], strict=True)
    ]


async def raw_client_read(base_url: str) -> float:
    """The raw client's read of the benchmark's stream (the huge answers' baseline)."""
    return await raw_client(base_url, KEY)


def fmt(values: list[float], unit: str = "s") -> str:
    median, low, high = summary(values)
    return f"{median:.3f} {unit} ({low:.3f}–{high:.3f})"


def chat_env(home: Path, base_url: str) -> dict[str, str]:
    """The environment of a qwen-tui run configured for the benchmark's server."""
    return base_env(
        home,
        PYTHONPATH=str(ROOT),
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY=KEY,
        OPENAI_MODEL="test-model",
    )


def ratio(values: list[float], baseline: list[float], label: str) -> str:
    return f"{statistics.median(values) / statistics.median(baseline):.2f}× {label}"


def added(values: list[float], baseline: list[float], label: str) -> str:
    """The difference of the medians in milliseconds, for what qwen-tui adds."""
    difference = (statistics.median(values) - statistics.median(baseline)) * 1000
    return f"{difference:+.0f} ms vs {label}"


def compile_bytecode() -> None:
    """Compile qwen-tui's modules to bytecode first, as installing a wheel does.

    The libraries in the environment were compiled when pip installed them; qwen-tui's
    own modules in an editable install are not, and where PYTHONDONTWRITEBYTECODE is
    set (as on some CI and sandbox machines) every launch would compile ~90 modules
    from source (about 0.2 s here) — a cost no installed copy pays.
    """
    import compileall

    compileall.compile_dir(ROOT / "qwen_tui", quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--launch-runs",
        type=int,
        default=10,
        help="runs per start-up and -p case: they are short, so noise needs more of them",
    )
    parser.add_argument("--tokens", type=int, nargs="*", default=[4000, 20000])
    parser.add_argument("--messages", type=int, nargs="*", default=[50, 200])
    parser.add_argument("--skip-launch", action="store_true")
    parser.add_argument("--skip-headless", action="store_true")
    parser.add_argument(
        "--huge-runs", type=int, default=3, help="runs of the 5 MB and long-line cases (0: skip)"
    )
    parser.add_argument(
        "--tool-runs", type=int, default=5, help="runs of the coding agent's cases (0: skip)"
    )
    args = parser.parse_args()
    compile_bytecode()
    rows: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if not args.skip_launch:
            with openai_server(api_key=KEY) as server:
                launch = bench_launch(args.launch_runs, work, server.base_url)
            bare_times = launch[0][2]
            for index, (label, milestone, times, memory) in enumerate(launch):
                name = f"launch → {milestone}: {label}"
                rows.append((name, fmt(times), ratio(times, bare_times, "bare")))
                if index + 1 == len(launch) or launch[index + 1][0] != label:
                    rows.append((f"idle memory: {label}", fmt(memory, "MB"), ""))
        for messages in args.messages:
            with openai_server(api_key=KEY) as server:
                opened, memory, paging = bench_transcript(
                    args.runs,
                    work,
                    partial(chat_env, base_url=server.base_url),
                    tree_rss_mb,
                    messages=messages,
                )
            rows.append((f"{messages}-message session: launch → last message", fmt(opened), ""))
            rows.append((f"{messages}-message session: idle memory", fmt(memory, "MB"), ""))
            rows.append((f"{messages}-message session: PageUp/PageDown step", fmt(paging), ""))
        if args.tool_runs and args.messages:
            with openai_server(api_key=KEY) as server:
                opened, memory, paging = bench_transcript(
                    args.runs,
                    work,
                    partial(chat_env, base_url=server.base_url),
                    tree_rss_mb,
                    tool_calls=200,
                )
            rows.append(("200-tool-call session: launch → last message", fmt(opened), ""))
            rows.append(("200-tool-call session: idle memory", fmt(memory, "MB"), ""))
            rows.append(("200-tool-call session: PageUp/PageDown step", fmt(paging), ""))
        if not args.skip_headless:
            with openai_server(api_key=KEY, chat_pieces=answer_pieces(1000)) as server:
                env = chat_env(work / "headless", server.base_url)
                tui_first, tui_total, raw_first, raw_total = bench_headless(args.launch_runs, env)
            rows.append(
                ("-p 1,000 tokens: first byte", fmt(tui_first), added(tui_first, raw_first, "raw"))
            )
            rows.append(("-p 1,000 tokens: raw client first byte", fmt(raw_first), ""))
            rows.append(
                ("-p 1,000 tokens: total", fmt(tui_total), added(tui_total, raw_total, "raw"))
            )
            rows.append(("-p 1,000 tokens: raw client total", fmt(raw_total), ""))
        for tokens in args.tokens:
            tui, raw, bare, cpu = bench_stream(
                tokens,
                args.runs,
                work,
                KEY,
                lambda home, url: chat_env(home, url),
                tree_cpu_seconds,
            )
            rows.append(
                (f"{tokens} tokens: Enter → last word", fmt(tui), ratio(tui, bare, "socket"))
            )
            rows.append(
                (f"{tokens} tokens: raw openai client", fmt(raw), ratio(raw, bare, "socket"))
            )
            rows.append((f"{tokens} tokens: bare socket read", fmt(bare), ""))
            rows.append((f"{tokens} tokens: CPU per 1,000 tokens", fmt(cpu), ""))
        if args.huge_runs:
            for label, values, baseline, name in bench_huge(
                args.huge_runs, work, lambda url, home: chat_env(home, url), raw_client_read
            ):
                against = ratio(values, baseline, name) if baseline else ""
                rows.append((label, fmt(values), against))
        if args.tool_runs:
            agent, bare = bench_round_trip(args.tool_runs, work)
            rows.append(
                ("one tool round trip (read_file)", fmt(agent), added(agent, bare, "server"))
            )
            rows.append(("one tool round trip: the server's own time", fmt(bare), ""))
            for label, values, baseline, name in bench_search(args.tool_runs, work):
                rows.append((label, fmt(values), ratio(values, baseline, name)))
            sandboxed = bench_sandbox(args.tool_runs * 3, work)
            if sandboxed is not None:
                inside, outside = sandboxed
                rows.append(
                    (
                        "run_shell_command `true` in the sandbox",
                        fmt(inside),
                        added(inside, outside, "unsandboxed"),
                    )
                )
            recorded, plain = bench_ledger(args.tool_runs)
            rows.append(
                (
                    "one request through the network ledger",
                    fmt(recorded),
                    ratio(recorded, plain, "plain httpx"),
                )
            )
    print(
        f"\nqwen-tui benchmarks — {platform.node()} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"median of {args.runs} runs ({args.launch_runs} for start-up and -p, "
        f"{args.huge_runs} for huge answers), min–max in brackets, "
        f"{time.perf_counter() - started:.0f} s in all\n"
    )
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure'.ljust(width)} | value | vs baseline |")
    print(f"| {'-' * width} | --- | --- |")
    for name, value, against in rows:
        print(f"| {name.ljust(width)} | {value} | {against} |")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_server()
