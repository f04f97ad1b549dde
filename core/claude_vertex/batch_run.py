"""A list of requests as one batch job, answered in order: what the adapters' batch methods run.

:func:`run_batch` (and :func:`arun_batch`) take Messages API parameters, one per item, give
each a ``custom_id`` from its position, submit them as one Vertex batch prediction job
(:class:`~claude_vertex.batch.BatchClient`), wait for it, and read the results back in input
order: a :class:`BatchRun` holds one :class:`~claude_vertex.batch.BatchResult` per item (an
answer, or a typed :class:`~claude_vertex.batch.BatchItemError`), the job, and the usage and
cost of all answers at batch prices. A framework adapter only maps its types to parameters
and the results back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .batch import AsyncBatchClient, BatchClient, BatchJob, BatchRequest, BatchResult
from .batch_jobs import DEFAULT_POLL_INTERVAL
from .cost import CostTotalsSnapshot
from .settings import Settings

__all__ = ["BatchRun", "arun_batch", "item_id", "run_batch"]


def item_id(position: int) -> str:
    """The ``custom_id`` of the item at ``position`` (from 0) of a list run as one job."""
    return f"item-{position}"


@dataclass(frozen=True)
class BatchRun:
    """A finished job and its results, one per item, in the items' order.

    Attributes:
        job: the job as it ended.
        results: the outcome of each item, in input order.
        totals: tokens and US dollars of the answers (at batch prices).
    """

    job: BatchJob
    results: list[BatchResult]
    totals: CostTotalsSnapshot

    @property
    def cost_usd(self) -> float | None:
        """The job's cost in US dollars; ``None`` if an answer's price is unknown."""
        return self.totals.total_cost


def _requests(items: Sequence[Mapping[str, Any]]) -> Iterator[BatchRequest]:
    for position, params in enumerate(items):
        yield BatchRequest(custom_id=item_id(position), params=params, line=position + 1)


def run_batch(
    settings: Settings,
    items: Sequence[Mapping[str, Any]],
    *,
    model: str,
    staging: str,
    region: str | None = None,
    display_name: str | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    timeout: float | None = None,
) -> BatchRun:
    """Run ``items`` (Messages API parameters) as one job of ``model``; wait; read in order.

    Args:
        settings: project, credentials and base URL.
        items: one request's parameters each (``model`` may be left out).
        model: the job's model.
        staging: ``gs://bucket/prefix`` for the job's input and outputs.
        region: where the job runs (default: the settings' region; it must run batch jobs).
        display_name: the job's name in the console.
        poll_interval: seconds between two reads of the job while it runs.
        timeout: seconds to wait for the job at most (``None``: as long as it takes).

    Raises:
        ConfigurationError: region, model or staging refused (before any I/O).
        BatchInputError: an item Vertex would refuse (before any upload); it names the item.
        JobTimeoutError: the job did not end within ``timeout`` (it goes on).
        VertexAPIError: Vertex refused the job.
    """
    with BatchClient(settings, region=region) as client:
        job = client.submit(
            _requests(items), model=model, staging=staging, display_name=display_name
        )
        job = client.wait(job, poll_interval=poll_interval, timeout=timeout)
        results = client.results(job, in_order=True)
        return BatchRun(job, list(results), results.totals)


async def arun_batch(
    settings: Settings,
    items: Sequence[Mapping[str, Any]],
    *,
    model: str,
    staging: str,
    region: str | None = None,
    display_name: str | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    timeout: float | None = None,
) -> BatchRun:
    """The async form of :func:`run_batch`: the same steps, none of them blocking the loop."""
    client = AsyncBatchClient(settings, region=region)
    try:
        job = await client.submit(
            list(_requests(items)), model=model, staging=staging, display_name=display_name
        )
        job = await client.wait(job, poll_interval=poll_interval, timeout=timeout)
        results = await client.results(job, in_order=True)
        ordered = [result async for result in results]
        return BatchRun(job, ordered, results.totals)
    finally:
        await client.close()
