"""Fixtures for the agent-framework tests: drop-in anthropic clients on the emulator.

The clients use the real service-account token flow against the emulator (its
``vertex_key_file``), like the core's tests; nothing of claude_vertex is mocked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from claude_vertex import AnthropicVertex, AsyncAnthropicVertex
from claude_vertex.testing import VertexEmulator

#: A model served on ``global`` and in regions, that no SDK release lists as deprecated.
MODEL = "claude-sonnet-4-6"


def emulator_args(emulator: VertexEmulator, key_file: Path, **overrides: Any) -> dict[str, Any]:
    """Constructor arguments of a drop-in client aimed at ``emulator``."""
    return {
        "project_id": emulator.project,
        "base_url": emulator.base_url,
        "credentials": key_file,
        "max_retries": 2,
        **overrides,
    }


@pytest.fixture
def make_dropin(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> Callable[..., AnthropicVertex]:
    """Builds a sync drop-in client on the emulator (arguments override the defaults)."""

    def make(**overrides: Any) -> AnthropicVertex:
        return AnthropicVertex(**emulator_args(vertex_emulator, vertex_key_file, **overrides))

    return make


@pytest.fixture
def make_async_dropin(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> Callable[..., AsyncAnthropicVertex]:
    """Builds an async drop-in client on the emulator (arguments override the defaults)."""

    def make(**overrides: Any) -> AsyncAnthropicVertex:
        return AsyncAnthropicVertex(**emulator_args(vertex_emulator, vertex_key_file, **overrides))

    return make


@pytest.fixture
def dropin(make_dropin: Callable[..., AnthropicVertex]) -> AnthropicVertex:
    """A sync drop-in client on the emulator."""
    return make_dropin()


@pytest.fixture
def async_dropin(make_async_dropin: Callable[..., AsyncAnthropicVertex]) -> AsyncAnthropicVertex:
    """An async drop-in client on the emulator."""
    return make_async_dropin()
