"""A batch job's answers as LlamaIndex's ``ChatResponse`` and ``CompletionResponse``.

:meth:`ClaudeVertex.batch_chat <llama_index.llms.claude_vertex.ClaudeVertex.batch_chat>` and
:meth:`~llama_index.llms.claude_vertex.ClaudeVertex.batch_complete` return a
:class:`~claude_vertex.batch_run.BatchOutputs` list, one item per input in input order: the
response ``chat``/``complete`` would give, whose ``additional_kwargs`` also name the job
(``batch_job``) and the item's ``custom_id``, with ``cost_usd`` at batch prices; or, with
``return_exceptions=True``, the item's :class:`~claude_vertex.batch.BatchItemError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llama_index.core.base.llms.types import ChatResponse

from claude_vertex.client import read_answer

from .responses import chat_response

if TYPE_CHECKING:
    from claude_vertex.batch import BatchJob, BatchResult

__all__ = ["batch_chat_response"]


def batch_chat_response(result: BatchResult, job: BatchJob) -> ChatResponse:
    """The ``ChatResponse`` of an answered item of ``job``."""
    assert result.message is not None
    response = read_answer(
        lambda answer: chat_response(answer, region=job.region, batch=True), result.message
    )
    response.additional_kwargs["batch_job"] = job.name
    response.additional_kwargs["custom_id"] = result.custom_id
    return response
