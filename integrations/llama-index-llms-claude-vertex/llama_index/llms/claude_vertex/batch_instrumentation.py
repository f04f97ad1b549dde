"""A batch job's requests in LlamaIndex's instrumentation, each as ``chat`` or ``complete`` shows.

:meth:`ClaudeVertex.batch_chat <llama_index.llms.claude_vertex.ClaudeVertex.batch_chat>` gives
every conversation what a ``chat`` call gives span and event handlers: a span (named
``ClaudeVertex.chat-…``, bound to the conversation and the call's arguments, a child of the
span active when ``batch_chat`` is called) and ``LLMChatStartEvent`` when the job is
submitted; when the results are read, ``LLMChatEndEvent`` with the item's ``ChatResponse``
and the span's exit, or, for an item without an answer, a ``SpanDropEvent`` and the span
dropped with its :class:`~claude_vertex.batch.BatchItemError`. ``batch_complete`` gives every
prompt what ``complete`` gives: a ``complete`` span with ``LLMCompletionStartEvent`` /
``LLMCompletionEndEvent``, around a ``chat`` span with the chat events (``complete`` goes
through ``chat``). If the job is not submitted, or not waited for to its end, every span is
dropped with that error. Handlers that total answers from ``LLMChatEndEvent`` (such as
:func:`~llama_index.llms.claude_vertex.get_vertex_cost_handler`) so count every answer of the
job once, at batch prices.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from llama_index.core.base.llms.generic_utils import (
    chat_response_to_completion_response,
    prompt_to_messages,
)
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.dispatcher import active_instrument_tags
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.instrumentation.events.span import SpanDropEvent
from llama_index.core.instrumentation.span import active_span_id
from llama_index.core.llms.llm import LLM

__all__ = ["BatchSpans"]

dispatcher = get_dispatcher(__name__)

_Response = TypeVar("_Response", ChatResponse, CompletionResponse)
_Response_co = TypeVar("_Response_co", ChatResponse, CompletionResponse, covariant=True)


@dataclass(frozen=True)
class _Span:
    """One open span: what a ``dispatcher.span``-decorated call of ``method`` would open."""

    llm: LLM
    id: str
    bound_args: inspect.BoundArguments

    @classmethod
    def enter(
        cls, llm: LLM, method: str, parent_id: str | None, *args: Any, **kwargs: Any
    ) -> _Span:
        bound_args = inspect.signature(getattr(llm, method)).bind(*args, **kwargs)
        span = cls(llm, f"{type(llm).__name__}.{method}-{uuid.uuid4()}", bound_args)
        dispatcher.span_enter(
            id_=span.id,
            bound_args=bound_args,
            instance=llm,
            parent_id=parent_id,
            tags=active_instrument_tags.get(),
        )
        return span

    def exit(self, result: Any) -> None:
        dispatcher.span_exit(
            id_=self.id, bound_args=self.bound_args, instance=self.llm, result=result
        )

    def drop(self, error: BaseException) -> None:
        dispatcher.event(SpanDropEvent(span_id=self.id, err_str=str(error)))
        dispatcher.span_drop(id_=self.id, bound_args=self.bound_args, instance=self.llm, err=error)


class _Item(Protocol[_Response_co]):
    def end(self, response: ChatResponse) -> _Response_co: ...

    def drop(self, error: BaseException) -> None: ...


class _ChatItem:
    """A conversation's ``chat`` span and events."""

    def __init__(
        self,
        llm: LLM,
        messages: Sequence[ChatMessage],
        kwargs: dict[str, Any],
        parent_id: str | None,
    ) -> None:
        self.messages = list(messages)
        self.span = _Span.enter(llm, "chat", parent_id, messages, **kwargs)
        dispatcher.event(
            LLMChatStartEvent(
                model_dict=llm.to_payload(),
                messages=self.messages,
                additional_kwargs=kwargs,
                span_id=self.span.id,
            )
        )

    def end(self, response: ChatResponse) -> ChatResponse:
        dispatcher.event(
            LLMChatEndEvent(messages=self.messages, response=response, span_id=self.span.id)
        )
        self.span.exit(response)
        return response

    def drop(self, error: BaseException) -> None:
        self.span.drop(error)


class _CompletionItem:
    """A prompt's ``complete`` span and events, around its ``chat`` (as ``complete`` runs)."""

    def __init__(
        self, llm: LLM, prompt: str, kwargs: dict[str, Any], parent_id: str | None
    ) -> None:
        self.prompt = prompt
        self.span = _Span.enter(llm, "complete", parent_id, prompt, **kwargs)
        dispatcher.event(
            LLMCompletionStartEvent(
                model_dict=llm.to_payload(),
                prompt=prompt,
                additional_kwargs=kwargs,
                span_id=self.span.id,
            )
        )
        self.chat = _ChatItem(llm, prompt_to_messages(prompt), kwargs, self.span.id)

    def end(self, response: ChatResponse) -> CompletionResponse:
        completion = chat_response_to_completion_response(self.chat.end(response))
        dispatcher.event(
            LLMCompletionEndEvent(prompt=self.prompt, response=completion, span_id=self.span.id)
        )
        self.span.exit(completion)
        return completion

    def drop(self, error: BaseException) -> None:
        self.chat.drop(error)
        self.span.drop(error)


class BatchSpans(Generic[_Response]):
    """The spans of a batch job's requests, one per request, in input order."""

    def __init__(self, items: Sequence[_Item[_Response]]) -> None:
        self.items: Sequence[_Item[_Response]] = items

    @staticmethod
    def chats(
        llm: LLM, conversations: Sequence[Sequence[ChatMessage]], kwargs: dict[str, Any]
    ) -> BatchSpans[ChatResponse]:
        """Open a ``chat`` span per conversation, with its ``LLMChatStartEvent``."""
        parent = active_span_id.get()
        return BatchSpans[ChatResponse](
            [_ChatItem(llm, each, kwargs, parent) for each in conversations]
        )

    @staticmethod
    def completions(
        llm: LLM, prompts: Sequence[str], kwargs: dict[str, Any]
    ) -> BatchSpans[CompletionResponse]:
        """Open a ``complete`` span per prompt, its ``chat`` span inside, with their starts."""
        parent = active_span_id.get()
        return BatchSpans[CompletionResponse](
            [_CompletionItem(llm, each, kwargs, parent) for each in prompts]
        )

    @contextmanager
    def dropping_on_error(self) -> Iterator[None]:
        """Drop every span with the error that leaves the block (the job never answered)."""
        try:
            yield
        except BaseException as exc:
            for item in self.items:
                item.drop(exc)
            raise

    def end(self, outcomes: Sequence[ChatResponse | Exception]) -> list[_Response | Exception]:
        """End each request's spans with its outcome; the responses (or errors) in order."""
        ended: list[_Response | Exception] = []
        for item, outcome in zip(self.items, outcomes, strict=True):
            if isinstance(outcome, Exception):
                item.drop(outcome)
                ended.append(outcome)
            else:
                ended.append(item.end(outcome))
        return ended
