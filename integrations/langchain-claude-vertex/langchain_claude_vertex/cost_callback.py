"""Tokens and US dollars totalled over a chain or agent run, as ``get_openai_callback`` does.

Every answer of :class:`~langchain_claude_vertex.ChatClaudeVertex` carries its price in
``response_metadata["cost_usd"]`` (streamed answers on their last chunk).
:class:`VertexCostCallbackHandler` adds those up, with the tokens, for every call it sees::

    from langchain_claude_vertex import get_vertex_cost_callback

    with get_vertex_cost_callback() as cost:
        agent.invoke({"messages": [...]})
    print(cost.total_cost, cost.total_tokens)

Answers of other chat models (no ``cost_usd`` in their metadata) are not counted. An answer
whose price is unknown (a model the table does not know) makes ``total_cost`` ``None``;
``priced_cost`` still sums the answers that had a price.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook

from claude_vertex import COST_KEY, CostTotals, CostTotalsSnapshot, UsageCounts
from claude_vertex.cost import reported_cost

__all__ = ["VertexCostCallbackHandler", "get_vertex_cost_callback"]


def _usage(message: AIMessage) -> UsageCounts:
    """Claude's token counts back from LangChain's usage (whose input includes cached input)."""
    usage = message.usage_metadata
    if not usage:
        return UsageCounts()
    details = usage.get("input_token_details") or {}
    cache_read = details.get("cache_read") or 0
    cache_creation = details.get("cache_creation") or 0
    return UsageCounts(
        input_tokens=max(0, usage["input_tokens"] - cache_read - cache_creation),
        output_tokens=usage["output_tokens"],
        cache_read_input_tokens=cache_read,
        cache_creation_input_tokens=cache_creation,
    )


class VertexCostCallbackHandler(BaseCallbackHandler):
    """Totals the tokens and US dollars of every ``ChatClaudeVertex`` answer it sees.

    Pass it in ``config={"callbacks": [handler]}``, or get one from
    :func:`get_vertex_cost_callback`. Thread-safe; counts each answer once, streamed or not.
    """

    def __init__(self) -> None:
        super().__init__()
        self.totals = CostTotals()

    def __repr__(self) -> str:
        now = self.snapshot()
        cost = "unknown" if now.total_cost is None else f"${now.total_cost:.6f}"
        return (
            f"Tokens Used: {now.total_tokens}\n"
            f"\tInput Tokens: {now.input_tokens}\n"
            f"\tCache Read Tokens: {now.cache_read_input_tokens}\n"
            f"\tCache Write Tokens: {now.cache_creation_input_tokens}\n"
            f"\tOutput Tokens: {now.output_tokens}\n"
            f"Successful Requests: {now.requests}\n"
            f"Total Cost (USD): {cost}"
        )

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Count the Claude on Vertex answers of one finished model call."""
        for generations in response.generations:
            for generation in generations:
                if not isinstance(generation, ChatGeneration):
                    continue
                message = generation.message
                if isinstance(message, AIMessage) and COST_KEY in message.response_metadata:
                    cost = reported_cost(message.response_metadata[COST_KEY])
                    self.totals.add(_usage(message), cost)

    def snapshot(self) -> CostTotalsSnapshot:
        """The totals now (requests, tokens by kind, dollars)."""
        return self.totals.snapshot()

    @property
    def successful_requests(self) -> int:
        """Answers counted."""
        return self.totals.requests

    @property
    def total_tokens(self) -> int:
        """Every input token (cached or not) and every output token counted."""
        return self.totals.total_tokens

    @property
    def prompt_tokens(self) -> int:
        """Input tokens counted, cached ones included (as LangChain counts input)."""
        now = self.snapshot()
        return now.input_tokens + now.cache_read_input_tokens + now.cache_creation_input_tokens

    @property
    def completion_tokens(self) -> int:
        """Output tokens counted, thinking included."""
        return self.snapshot().output_tokens

    @property
    def total_cost(self) -> float | None:
        """US dollars of every answer counted; ``None`` if any answer's price was unknown."""
        return self.totals.total_cost

    @property
    def priced_cost(self) -> float:
        """US dollars of the answers whose price was known."""
        return self.totals.priced_cost


_current_handler: ContextVar[VertexCostCallbackHandler | None] = ContextVar(
    "langchain_claude_vertex_cost_callback", default=None
)
# Every run started while the variable holds a handler gets it as a callback, inherited by
# the run's children (the model calls of a chain or agent).
register_configure_hook(_current_handler, inheritable=True)


@contextmanager
def get_vertex_cost_callback() -> Iterator[VertexCostCallbackHandler]:
    """A context in which every LangChain run reports its Claude on Vertex answers' costs.

    Yields:
        The handler; read ``total_cost``, ``total_tokens``, ``successful_requests`` (or
        ``snapshot()``) inside the block or after it.
    """
    handler = VertexCostCallbackHandler()
    token = _current_handler.set(handler)
    try:
        yield handler
    finally:
        _current_handler.reset(token)
