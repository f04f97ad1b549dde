"""LangChain integration for Claude on Google Vertex AI.

``ChatClaudeVertex`` is a LangChain chat model built on the shared :mod:`claude_vertex` core::

    from langchain_claude_vertex import ChatClaudeVertex

    llm = ChatClaudeVertex(model="claude-sonnet-4-5")
    llm.invoke("Hey Claude!")

Each answer's price is in ``response_metadata["cost_usd"]``; ``get_vertex_cost_callback()``
totals tokens and dollars over a run.
"""

from __future__ import annotations

from ._version import __version__
from .chat_models import ChatClaudeVertex
from .cost_callback import VertexCostCallbackHandler, get_vertex_cost_callback
from .payload import ThinkingConflictWarning
from .tools import convert_to_anthropic_tool

__all__ = [
    "ChatClaudeVertex",
    "ThinkingConflictWarning",
    "VertexCostCallbackHandler",
    "__version__",
    "convert_to_anthropic_tool",
    "get_vertex_cost_callback",
]
