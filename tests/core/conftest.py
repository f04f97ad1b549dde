"""The core's tests: only ``claude-vertex[testing]`` and the test tools need be installed.

Nothing under ``tests/core`` imports LangChain or LlamaIndex, so ``pytest tests/core`` proves the
core stands alone. The fixtures ``make_settings`` and ``client`` come from ``tests/conftest.py``;
the emulator's (``vertex_emulator``, ``vertex_key_file``) from the package's own pytest plugin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_vertex.testing import VertexEmulator


@pytest.fixture
def at_emulator(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> VertexEmulator:
    """The emulator, with the process environment pointing at it as `environ()` says.

    What a user's shell holds after ``export``-ing what ``claude-vertex emulator`` prints:
    commands run in the test process (``main([...])``) configure themselves from it.
    """
    for name, value in vertex_emulator.environ(vertex_key_file).items():
        monkeypatch.setenv(name, value)
    return vertex_emulator
