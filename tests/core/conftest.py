"""The core's tests: only ``claude-vertex[testing]`` and the test tools need be installed.

Nothing under ``tests/core`` imports LangChain or LlamaIndex, so ``pytest tests/core`` proves the
core stands alone. The fixtures ``make_settings`` and ``client`` come from ``tests/conftest.py``;
the emulator's (``vertex_emulator``, ``vertex_key_file``) from the package's own pytest plugin.
"""
