"""Benchmarks for qwen-tui, run with ``make bench``; results go to docs/performance.md."""
