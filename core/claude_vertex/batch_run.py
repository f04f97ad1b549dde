"""A list of requests as one batch job, answered in order: what the adapters' batch methods run.

:func:`run_batch` (and :func:`arun_batch`) take Messages API parameters, one per item, give
each a ``custom_id`` from its position, submit them as one Vertex batch prediction job
(:class:`~claude_vertex.batch.BatchClient`), wait for it, and read the results back in input
order: a :class:`BatchRun` holds one :class:`~claude_vertex.batch.BatchResult` per item (an
answer, or a typed :class:`~claude_vertex.batch.BatchItemError`), the job, and the usage and
cost of all answers at batch prices. :func:`batch_outputs` turns the results into a
:class:`BatchOutputs` list of the framework's answers (and errors), the way ``.batch()`` of
LangChain returns them; :func:`item_outcomes` and :func:`outputs_of` are its two steps, for an
adapter that reports each item's outcome (to callbacks or instrumentation) in between. A
framework adapter only maps its types to parameters and back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .batch import (
    AsyncBatchClient,
    BatchClient,
    BatchItemError,
    BatchJob,
    BatchRequest,
    BatchResult,
)
from .batch_jobs import DEFAULT_POLL_INTERVAL
from .cost import CostTotalsSnapshot
from .settings import Settings

__all__ = [
    "BatchOutputs",
    "BatchRun",
    "arun_batch",
    "batch_outputs",
    "item_id",
    "item_outcomes",
    "outputs_of",
    "run_batch",
]

_T = TypeVar("_T")


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


class BatchOutputs(list[_T]):
    """One output per input, in input order, that also carries the job and its totals.

    Attributes:
        job: the batch prediction job as it ended (``None`` for an empty input: no job ran).
        totals: tokens and US dollars of the answers, at batch prices (``None`` without a job).
    """

    def __init__(
        self,
        items: Iterable[_T] = (),
        *,
        job: BatchJob | None = None,
        totals: CostTotalsSnapshot | None = None,
    ) -> None:
        super().__init__(items)
        self.job = job
        self.totals = totals

    @property
    def cost_usd(self) -> float | None:
        """The job's cost in US dollars; ``None`` if a price is unknown (or no job ran)."""
        return None if self.totals is None else self.totals.total_cost


def item_outcomes(run: BatchRun, convert: Callable[[BatchResult], _T]) -> list[_T | Exception]:
    """Each item's answer as ``convert`` makes it, or why it has none, in input order.

    An item without an answer gives its :class:`~claude_vertex.batch.BatchItemError`; an
    answer ``convert`` fails on gives the error ``convert`` raised (a
    :class:`~claude_vertex.errors.MalformedResponseError`, say). Every item has an outcome,
    so an adapter can end each input's run (its callbacks, its span) before any is raised.
    """
    outcomes: list[_T | Exception] = []
    for result in run.results:
        if result.error is not None:
            outcomes.append(result.error)
            continue
        try:
            outcomes.append(convert(result))
        except Exception as exc:  # the item's own failure; the other items still count
            outcomes.append(exc)
    return outcomes


def outputs_of(
    run: BatchRun, outcomes: Iterable[_T | Exception], *, return_exceptions: bool
) -> BatchOutputs[_T | BatchItemError]:
    """The outputs of ``run`` from its items' outcomes (see :func:`item_outcomes`).

    A :class:`~claude_vertex.batch.BatchItemError` is put in its item's place with
    ``return_exceptions``; otherwise the first error (in input order) is raised. Any other
    error (an answer that could not be converted) is raised either way.

    Raises:
        BatchItemError: an item has no answer, unless ``return_exceptions``.
    """
    items: list[_T | BatchItemError] = []
    for outcome in outcomes:
        if isinstance(outcome, BatchItemError) and return_exceptions:
            items.append(outcome)
        elif isinstance(outcome, Exception):
            raise outcome
        else:
            items.append(outcome)
    return BatchOutputs(items, job=run.job, totals=run.totals)


def batch_outputs(
    run: BatchRun, convert: Callable[[BatchResult], _T], *, return_exceptions: bool
) -> BatchOutputs[_T | BatchItemError]:
    """Each result as ``convert`` makes it, or its error (with ``return_exceptions``).

    Without ``return_exceptions``, the first error (in input order) is raised instead.

    Raises:
        BatchItemError: an item has no answer, unless ``return_exceptions``.
    """
    return outputs_of(run, item_outcomes(run, convert), return_exceptions=return_exceptions)
