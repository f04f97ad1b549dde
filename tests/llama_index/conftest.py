"""Fixtures of the LlamaIndex adapter's tests: ``make_llm``, ``ClaudeVertex`` on the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.llama_index.support import MakeLLM


@pytest.fixture
def make_llm(vertex_emulator: VertexEmulator, vertex_key_file: Path) -> MakeLLM:
    """``ClaudeVertex`` aimed at the emulator with the service-account key, overridable."""

    def make(**overrides: Any) -> ClaudeVertex:
        options: dict[str, Any] = {
            "project": vertex_emulator.project,
            "base_url": vertex_emulator.base_url,
            "credentials": vertex_key_file,
            "max_retries": 0,
        }
        options.update(overrides)
        return ClaudeVertex(**options)

    return make
