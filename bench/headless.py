"""``qwen-tui -p``: time to the first byte of the answer and to the end, against a
script that asks the same server with the raw ``openai`` client.

Both run as fresh processes, so both pay for starting Python and importing the SDK;
the difference is what qwen-tui adds (settings, provider resolution, its own SSE path).
"""

from __future__ import annotations

import subprocess
import sys
import time

RAW_SCRIPT = """
import asyncio, os, sys
from openai import AsyncOpenAI

async def main():
    client = AsyncOpenAI(api_key=os.environ["OPENAI_API_KEY"],
                         base_url=os.environ["OPENAI_BASE_URL"], max_retries=0)
    stream = await client.chat.completions.create(
        model=os.environ["OPENAI_MODEL"], messages=[{"role": "user", "content": "go"}],
        stream=True)
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            sys.stdout.write(chunk.choices[0].delta.content)
            sys.stdout.flush()
    await client.close()

asyncio.run(main())
"""


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from start to the first byte on stdout, and to the process's end."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert process.stdout is not None
    first = process.stdout.read(1)
    first_byte = time.perf_counter() - started
    rest = process.stdout.read()
    process.wait()
    total = time.perf_counter() - started
    if process.returncode != 0 or not (first + rest):
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{command[:3]} failed ({process.returncode}): {error}")
    if process.stderr is not None:
        process.stderr.close()
    return first_byte, total


def bench_headless(
    runs: int, env: dict[str, str]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """First byte and total for ``qwen-tui -p`` and for the raw client, interleaved."""
    tui_first, tui_total, raw_first, raw_total = [], [], [], []
    for _ in range(runs):
        first, total = timed_process([sys.executable, "-c", RAW_SCRIPT], env)
        raw_first.append(first)
        raw_total.append(total)
        first, total = timed_process([sys.executable, "-m", "qwen_tui", "-p", "go"], env)
        tui_first.append(first)
        tui_total.append(total)
    return tui_first, tui_total, raw_first, raw_total
