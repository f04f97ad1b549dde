"""The core's tests: only ``claude-vertex[testing]`` and the test tools need be installed.

Nothing under ``tests/core`` imports LangChain or LlamaIndex, so ``pytest tests/core`` proves the
core stands alone. The fixtures ``make_settings`` and ``client`` come from ``tests/conftest.py``;
the emulator's (``vertex_emulator``, ``vertex_key_file``) from the package's own pytest plugin.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def cloud_storage() -> None:
    """Skip where google-cloud-storage (the ``batch`` extra) is not installed.

    The core-only suite (tests/system/test_packaging.py) installs ``claude-vertex[testing]``
    alone: there, batch jobs can be refused and checked, but not staged.
    """
    pytest.importorskip("google.cloud.storage", reason="the batch extra is not installed")
