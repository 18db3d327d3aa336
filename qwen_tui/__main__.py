"""``python -m qwen_tui``: the same as the ``qwen-tui`` command."""

from qwen_tui.cli import main

raise SystemExit(main())
