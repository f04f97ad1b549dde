"""Small builders shared by the tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claude_vertex import Settings, token_provider
from claude_vertex.testing import VertexEmulator

#: The ``make_settings`` fixture's type: settings aimed at the emulator, overridable.
MakeSettings = Callable[..., Settings]


def hello(**extra: Any) -> dict[str, Any]:
    """A small Messages API call."""
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hey Claude!"}],
        **extra,
    }


def secrets_of(emulator: VertexEmulator, key_file: Path) -> list[str]:
    """The private key of the key file, and the token its provider holds."""
    info = json.loads(key_file.read_text())
    key_body = info["private_key"].splitlines()[1]
    return [key_body, token_provider(key_file).token()]
