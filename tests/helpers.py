"""Small builders shared by the tests."""

from __future__ import annotations

from typing import Any


def hello(**extra: Any) -> dict[str, Any]:
    """A small Messages API call."""
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hey Claude!"}],
        **extra,
    }
