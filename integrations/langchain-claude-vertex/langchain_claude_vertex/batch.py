"""A batch job's results as LangChain gives ``.batch()``'s: ``AIMessage`` s and exceptions.

:class:`BatchJobResults` is what :meth:`ChatClaudeVertex.batch_job
<langchain_claude_vertex.ChatClaudeVertex.batch_job>` returns: a list with one item per
input, in input order (an ``AIMessage``, or the item's
:class:`~claude_vertex.batch.BatchItemError` when ``return_exceptions=True``), that also
carries the job and its totals. Each message is what ``invoke`` would give, with
``response_metadata`` naming the job and the item's ``custom_id``, and ``cost_usd`` at batch
prices.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from langchain_core.messages import AIMessage

from claude_vertex.client import read_answer

from .responses import chat_result

if TYPE_CHECKING:
    from claude_vertex.batch import BatchJob
    from claude_vertex.batch_run import BatchRun
    from claude_vertex.cost import CostTotalsSnapshot

__all__ = ["BatchJobResults", "batch_job_results"]


class BatchJobResults(list[AIMessage | Exception]):
    """One ``AIMessage`` (or exception) per input, in input order, with the job's facts.

    Attributes:
        job: the batch prediction job as it ended (``None`` for an empty input: no job).
        totals: tokens and US dollars of the answers, at batch prices (``None`` without a job).
    """

    def __init__(
        self,
        items: Iterable[AIMessage | Exception] = (),
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


def _message(run: BatchRun, index: int) -> AIMessage | Exception:
    result = run.results[index]
    if result.message is None:
        assert result.error is not None
        return result.error
    answered = read_answer(
        lambda answer: chat_result(
            answer,
            model_name=run.job.model_id,
            region=run.job.region,
            request_id=None,
            batch=True,
        ),
        result.message,
    )
    message = answered.generations[0].message
    assert isinstance(message, AIMessage)
    message.response_metadata["batch_job"] = run.job.name
    message.response_metadata["custom_id"] = result.custom_id
    return message


def batch_job_results(run: BatchRun, *, return_exceptions: bool) -> BatchJobResults:
    """The run's items as LangChain types; without ``return_exceptions``, the first error raises.

    Raises:
        BatchItemError: an item has no answer (its error), unless ``return_exceptions``.
    """
    items = [_message(run, index) for index in range(len(run.results))]
    if not return_exceptions:
        for item in items:
            if isinstance(item, Exception):
                raise item
    return BatchJobResults(items, job=run.job, totals=run.totals)
