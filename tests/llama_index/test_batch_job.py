"""ClaudeVertex.batch_chat and batch_complete: many requests as one Vertex batch job."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse

from claude_vertex import usage_cost, usage_counts
from claude_vertex.batch import BatchItemError
from claude_vertex.errors import ConfigurationError
from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.llama_index.support import MakeLLM

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
