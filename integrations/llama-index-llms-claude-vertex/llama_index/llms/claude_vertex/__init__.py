"""LlamaIndex integration for Claude on Google Vertex AI.

    from llama_index.llms.claude_vertex import ClaudeVertex

    llm = ClaudeVertex(model="claude-sonnet-4-5")
    print(llm.complete("Hey Claude!").text)

``ClaudeVertex`` is a LlamaIndex ``FunctionCallingLLM`` on the shared core in
:mod:`claude_vertex`, which owns settings, credentials, endpoints, retries and model facts.
Each answer's price is in ``additional_kwargs["cost_usd"]``; ``get_vertex_cost_handler()``
totals tokens and dollars over a pipeline.
"""

from __future__ import annotations

from ._version import __version__
from .base import DEFAULT_MODEL, ClaudeVertex
from .cost_handler import VertexCostEventHandler, get_vertex_cost_handler
from .tools import ForcedToolChoiceWarning

__all__ = [
    "DEFAULT_MODEL",
    "ClaudeVertex",
    "ForcedToolChoiceWarning",
    "VertexCostEventHandler",
    "__version__",
    "get_vertex_cost_handler",
]
