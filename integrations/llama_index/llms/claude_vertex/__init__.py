"""LlamaIndex integration for Claude on Vertex AI (``ClaudeVertex``).

The LLM class arrives with the LlamaIndex adapter; this package already installs with the
``llama-index`` extra and shares the core in :mod:`claude_vertex`.
"""

from __future__ import annotations

__all__: list[str] = []
