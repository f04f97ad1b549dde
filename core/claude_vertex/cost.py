"""What one answer cost, in US dollars, and running totals over many answers.

The price of an answer follows from three facts: its usage (:func:`~claude_vertex.usage_counts`),
the model's :class:`~claude_vertex.Pricing` in the model table, and the endpoint that answered
(regional and multi-region endpoints carry the model's ``regional_multiplier``, ``global``
does not). Cache reads and writes are priced as such; 1-hour cache writes at the 1-hour price.

Costs are ``float`` US dollars. Where a fact is missing (a model the table does not know or
has no prices for, or no answering region) the cost is ``None``, never a guess.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from anthropic.types import Message

from .models import ModelInfo, resolve_model
from .usage import UsageCounts, usage_counts

__all__ = [
    "BATCH_PRICE_FACTOR",
    "COST_KEY",
    "CostTotals",
    "CostTotalsSnapshot",
    "cost_of",
    "reported_cost",
    "usage_cost",
]

#: The key under which the adapters report an answer's cost (LangChain's
#: ``response_metadata``, LlamaIndex's ``additional_kwargs``).
COST_KEY = "cost_usd"
#: What a batch prediction job's tokens cost against the same tokens in online calls: half
#: (Anthropic prices its Message Batches at 50%, and Google lists Claude batch prediction on
#: Vertex at 50% of the online price). Whether the regional premium applies on top of it is
#: unconfirmed; :func:`usage_cost` applies both.
BATCH_PRICE_FACTOR = 0.5


def _cache_writes(usage: UsageCounts) -> tuple[int, int]:
    """The cache writes of ``usage`` as (5-minute, 1-hour) tokens.

    Without a breakdown every write is a 5-minute one (Vertex's default lifetime); with one,
    the 1-hour writes are those it names and the rest of the total are 5-minute writes.
    """
    one_hour = usage.ephemeral_1h_input_tokens or 0
    five_minutes = max(
        usage.cache_creation_input_tokens - one_hour, usage.ephemeral_5m_input_tokens or 0, 0
    )
    return five_minutes, one_hour


def usage_cost(
    usage: UsageCounts, *, model: str | ModelInfo | None, region: str | None, batch: bool = False
) -> float | None:
    """The price in US dollars of ``usage`` answered by ``model`` on ``region``.

    Args:
        usage: the answer's token counts.
        model: the model that answered, in any id form, or its table row.
        region: the endpoint that answered (``global``, ``us``, ``eu`` or a region).
        batch: the answer came from a batch prediction job (:data:`BATCH_PRICE_FACTOR`).

    Returns:
        The cost, or ``None`` when the model, its prices or the region are unknown.
    """
    if not model or not region:
        return None
    info = model if isinstance(model, ModelInfo) else resolve_model(model)
    if not info.known or info.pricing is None:
        return None
    five_minutes, one_hour = _cache_writes(usage)
    factor = BATCH_PRICE_FACTOR if batch else 1.0
    return factor * info.pricing.cost(
        region=region,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=five_minutes,
        cache_creation_1h_input_tokens=one_hour,
        cache_read_input_tokens=usage.cache_read_input_tokens,
    )


def cost_of(message: Message, *, region: str | None = None) -> float | None:
    """The price in US dollars of one answer (a ``VertexMessage``, streamed or not).

    The model is the message's ``model`` and the region the one that answered (the
    message's ``vertex_region``) unless ``region`` is given. ``None`` when either is unknown
    or the model table has no prices for the model.
    """
    answered = region or getattr(message, "vertex_region", None)
    return usage_cost(usage_counts(message.usage), model=message.model, region=answered)


def reported_cost(value: object) -> float | None:
    """A cost read back from an answer's metadata (``COST_KEY``); ``None`` if not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


@dataclass(frozen=True)
class CostTotalsSnapshot:
    """The totals of a :class:`CostTotals` at one moment.

    Attributes:
        requests: answers counted.
        unpriced_requests: of those, answers whose cost was unknown.
        input_tokens: uncached input.
        output_tokens: output, thinking included.
        cache_read_input_tokens: input read from the prompt cache.
        cache_creation_input_tokens: input written to the prompt cache.
        priced_cost: US dollars of the answers whose cost was known.
    """

    requests: int = 0
    unpriced_requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    priced_cost: float = 0.0

    @property
    def total_tokens(self) -> int:
        """Every input token (cached or not) and every output token."""
        return (
            self.input_tokens
            + self.cache_read_input_tokens
            + self.cache_creation_input_tokens
            + self.output_tokens
        )

    @property
    def total_cost(self) -> float | None:
        """US dollars of every answer counted; ``None`` if any answer's cost was unknown."""
        return None if self.unpriced_requests else self.priced_cost


class CostTotals:
    """Thread-safe running totals of tokens and US dollars over many answers.

    The LangChain and LlamaIndex cost handlers keep one each; :meth:`add` counts an answer,
    :meth:`snapshot` reads the totals. A total over answers of which one had no known price
    is ``None`` (:attr:`total_cost`), while :attr:`priced_cost` sums those that had one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = CostTotalsSnapshot()

    def add(self, usage: UsageCounts, cost: float | None) -> None:
        """Count one answer's usage and cost (``None``: unknown)."""
        with self._lock:
            now = self._totals
            self._totals = CostTotalsSnapshot(
                requests=now.requests + 1,
                unpriced_requests=now.unpriced_requests + (cost is None),
                input_tokens=now.input_tokens + usage.input_tokens,
                output_tokens=now.output_tokens + usage.output_tokens,
                cache_read_input_tokens=now.cache_read_input_tokens + usage.cache_read_input_tokens,
                cache_creation_input_tokens=now.cache_creation_input_tokens
                + usage.cache_creation_input_tokens,
                priced_cost=now.priced_cost + (cost or 0.0),
            )

    def reset(self) -> None:
        """Start again from zero."""
        with self._lock:
            self._totals = CostTotalsSnapshot()

    def snapshot(self) -> CostTotalsSnapshot:
        """The totals now."""
        with self._lock:
            return self._totals

    @property
    def requests(self) -> int:
        """Answers counted."""
        return self.snapshot().requests

    @property
    def total_tokens(self) -> int:
        """Every input and output token counted."""
        return self.snapshot().total_tokens

    @property
    def priced_cost(self) -> float:
        """US dollars of the answers whose cost was known."""
        return self.snapshot().priced_cost

    @property
    def total_cost(self) -> float | None:
        """US dollars of every answer counted; ``None`` if any answer's cost was unknown."""
        return self.snapshot().total_cost
