"""ClaudeVertex.batch_chat and batch_complete: many requests as one Vertex batch job."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.dispatcher import instrument_tags
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.instrumentation.events.span import SpanDropEvent
from llama_index.core.instrumentation.span import SimpleSpan
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler

from claude_vertex import usage_cost, usage_counts
from claude_vertex.batch import BatchItemError
from claude_vertex.errors import ConfigurationError
from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex import ClaudeVertex, get_vertex_cost_handler
from tests.llama_index.support import MakeLLM

_Event = TypeVar("_Event", bound=BaseEvent)

REGION = "us-east5"
STAGING = "gs://llama-batch/jobs"
FAST = 0.05  # seconds between reads of the job: the emulator answers in moments


@pytest.fixture
def llm(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> ClaudeVertex:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    return make_llm(region=REGION, max_tokens=64)


def chats(results: list[ChatResponse | BatchItemError]) -> list[ChatResponse]:
    checked = [item for item in results if isinstance(item, ChatResponse)]
    assert len(checked) == len(results)
    return checked


def test_ten_thousand_conversations_come_back_in_order(llm: ClaudeVertex) -> None:
    conversations = [[ChatMessage(role="user", content=f"Question {i}")] for i in range(10_000)]
    results = llm.batch_chat(conversations, staging=STAGING, poll_interval=FAST, timeout=300)
    responses = chats(results)
    assert len(responses) == 10_000
    assert [r.message.content for r in responses[:2]] == [
        "Hello! You said: Question 0",
        "Hello! You said: Question 1",
    ]
    assert responses[9_999].message.content == "Hello! You said: Question 9999"
    assert responses[5].additional_kwargs["custom_id"] == "item-5"
    assert results.job is not None
    assert responses[5].additional_kwargs["batch_job"] == results.job.name
    assert results.totals is not None
    assert results.totals.requests == 10_000
    assert results.cost_usd == pytest.approx(
        sum(r.additional_kwargs["cost_usd"] for r in responses)
    )


def test_an_answer_is_priced_at_batch_prices(llm: ClaudeVertex) -> None:
    (response,) = chats(
        llm.batch_chat(
            [
                [
                    ChatMessage(role="system", content="Be brief."),
                    ChatMessage(role="user", content="Hi"),
                ]
            ],
            staging=STAGING,
            poll_interval=FAST,
        )
    )
    details = response.additional_kwargs
    assert details["region"] == REGION
    online = usage_cost(usage_counts(details["usage"]), model=details["model"], region=REGION)
    assert online is not None
    assert details["cost_usd"] == pytest.approx(online / 2)


def test_prompts_come_back_as_completions_and_failures_as_typed_errors(
    llm: ClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-0"])
    results = llm.batch_complete(
        ["first", "second"], staging=STAGING, poll_interval=FAST, return_exceptions=True
    )
    error, completion = results
    assert isinstance(error, BatchItemError)
    assert (error.custom_id, error.error_type) == ("item-0", "overloaded_error")
    assert isinstance(completion, CompletionResponse)
    assert completion.text == "Hello! You said: second"
    with pytest.raises(BatchItemError, match="'item-0'"):
        llm.batch_complete(["first", "second"], staging=STAGING, poll_interval=FAST)


def test_a_region_that_runs_no_batch_jobs_is_refused_before_any_io(
    llm: ClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError, match="global"):
        llm.batch_complete(["hi"], staging=STAGING, region="global")
    assert vertex_emulator.requests == []


async def test_the_async_forms(llm: ClaudeVertex) -> None:
    chat_results = await llm.abatch_chat(
        [[ChatMessage(role="user", content="one")]], staging=STAGING, poll_interval=FAST
    )
    assert [r.message.content for r in chats(chat_results)] == ["Hello! You said: one"]
    completions = await llm.abatch_complete(["two"], staging=STAGING, poll_interval=FAST)
    (completion,) = completions
    assert isinstance(completion, CompletionResponse)
    assert completion.text == "Hello! You said: two"
    assert completions.cost_usd is not None
    assert await llm.abatch_complete([], staging=STAGING) == []


# -- instrumentation: each request is a chat (or complete) call ---------------------------------
class Events(BaseEventHandler):
    """Every event the root dispatcher sees."""

    events: list[BaseEvent] = Field(default_factory=list)

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    def of(self, kind: type[_Event]) -> list[_Event]:
        return [event for event in self.events if isinstance(event, kind)]

    def kinds(self, span_ids: set[str]) -> list[str]:
        return [type(e).__name__ for e in self.events if e.span_id in span_ids]


class Spans(SimpleSpanHandler):
    """Spans as SimpleSpanHandler keeps them, with their arguments, results and errors."""

    arguments: dict[str, dict[str, Any]] = Field(default_factory=dict)
    results: dict[str, Any] = Field(default_factory=dict)
    errors: dict[str, BaseException | None] = Field(default_factory=dict)

    def new_span(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        parent_span_id: str | None = None,
        tags: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SimpleSpan:
        self.arguments[id_] = dict(bound_args.arguments)
        return super().new_span(id_, bound_args, instance, parent_span_id, tags, **kwargs)

    def prepare_to_exit_span(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        result: Any | None = None,
        **kwargs: Any,
    ) -> SimpleSpan:
        self.results[id_] = result
        return super().prepare_to_exit_span(id_, bound_args, instance, result, **kwargs)

    def prepare_to_drop_span(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        err: BaseException | None = None,
        **kwargs: Any,
    ) -> SimpleSpan | None:
        self.errors[id_] = err
        return super().prepare_to_drop_span(id_, bound_args, instance, err, **kwargs)

    def parent(self, span_id: str) -> str | None:
        (span,) = [s for s in self.completed_spans + self.dropped_spans if s.id_ == span_id]
        return span.parent_id


@dataclass
class Seen:
    events: Events
    spans: Spans


@pytest.fixture
def seen() -> Iterator[Seen]:
    """What the root dispatcher's handlers see during the test."""
    root = get_dispatcher()
    recorded = Seen(Events(), Spans())
    root.add_event_handler(recorded.events)
    root.add_span_handler(recorded.spans)
    yield recorded
    root.event_handlers.remove(recorded.events)
    root.span_handlers.remove(recorded.spans)


def conversation(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def test_each_conversation_is_a_chat_span_with_its_start_and_end_events(
    llm: ClaudeVertex, seen: Seen
) -> None:
    conversations = [conversation(text) for text in ("first", "second", "third")]
    with instrument_tags({"run": "nightly"}):
        results = llm.batch_chat(conversations, staging=STAGING, poll_interval=FAST)
    starts, ends = seen.events.of(LLMChatStartEvent), seen.events.of(LLMChatEndEvent)
    assert [start.messages for start in starts] == conversations
    assert [end.response for end in ends] == chats(results)
    assert all(end.response is result for end, result in zip(ends, results, strict=True))
    span_ids = [start.span_id for start in starts]
    assert [end.span_id for end in ends] == span_ids
    assert len(set(span_ids)) == 3
    for span_id, response in zip(span_ids, results, strict=True):
        assert span_id is not None
        assert span_id.startswith("ClaudeVertex.chat-")
        assert seen.spans.results[span_id] is response
    assert all(event.tags == {"run": "nightly"} for event in starts + ends)
    assert seen.spans.dropped_spans == []


def test_a_batch_request_shows_what_a_chat_call_shows(llm: ClaudeVertex, seen: Seen) -> None:
    llm.chat(conversation("hi"), temperature=0.5)
    (online,) = seen.events.of(LLMChatStartEvent)
    online_span = online.span_id
    assert online_span is not None
    llm.batch_chat([conversation("hi")], staging=STAGING, poll_interval=FAST, temperature=0.5)
    _, queued = seen.events.of(LLMChatStartEvent)
    assert queued.span_id is not None
    assert queued.model_dict == online.model_dict
    assert queued.additional_kwargs == online.additional_kwargs == {"temperature": 0.5}
    assert seen.spans.arguments[queued.span_id] == seen.spans.arguments[online_span]
    assert seen.events.kinds({queued.span_id}) == seen.events.kinds({online_span})


def test_a_failed_line_drops_its_span_with_its_error(
    llm: ClaudeVertex, vertex_emulator: VertexEmulator, seen: Seen
) -> None:
    vertex_emulator.fail_batch_lines(["item-1"])
    results = llm.batch_chat(
        [conversation(text) for text in ("first", "second", "third")],
        staging=STAGING,
        poll_interval=FAST,
        return_exceptions=True,
    )
    first, second, third = (start.span_id for start in seen.events.of(LLMChatStartEvent))
    assert second is not None
    assert [end.span_id for end in seen.events.of(LLMChatEndEvent)] == [first, third]
    assert seen.spans.errors == {second: results[1]}
    assert isinstance(results[1], BatchItemError)
    (dropped,) = seen.events.of(SpanDropEvent)
    assert dropped.span_id == second
    assert dropped.err_str == str(results[1])


def test_each_prompt_is_a_complete_span_around_a_chat_span(
    llm: ClaudeVertex, vertex_emulator: VertexEmulator, seen: Seen
) -> None:
    llm.complete("online")
    online_spans = {event.span_id for event in seen.events.events if event.span_id}
    online = seen.events.kinds(online_spans)
    vertex_emulator.fail_batch_lines(["item-1"])
    results = llm.batch_complete(
        ["first", "second"], staging=STAGING, poll_interval=FAST, return_exceptions=True
    )
    completion_starts = seen.events.of(LLMCompletionStartEvent)[1:]
    chat_starts = seen.events.of(LLMChatStartEvent)[1:]
    assert [start.prompt for start in completion_starts] == ["first", "second"]
    for completion, chat in zip(completion_starts, chat_starts, strict=True):
        assert completion.span_id is not None
        assert chat.span_id is not None
        assert completion.span_id.startswith("ClaudeVertex.complete-")
        assert seen.spans.parent(chat.span_id) == completion.span_id
    first = {completion_starts[0].span_id or "", chat_starts[0].span_id or ""}
    assert seen.events.kinds(first) == online
    (completion_end,) = seen.events.of(LLMCompletionEndEvent)[1:]
    assert completion_end.response is results[0]
    assert isinstance(results[1], BatchItemError)
    assert set(seen.spans.errors.values()) == {results[1]}
    assert set(seen.spans.errors) == {completion_starts[1].span_id, chat_starts[1].span_id}


def test_a_job_that_is_not_submitted_drops_every_span(
    llm: ClaudeVertex, vertex_emulator: VertexEmulator, seen: Seen
) -> None:
    with pytest.raises(ConfigurationError, match="global") as refused:
        llm.batch_chat([conversation("one"), conversation("two")], staging=STAGING, region="global")
    assert vertex_emulator.requests == []
    assert len(seen.events.of(LLMChatStartEvent)) == 2
    assert seen.events.of(LLMChatEndEvent) == []
    assert list(seen.spans.errors.values()) == [refused.value, refused.value]
    assert seen.spans.completed_spans == []


def test_the_cost_handler_totals_the_job_at_batch_prices(
    llm: ClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-3"])
    with get_vertex_cost_handler() as cost:
        results = llm.batch_chat(
            [conversation(f"Question {i}") for i in range(20)],
            staging=STAGING,
            poll_interval=FAST,
            return_exceptions=True,
        )
    assert results.totals is not None
    assert results.totals.requests == cost.requests == 19
    assert cost.total_tokens == results.totals.total_tokens
    assert cost.total_cost == pytest.approx(results.totals.total_cost)
    online = sum(
        usage_cost(
            usage_counts(r.additional_kwargs["usage"]),
            model=r.additional_kwargs["model"],
            region=REGION,
        )
        or 0
        for r in results
        if isinstance(r, ChatResponse)
    )
    assert cost.total_cost == pytest.approx(online / 2)
    with get_vertex_cost_handler() as completions:
        prompts = llm.batch_complete(["a", "b", "c"], staging=STAGING, poll_interval=FAST)
    assert completions.requests == 3  # once per prompt, though complete goes through chat
    assert completions.total_cost == pytest.approx(prompts.cost_usd)


async def test_the_async_forms_report_each_request(
    llm: ClaudeVertex, vertex_emulator: VertexEmulator, seen: Seen
) -> None:
    vertex_emulator.fail_batch_lines(["item-0"])
    with get_vertex_cost_handler() as cost:
        chat_results = await llm.abatch_chat(
            [conversation("one"), conversation("two")],
            staging=STAGING,
            poll_interval=FAST,
            return_exceptions=True,
        )
        completions = await llm.abatch_complete(
            ["three", "four"], staging=STAGING, poll_interval=FAST, return_exceptions=True
        )
    chat_failure, chat_answer = chat_results
    prompt_failure, completion = completions
    assert isinstance(chat_failure, BatchItemError)
    assert isinstance(prompt_failure, BatchItemError)
    chat_end, completion_chat_end = seen.events.of(LLMChatEndEvent)
    assert chat_end.response is chat_answer
    assert isinstance(completion, CompletionResponse)
    assert completion_chat_end.response is not None
    assert completion_chat_end.response.message.content == completion.text
    (completion_end,) = seen.events.of(LLMCompletionEndEvent)
    assert completion_end.response is completion
    assert list(seen.spans.errors.values()) == [chat_failure, prompt_failure, prompt_failure]
    assert cost.requests == 2
    assert chat_results.totals is not None
    assert completions.totals is not None
    assert cost.total_cost == pytest.approx(
        (chat_results.totals.total_cost or 0) + (completions.totals.total_cost or 0)
    )
