"""ChatClaudeVertex.batch_job: many inputs as one Vertex batch prediction job, on the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate

from claude_vertex import usage_cost, usage_counts
from claude_vertex.batch import BatchItemError
from claude_vertex.errors import ConfigurationError
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex

REGION = "us-east5"
STAGING = "gs://langchain-batch/jobs"
FAST = 0.05  # seconds between reads of the job: the emulator answers in moments


def answers(results: list[AIMessage | BatchItemError]) -> list[AIMessage]:
    """The items, each checked to be an answer."""
    checked = [item for item in results if isinstance(item, AIMessage)]
    assert len(checked) == len(results)
    return checked


@pytest.fixture
def batch_chat(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> ChatClaudeVertex:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    return make_chat(region=REGION, max_tokens=64)


def test_ten_thousand_inputs_come_back_in_order_as_ai_messages(
    batch_chat: ChatClaudeVertex,
) -> None:
    inputs = [f"Question {i}" for i in range(10_000)]
    results = batch_chat.batch_job(inputs, staging=STAGING, poll_interval=FAST, timeout=300)
    assert len(results) == 10_000
    messages = answers(results)
    assert [item.content for item in messages[:3]] == [
        "Hello! You said: Question 0",
        "Hello! You said: Question 1",
        "Hello! You said: Question 2",
    ]
    assert messages[9_999].content == "Hello! You said: Question 9999"
    assert results.job is not None
    assert results.job.state.value == "JOB_STATE_SUCCEEDED"
    assert results.totals is not None
    assert results.totals.requests == 10_000
    assert results.cost_usd == pytest.approx(
        sum(item.response_metadata["cost_usd"] for item in messages)
    )


def test_an_answer_carries_usage_the_job_and_cost_at_batch_prices(
    batch_chat: ChatClaudeVertex,
) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    inputs: list[LanguageModelInput] = [
        "a string",
        [SystemMessage("Be brief."), HumanMessage("a message list")],
        prompt.invoke({"q": "a prompt value"}),
    ]
    results = batch_chat.batch_job(inputs, staging=STAGING, poll_interval=FAST)
    assert [item.content for item in answers(results)] == [
        "Hello! You said: a string",
        "Hello! You said: a message list",
        "Hello! You said: a prompt value",
    ]
    message = results[1]
    assert isinstance(message, AIMessage)
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] > 0
    metadata = message.response_metadata
    assert results.job is not None
    assert metadata["batch_job"] == results.job.name
    assert metadata["custom_id"] == "item-1"
    assert metadata["region"] == REGION
    online = usage_cost(usage_counts(metadata["usage"]), model=metadata["model"], region=REGION)
    assert online is not None
    assert metadata["cost_usd"] == pytest.approx(online / 2)


def test_failed_items_are_typed_errors_in_place_or_raised(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-1"])
    inputs = ["first", "second", "third"]
    results = batch_chat.batch_job(
        inputs, staging=STAGING, poll_interval=FAST, return_exceptions=True
    )
    assert isinstance(results[0], AIMessage)
    assert isinstance(results[2], AIMessage)
    error = results[1]
    assert isinstance(error, BatchItemError)
    assert (error.custom_id, error.error_type) == ("item-1", "overloaded_error")
    vertex_emulator.fail_batch_lines(["item-2"])  # item-1 still fails too: the first is raised
    with pytest.raises(BatchItemError, match="'item-1'"):
        batch_chat.batch_job(inputs, staging=STAGING, poll_interval=FAST)


def test_a_region_that_runs_no_batch_jobs_is_refused_before_any_io(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError, match="global"):
        batch_chat.batch_job(["hi"], staging=STAGING, region="global")
    assert vertex_emulator.requests == []


def test_no_inputs_make_no_job(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    results = batch_chat.batch_job([], staging=STAGING)
    assert results == []
    assert results.job is None
    assert results.cost_usd is None
    assert vertex_emulator.requests == []


async def test_the_async_form_returns_the_same(batch_chat: ChatClaudeVertex) -> None:
    results = await batch_chat.abatch_job(
        ["one", "two"], staging=STAGING, poll_interval=FAST, max_tokens=32
    )
    assert [item.content for item in answers(results)] == [
        "Hello! You said: one",
        "Hello! You said: two",
    ]
    assert results.cost_usd is not None
    assert results.cost_usd > 0
