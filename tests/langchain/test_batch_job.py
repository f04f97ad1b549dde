"""ChatClaudeVertex.batch_job: many inputs as one Vertex batch prediction job, on the emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableConfig

from claude_vertex import usage_cost, usage_counts
from claude_vertex.batch import BatchItemError, JobTimeoutError
from claude_vertex.errors import ConfigurationError
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex, get_vertex_cost_callback

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


# -- callbacks: each input is a run ------------------------------------------------------------
@dataclass
class Run:
    """What a handler saw of one run."""

    messages: list[BaseMessage]
    tags: list[str]
    metadata: dict[str, Any]
    details: dict[str, Any]
    end: LLMResult | None = None
    error: BaseException | None = None


class Recorder(BaseCallbackHandler):
    """Every chat model run it sees, by run id, in the order they started."""

    raise_error = True  # its checks fail the call instead of being logged

    def __init__(self) -> None:
        self.runs: dict[UUID, Run] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        (conversation,) = messages
        self.runs[run_id] = Run(conversation, tags or [], metadata or {}, kwargs)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        assert self.runs[run_id].end is None  # a run ends once
        assert self.runs[run_id].error is None
        self.runs[run_id].end = response

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        assert self.runs[run_id].end is None  # a run ends once
        assert self.runs[run_id].error is None
        self.runs[run_id].error = error

    def ordered(self) -> list[Run]:
        return list(self.runs.values())


class AsyncRecorder(AsyncCallbackHandler):
    """:class:`Recorder` for the async callback manager."""

    raise_error = True

    def __init__(self) -> None:
        self.sync = Recorder()

    async def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self.sync.on_chat_model_start(*args, **kwargs)

    async def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.sync.on_llm_end(response, **kwargs)

    async def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.sync.on_llm_error(error, **kwargs)


def ended_with(run: Run) -> AIMessage:
    """The answer a run ended with, checked to be one ``on_llm_end`` of one generation."""
    assert run.error is None
    assert run.end is not None
    ((generation,),) = run.end.generations
    assert isinstance(generation, ChatGeneration)
    assert isinstance(generation.message, AIMessage)
    return generation.message


def test_each_input_is_a_run_that_starts_and_ends_with_its_answer(
    batch_chat: ChatClaudeVertex,
) -> None:
    recorder = Recorder()
    config: RunnableConfig = {
        "callbacks": [recorder],
        "tags": ["nightly"],
        "metadata": {"team": "support"},
        "run_name": "classify",
    }
    inputs = ["first", "second", "third"]
    results = batch_chat.batch_job(inputs, config, staging=STAGING, poll_interval=FAST)
    runs = recorder.ordered()
    assert [run.messages[-1].content for run in runs] == inputs
    ended = [ended_with(run) for run in runs]
    assert ended == answers(results)
    assert [message.response_metadata["custom_id"] for message in ended] == [
        "item-0",
        "item-1",
        "item-2",
    ]
    for run in runs:
        assert "nightly" in run.tags
        assert run.metadata["team"] == "support"
        assert run.metadata["ls_provider"] == "google_vertexai"
        assert run.metadata["ls_model_name"] == batch_chat.model
        assert run.metadata["ls_max_tokens"] == 64
        assert run.details["name"] == "classify"
        assert run.details["batch_size"] == 3
        assert run.end is not None
        assert run.end.llm_output == {
            "id": ended_with(run).id,
            "model_name": ended_with(run).response_metadata["model_name"],
        }


def test_a_batch_run_carries_what_an_invoke_run_carries(batch_chat: ChatClaudeVertex) -> None:
    online, batched = Recorder(), Recorder()
    batch_chat.invoke("hi", {"callbacks": [online], "tags": ["t"]}, temperature=0.5)
    batch_chat.batch_job(
        ["hi"],
        {"callbacks": [batched], "tags": ["t"]},
        staging=STAGING,
        poll_interval=FAST,
        temperature=0.5,
    )
    (invoked,), (queued,) = online.ordered(), batched.ordered()
    assert queued.messages == invoked.messages
    assert queued.tags == invoked.tags
    assert queued.metadata == invoked.metadata
    assert queued.details["invocation_params"] == invoked.details["invocation_params"]
    assert queued.details["invocation_params"]["temperature"] == 0.5
    assert queued.details["options"] == invoked.details["options"]
    assert ended_with(queued).content == ended_with(invoked).content


def test_one_config_per_input_reaches_its_own_run(batch_chat: ChatClaudeVertex) -> None:
    recorder = Recorder()
    run_ids = [uuid4() for _ in range(3)]
    configs: list[RunnableConfig] = [
        {"callbacks": [recorder], "tags": [f"input-{i}"], "run_id": run_ids[i]} for i in range(3)
    ]
    batch_chat.batch_job(["a", "b", "c"], configs, staging=STAGING, poll_interval=FAST)
    assert list(recorder.runs) == run_ids
    assert [run.tags for run in recorder.ordered()] == [["input-0"], ["input-1"], ["input-2"]]
    assert [ended_with(run).content for run in recorder.ordered()] == [
        "Hello! You said: a",
        "Hello! You said: b",
        "Hello! You said: c",
    ]
    with pytest.raises(ValueError, match="same length"):
        batch_chat.batch_job(["a", "b"], configs, staging=STAGING)


def test_a_failed_line_ends_its_run_with_its_error_even_when_raised(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-1"])
    recorder = Recorder()
    results = batch_chat.batch_job(
        ["first", "second", "third"],
        {"callbacks": [recorder]},
        staging=STAGING,
        poll_interval=FAST,
        return_exceptions=True,
    )
    first, second, third = recorder.ordered()
    assert second.end is None
    assert second.error is results[1]
    assert isinstance(second.error, BatchItemError)
    assert [ended_with(first), ended_with(third)] == [results[0], results[2]]

    vertex_emulator.fail_batch_lines(["item-0"])  # item-1 still fails: item-0's is raised
    raised = Recorder()
    with pytest.raises(BatchItemError, match="'item-0'"):
        batch_chat.batch_job(
            ["first", "second", "third"],
            {"callbacks": [raised]},
            staging=STAGING,
            poll_interval=FAST,
        )
    first, second, third = raised.ordered()
    assert isinstance(first.error, BatchItemError)
    assert isinstance(second.error, BatchItemError)
    assert (first.error.custom_id, second.error.custom_id) == ("item-0", "item-1")
    assert ended_with(third).content == "Hello! You said: third"


def test_a_job_that_is_not_submitted_ends_every_run_with_the_error(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    recorder = Recorder()
    with pytest.raises(ConfigurationError, match="global") as refused:
        batch_chat.batch_job(
            ["one", "two"], {"callbacks": [recorder]}, staging=STAGING, region="global"
        )
    assert vertex_emulator.requests == []
    assert [run.error for run in recorder.ordered()] == [refused.value, refused.value]
    assert all(run.end is None for run in recorder.ordered())


def test_a_job_not_waited_for_to_its_end_ends_every_run_with_the_timeout(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.hold_batch_jobs()
    recorder = Recorder()
    with pytest.raises(JobTimeoutError):
        batch_chat.batch_job(
            ["one"], {"callbacks": [recorder]}, staging=STAGING, poll_interval=FAST, timeout=0.2
        )
    (run,) = recorder.ordered()
    assert isinstance(run.error, JobTimeoutError)


def test_the_cost_callback_totals_the_job_at_batch_prices(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-7"])
    with get_vertex_cost_callback() as cost:
        results = batch_chat.batch_job(
            [f"Question {i}" for i in range(20)],
            staging=STAGING,
            poll_interval=FAST,
            return_exceptions=True,
        )
    assert results.totals is not None
    assert results.totals.requests == 19
    assert cost.successful_requests == 19
    assert cost.total_tokens == results.totals.total_tokens
    assert cost.total_cost == pytest.approx(results.totals.total_cost)
    online = sum(
        usage_cost(
            usage_counts(m.response_metadata["usage"]),
            model=m.response_metadata["model"],
            region=REGION,
        )
        or 0
        for m in results
        if isinstance(m, AIMessage)
    )
    assert cost.total_cost == pytest.approx(online / 2)


async def test_the_async_form_reports_each_input_to_async_handlers(
    batch_chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-2"])
    recorder = AsyncRecorder()
    with get_vertex_cost_callback() as cost:
        results = await batch_chat.abatch_job(
            ["one", "two", "three"],
            {"callbacks": [recorder], "metadata": {"run": "async"}},
            staging=STAGING,
            poll_interval=FAST,
            return_exceptions=True,
        )
    one, two, three = recorder.sync.ordered()
    assert [ended_with(one), ended_with(two)] == [results[0], results[1]]
    assert three.error is results[2]
    assert {run.metadata["run"] for run in (one, two, three)} == {"async"}
    assert results.totals is not None
    assert cost.successful_requests == 2
    assert cost.total_cost == pytest.approx(results.totals.total_cost)

    refused = AsyncRecorder()
    with pytest.raises(ConfigurationError):
        await batch_chat.abatch_job(
            ["one"], {"callbacks": [refused]}, staging=STAGING, region="global"
        )
    (run,) = refused.sync.ordered()
    assert isinstance(run.error, ConfigurationError)
