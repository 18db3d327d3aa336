"""The account: the settings of one run, every change to them, and sign-in.

Imports no textual: the TUI and the command line use the same :class:`Account`, so a
setting is written, checked and announced the same way from both. Importing it does
not import pydantic (only a settings update needs it), so the app can import it before
its first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qwen_tui.account.changes import ChangeSignal, SettingsChange
from qwen_tui.account.run import Account
from qwen_tui.account.signin import (
    AskFileStore,
    FileStoreDeclined,
    can_keep_secrets,
    import_qwen_code,
    keep_secret,
    sign_in_with_key,
    sign_in_with_qwen,
    sign_out_key,
    sign_out_qwen,
)

if TYPE_CHECKING:
    from qwen_tui.account.updates import SettingRefused


def __getattr__(name: str) -> object:
    """``SettingRefused`` on first use: its module imports pydantic."""
    if name != "SettingRefused":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from qwen_tui.account.updates import SettingRefused

    globals()[name] = SettingRefused
    return SettingRefused


__all__ = [
    "Account",
    "AskFileStore",
    "ChangeSignal",
    "FileStoreDeclined",
    "SettingRefused",
    "SettingsChange",
    "can_keep_secrets",
    "import_qwen_code",
    "keep_secret",
    "sign_in_with_key",
    "sign_in_with_qwen",
    "sign_out_key",
    "sign_out_qwen",
]
