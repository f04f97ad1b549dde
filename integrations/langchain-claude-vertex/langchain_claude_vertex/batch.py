"""A batch job's answers as LangChain's ``AIMessage`` s.

:meth:`ChatClaudeVertex.batch_job <langchain_claude_vertex.ChatClaudeVertex.batch_job>`
returns a :class:`~claude_vertex.batch_run.BatchOutputs` list, one item per input in input
order: the ``AIMessage`` that ``invoke`` would give, with ``response_metadata`` naming the job
(``batch_job``) and the item's ``custom_id``, and ``cost_usd`` at batch prices; or, with
``return_exceptions=True``, the item's :class:`~claude_vertex.batch.BatchItemError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatResult

from claude_vertex.client import read_answer

from .responses import chat_result

if TYPE_CHECKING:
    from claude_vertex.batch import BatchJob, BatchResult

__all__ = ["batch_chat_result", "batch_message"]


def batch_chat_result(result: BatchResult, job: BatchJob) -> ChatResult:
    """The ``ChatResult`` of an answered item of ``job``, as ``invoke``'s call would make it."""
    assert result.message is not None
    answered = read_answer(
        lambda answer: chat_result(
            answer, model_name=job.model_id, region=job.region, request_id=None, batch=True
        ),
        result.message,
    )
    message = batch_message(answered)
    message.response_metadata["batch_job"] = job.name
    message.response_metadata["custom_id"] = result.custom_id
    return answered


def batch_message(answered: ChatResult) -> AIMessage:
    """The ``AIMessage`` of an item's ``ChatResult`` (see :func:`batch_chat_result`)."""
    message = answered.generations[0].message
    assert isinstance(message, AIMessage)
    return message
