"""Whole-system tests: both adapters under load, soak, fuzzing and bad input; examples; benchmarks.

They need every package of the workspace and the ``bench`` dependency group installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_vertex.testing import VertexEmulator


@pytest.fixture
def place(vertex_emulator: VertexEmulator, vertex_key_file: Path) -> dict[str, Any]:
    """Where both adapters' models send: the emulator, with this test's own key file.

    Its token provider is new, so its first token request is part of the test.
    """
    return {
        "project": vertex_emulator.project,
        "base_url": vertex_emulator.base_url,
        "credentials": vertex_key_file,
    }
