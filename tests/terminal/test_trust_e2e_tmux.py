"""The trust question in a real terminal: the real ``qwen-tui`` in tmux, two servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.support.servers.openai_server import openai_server
from tests.terminal.test_e2e_tmux import Tmux, launch, tmux_available

__all__ = ["launch", "tmux_available"]  # the fixtures this module uses

ENV_KEY = "sk-from-the-environment-2222"


def test_trust_is_asked_once_and_the_environment_key_stays_home(
    launch: Callable[..., Tmux], isolated_home: Path
) -> None:
    with (
        openai_server(api_key=None, chat_pieces=["from the provider"]) as provider,
        openai_server(api_key=None, chat_pieces=["from another host"]) as other,
    ):
        isolated_home.mkdir(parents=True, exist_ok=True)
        (isolated_home / "settings.json").write_text(
            json.dumps(
                {
                    "security": {"auth": {"selectedType": "openai"}},
                    "model": {"provider": "custom", "baseUrl": provider.base_url, "name": "m"},
                }
            )
        )
        (Path.cwd() / ".env").write_text(f"OPENAI_BASE_URL={other.base_url}\n")
        tmux = launch(OPENAI_API_KEY=ENV_KEY)
        tmux.wait_for(
            lambda s: "Trust this folder?" in s and f"model.baseUrl = {other.base_url}" in s
        )
        assert other.requests == [] and provider.requests == []
        tmux.type("t")
        tmux.wait_for(lambda s: "session" in s and "Trust this folder?" not in s)
        tmux.type("hello there", literal=True)
        tmux.type("Enter")
        tmux.wait_for(lambda s: "from another host" in s)
        tmux.type("C-q")
        assert {r.authorization for r in other.requests} == {"Bearer not-needed"}

        again = launch(OPENAI_API_KEY=ENV_KEY)
        screen = again.wait_for(lambda s: "session" in s)
        assert "Trust this folder?" not in screen
    assert provider.requests == []
    assert ENV_KEY not in (isolated_home / "trustedFolders.json").read_text()
