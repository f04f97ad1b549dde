"""Tokens and US dollars totalled over a LlamaIndex pipeline, through its instrumentation.

Every answer of :class:`~llama_index.llms.claude_vertex.ClaudeVertex` carries its price in
``additional_kwargs["cost_usd"]`` (streamed answers on every chunk, final on the last).
:class:`VertexCostEventHandler` is an instrumentation event handler that adds up the prices
and tokens of the answers that end (``LLMChatEndEvent``; ``complete`` goes through ``chat``,
so each call counts once)::

    from llama_index.llms.claude_vertex import get_vertex_cost_handler

    with get_vertex_cost_handler() as cost:
        query_engine.query("...")
    print(cost.total_cost, cost.total_tokens)

Answers of other LLMs (no ``cost_usd``) are not counted. An answer whose price is unknown
(a model the table does not know) makes ``total_cost`` ``None``; ``priced_cost`` still sums
the answers that had a price.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent
from pydantic import PrivateAttr

from claude_vertex import COST_KEY, CostTotals, CostTotalsSnapshot, usage_counts
from claude_vertex.cost import reported_cost

__all__ = ["VertexCostEventHandler", "get_vertex_cost_handler"]


class VertexCostEventHandler(BaseEventHandler):
    """Totals the tokens and US dollars of every ``ClaudeVertex`` answer that ends.

    Add it to a dispatcher (``get_dispatcher().add_event_handler(handler)``; the root one
    sees every LLM's events), or get one registered for a block from
    :func:`get_vertex_cost_handler`. Thread-safe.
    """

    _totals: CostTotals = PrivateAttr(default_factory=CostTotals)

    @classmethod
    def class_name(cls) -> str:
        """The handler's name in LlamaIndex's registry."""
        return "VertexCostEventHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Count a Claude on Vertex answer when its chat call ends; ignore other events."""
        if not isinstance(event, LLMChatEndEvent) or event.response is None:
            return
        details = event.response.additional_kwargs
        if COST_KEY in details:
            self._totals.add(
                usage_counts(details.get("usage") or {}), reported_cost(details[COST_KEY])
            )

    def snapshot(self) -> CostTotalsSnapshot:
        """The totals now (requests, tokens by kind, dollars)."""
        return self._totals.snapshot()

    def reset(self) -> None:
        """Start again from zero."""
        self._totals.reset()

    @property
    def requests(self) -> int:
        """Answers counted."""
        return self._totals.requests

    @property
    def total_tokens(self) -> int:
        """Every input token (cached or not) and every output token counted."""
        return self._totals.total_tokens

    @property
    def total_cost(self) -> float | None:
        """US dollars of every answer counted; ``None`` if any answer's price was unknown."""
        return self._totals.total_cost

    @property
    def priced_cost(self) -> float:
        """US dollars of the answers whose price was known."""
        return self._totals.priced_cost


@contextmanager
def get_vertex_cost_handler(dispatcher_name: str = "root") -> Iterator[VertexCostEventHandler]:
    """A handler on LlamaIndex's ``dispatcher_name`` dispatcher for the length of the block.

    The root dispatcher (the default) sees the events of every LLM in the process, in every
    thread: run one pipeline at a time under it for a per-pipeline total.

    Yields:
        The handler; read ``total_cost``, ``total_tokens``, ``requests`` (or ``snapshot()``)
        inside the block or after it.
    """
    dispatcher = get_dispatcher(dispatcher_name)
    handler = VertexCostEventHandler()
    dispatcher.add_event_handler(handler)
    try:
        yield handler
    finally:
        handlers = dispatcher.event_handlers
        for index, registered in enumerate(handlers):
            if registered is handler:
                del handlers[index]
                break
