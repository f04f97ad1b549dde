"""A batch job's inputs as LangChain runs: callbacks see each input start and end.

:meth:`ChatClaudeVertex.batch_job <langchain_claude_vertex.ChatClaudeVertex.batch_job>`
reports to callbacks (tracers, LangSmith,
:func:`~langchain_claude_vertex.get_vertex_cost_callback`) what ``.batch()`` reports: one chat
model run per input, configured from the input's ``RunnableConfig`` (callbacks, tags,
metadata, ``run_name``, ``run_id``) the way ``BaseChatModel.generate`` configures a call, with
the same invocation parameters and ``ls_*`` metadata. Every run starts
(``on_chat_model_start``) when the job is submitted and ends when the job's results are read:
``on_llm_end`` with the input's ``LLMResult`` (its ``ChatGeneration``, usage and cost at batch
prices), or ``on_llm_error`` with the reason it has no answer (its ``BatchItemError``). If the
job is not submitted, or not waited for to its end, every run ends with that error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models._utils import _filter_invocation_params_for_tracing
from langchain_core.language_models.chat_models import _format_for_tracing
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult, LLMResult
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list

from .batch import batch_message

__all__ = ["AsyncBatchCallbacks", "BatchCallbacks", "Outcome"]

#: An input's outcome: its answer, or why it has none.
Outcome = ChatResult | Exception

_Manager = TypeVar("_Manager", CallbackManager, AsyncCallbackManager)


@dataclass(frozen=True)
class _Runs:
    """What the runs of one job share, and how each is configured (as ``generate`` does)."""

    model: BaseChatModel
    messages: Sequence[list[BaseMessage]]
    stop: list[str] | None
    params: dict[str, Any]
    ls_metadata: Mapping[str, Any]

    @classmethod
    def of(
        cls,
        model: BaseChatModel,
        messages: Sequence[list[BaseMessage]],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
    ) -> _Runs:
        return cls(
            model,
            messages,
            stop,
            model._get_invocation_params(stop=stop, **kwargs),
            model._get_ls_params_with_defaults(stop=stop, **kwargs),
        )

    def manager(self, manager_class: type[_Manager], config: RunnableConfig) -> _Manager:
        """The callback manager of one input's run, from its config and the model's own."""
        model = self.model
        return manager_class.configure(
            config.get("callbacks"),
            model.callbacks,
            model.verbose,
            config.get("tags"),
            model.tags,
            {**(config.get("metadata") or {}), **self.ls_metadata},
            model.metadata,
            langsmith_inheritable_metadata=_filter_invocation_params_for_tracing(self.params),
        )

    def starts(
        self,
        manager_class: type[_Manager],
        config: RunnableConfig | Sequence[RunnableConfig] | None,
    ) -> Iterator[tuple[_Manager, dict[str, Any]]]:
        """Each input's callback manager and ``on_chat_model_start`` arguments.

        One config per input, as ``.batch()`` reads them (a ``run_id`` goes to the first).

        Raises:
            ValueError: a list of configs whose length is not the inputs'.
        """
        configs = get_config_list(config, len(self.messages))
        for conversation, each in zip(self.messages, configs, strict=True):
            yield (
                self.manager(manager_class, each),
                {
                    "serialized": self.model._serialized,
                    "messages": [_format_for_tracing(conversation)],
                    "invocation_params": self.params,
                    "options": {"stop": self.stop},
                    "name": each.get("run_name"),
                    "run_id": each.get("run_id"),
                    "batch_size": len(self.messages),
                },
            )


def _answers(outcomes: Sequence[Outcome]) -> list[AIMessage | Exception]:
    return [o if isinstance(o, Exception) else batch_message(o) for o in outcomes]


def _no_result() -> LLMResult:
    return LLMResult(generations=[])


def _llm_result(answered: ChatResult) -> LLMResult:
    """What ``generate`` gives ``on_llm_end`` for one call's ``ChatResult``."""
    return LLMResult(generations=[list(answered.generations)], llm_output=answered.llm_output)


class BatchCallbacks:
    """The chat model runs of a batch job's inputs, one per input, in input order."""

    def __init__(self, runs: list[CallbackManagerForLLMRun]) -> None:
        self.runs = runs

    @classmethod
    def start(
        cls,
        model: BaseChatModel,
        messages: Sequence[list[BaseMessage]],
        config: RunnableConfig | Sequence[RunnableConfig] | None,
        *,
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
    ) -> BatchCallbacks:
        """Start one run per input (``on_chat_model_start``), each with its own config.

        Raises:
            ValueError: a list of configs whose length is not the inputs'.
        """
        runs = _Runs.of(model, messages, stop, kwargs)
        return cls(
            [
                manager.on_chat_model_start(**arguments)[0]
                for manager, arguments in runs.starts(CallbackManager, config)
            ]
        )

    @contextmanager
    def ending_on_error(self) -> Iterator[None]:
        """End every run with the error that leaves the block (the job never answered)."""
        try:
            yield
        except BaseException as exc:
            for run in self.runs:
                run.on_llm_error(exc, response=_no_result())
            raise

    def end(self, outcomes: Sequence[Outcome]) -> list[AIMessage | Exception]:
        """End each input's run with its outcome; the answers (or errors) in input order."""
        for run, outcome in zip(self.runs, outcomes, strict=True):
            if isinstance(outcome, Exception):
                run.on_llm_error(outcome, response=_no_result())
            else:
                run.on_llm_end(_llm_result(outcome))
        return _answers(outcomes)


class AsyncBatchCallbacks:
    """The async form of :class:`BatchCallbacks` (async callback managers, awaited)."""

    def __init__(self, runs: list[AsyncCallbackManagerForLLMRun]) -> None:
        self.runs = runs

    @classmethod
    async def start(
        cls,
        model: BaseChatModel,
        messages: Sequence[list[BaseMessage]],
        config: RunnableConfig | Sequence[RunnableConfig] | None,
        *,
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
    ) -> AsyncBatchCallbacks:
        """Start one run per input, as :meth:`BatchCallbacks.start` does."""
        runs = _Runs.of(model, messages, stop, kwargs)
        return cls(
            [
                (await manager.on_chat_model_start(**arguments))[0]
                for manager, arguments in runs.starts(AsyncCallbackManager, config)
            ]
        )

    @asynccontextmanager
    async def ending_on_error(self) -> AsyncIterator[None]:
        """End every run with the error that leaves the block (the job never answered)."""
        try:
            yield
        except BaseException as exc:
            for run in self.runs:
                await run.on_llm_error(exc, response=_no_result())
            raise

    async def end(self, outcomes: Sequence[Outcome]) -> list[AIMessage | Exception]:
        """End each input's run with its outcome; the answers (or errors) in input order."""
        for run, outcome in zip(self.runs, outcomes, strict=True):
            if isinstance(outcome, Exception):
                await run.on_llm_error(outcome, response=_no_result())
            else:
                await run.on_llm_end(_llm_result(outcome))
        return _answers(outcomes)
