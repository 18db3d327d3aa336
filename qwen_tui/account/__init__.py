"""The account: the settings of one run, every change to them, and sign-in.

Imports no textual: the TUI and the command line use the same :class:`Account`, so a
setting is written, checked and announced the same way from both.
"""

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
from qwen_tui.account.updates import SettingRefused

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
