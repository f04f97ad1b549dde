"""LangChain integration for Claude on Vertex AI (``ChatClaudeVertex``).

The chat model itself arrives with the LangChain adapter; this package already installs with
the ``langchain`` extra and shares the core in :mod:`claude_vertex`.
"""

from __future__ import annotations

__all__: list[str] = []
