"""Fixtures of the LangChain adapter's tests: ChatClaudeVertex on the emulator, a media server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex

from .support import MODEL, MediaServer


@pytest.fixture(scope="session")
def media_server() -> Iterator[MediaServer]:
    """A loopback HTTP server for images and documents referenced by URL."""
    server = MediaServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def langchain_key_file(
    vertex_emulator_session: VertexEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One service-account key for every LangChain test, so they share one token provider."""
    path = tmp_path_factory.mktemp("langchain") / "vertex-service-account.json"
    return vertex_emulator_session.write_service_account_key(path)


@pytest.fixture
def emulator_params(vertex_emulator: VertexEmulator, langchain_key_file: Path) -> dict[str, Any]:
    """``ChatClaudeVertex`` arguments aimed at the (freshly reset) emulator."""
    return {
        "model": MODEL,
        "project": vertex_emulator.project,
        "base_url": vertex_emulator.base_url,
        "credentials": str(langchain_key_file),
    }


@pytest.fixture
def make_chat(emulator_params: dict[str, Any]) -> Callable[..., ChatClaudeVertex]:
    """Build a ``ChatClaudeVertex`` on the emulator, with overrides."""

    def make(**overrides: Any) -> ChatClaudeVertex:
        return ChatClaudeVertex(**{**emulator_params, **overrides})

    return make


@pytest.fixture
def chat(make_chat: Callable[..., ChatClaudeVertex]) -> ChatClaudeVertex:
    """A ``ChatClaudeVertex`` on the emulator with default settings."""
    return make_chat()
