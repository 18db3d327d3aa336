"""Locate ``screens.tcss``: inside the installed package, or at the repository root."""

from __future__ import annotations

from pathlib import Path


def stylesheet_path() -> Path:
    """The app's stylesheet.

    The wheel ships it as ``qwen_tui/screens.tcss``; an editable install or a source
    checkout finds it at the repository root, where it is edited.
    """
    package_dir = Path(__file__).resolve().parent.parent
    shipped = package_dir / "screens.tcss"
    if shipped.is_file():
        return shipped
    return package_dir.parent / "screens.tcss"
