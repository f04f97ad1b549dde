"""Chat, completion and streaming through ClaudeVertex, sync and async, on the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from anthropic.types import Message
from llama_index.core.base.llms.types import ChatMessage, TextBlock
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)

from claude_vertex import (
    OverloadedError,
    PromptTooLongError,
    QuotaExhaustedError,
    VertexBetaWarning,
    VertexMessage,
)
from claude_vertex.testing import Fault, VertexEmulator
from tests.llama_index.support import MakeLLM

MODEL_PATH = "/v1/projects/test-project/locations/global/publishers/anthropic/models/"
USAGE_KEYS = {
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
}


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


class _Recorder(BaseEventHandler):
    events: list[BaseEvent] = []

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def instrumentation() -> Iterator[list[BaseEvent]]:
    dispatcher = get_dispatcher()
    recorder = _Recorder(events=[])
    dispatcher.add_event_handler(recorder)
    yield recorder.events
    dispatcher.event_handlers.remove(recorder)


def test_chat_sends_a_vertex_request_and_answers(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    response = make_llm().chat(user("Hey Claude!"))
    assert response.message.role == "assistant"
    assert response.message.content == "Hello! You said: Hey Claude!"
    (sent,) = vertex_emulator.requests
    assert sent.path == MODEL_PATH + "claude-sonnet-4-5@20250929:rawPredict"
    assert sent.body == {
        "max_tokens": 64_000,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hey Claude!"}]}],
        "anthropic_version": "vertex-2023-10-16",
    }


def test_answers_report_usage_stop_reason_region_and_request_id(make_llm: MakeLLM) -> None:
    response = make_llm().chat(user("Hey Claude!"))
    details = response.additional_kwargs
    assert set(details["usage"]) == USAGE_KEYS
    assert details["usage"]["input_tokens"] > 0
    assert details["usage"]["output_tokens"] > 0
    assert details["stop_reason"] == "end_turn"
    assert details["region"] == "global"
    assert details["model"] == "claude-sonnet-4-5-20250929"
    assert isinstance(response.raw, VertexMessage)
    assert details["request_id"] == response.raw.request_id
    assert details["message_id"] == response.raw.id


def test_sampling_options_and_extra_parameters_reach_the_wire(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(
        model="claude-haiku-4-5",
        max_tokens=300,
        temperature=0.3,
        top_p=0.9,
        top_k=7,
        stop_sequences=["STOP"],
        additional_kwargs={"metadata": {"user_id": "u-1"}},
    )
    llm.chat(user("Hey Claude!"), temperature=0.5, service_tier="auto")
    body = vertex_emulator.requests[0].body
    assert vertex_emulator.requests[0].path.endswith("claude-haiku-4-5@20251001:rawPredict")
    assert body["max_tokens"] == 300
    assert (body["temperature"], body["top_p"], body["top_k"]) == (0.5, 0.9, 7)
    assert body["stop_sequences"] == ["STOP"]
    assert body["metadata"] == {"user_id": "u-1"}
    assert body["service_tier"] == "auto"


def test_output_config_and_betas_merge_across_options_and_calls(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(model="claude-opus-4-6", effort="low", betas=["context-1m-2025-08-07"])
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    with pytest.warns(VertexBetaWarning, match="prompt-caching"):
        response = llm.chat(
            user("Capital of France?"),
            betas=["prompt-caching-2024-07-31"],
            output_config={"format": {"type": "json_schema", "schema": schema}},
        )
    body = vertex_emulator.requests[0].body
    assert body["output_config"] == {
        "effort": "low",
        "format": {"type": "json_schema", "schema": schema},
    }
    assert body["anthropic_beta"] == ["context-1m-2025-08-07"]
    assert response.message.content == '{"city": "example"}'


def test_a_stop_sequence_ends_the_answer_and_is_reported(make_llm: MakeLLM) -> None:
    response = make_llm(stop_sequences=["said"]).chat(user("Hey Claude!"))
    assert response.message.content == "Hello! You "
    assert response.additional_kwargs["stop_reason"] == "stop_sequence"
    assert response.additional_kwargs["stop_sequence"] == "said"


def test_system_messages_become_the_system_prompt(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(system_prompt="Be brief.")
    llm.chat(user("one"))
    llm.chat(
        [
            ChatMessage(role="system", content="Be kind."),
            *user("two"),
            ChatMessage(role="assistant", content="Sure."),
            ChatMessage(role="developer", content="Answer in English."),
            *user("three"),
        ]
    )
    first, second = (r.body for r in vertex_emulator.requests)
    assert first["system"] == [{"type": "text", "text": "Be brief."}]
    assert second["system"] == [
        {"type": "text", "text": "Be kind."},
        {"type": "text", "text": "Answer in English."},
    ]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]


def test_a_final_assistant_message_prefills_the_answer_without_trailing_space(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    response = make_llm().chat(
        [*user("Count to three."), ChatMessage(role="assistant", content="One, two, ")]
    )
    assert response.additional_kwargs["stop_reason"] == "end_turn"
    assert vertex_emulator.requests[0].body["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "One, two,"}],
    }


def test_stream_chat_yields_the_answer_so_far_and_ends_with_the_whole_message(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    chunks = list(make_llm().stream_chat(user("Hey there Claude!")))
    assert "".join(c.delta or "" for c in chunks) == "Hello! You said: Hey there Claude!"
    assert [c.message.content for c in chunks[:2]] == ["Hello! ", "Hello! You "]
    last = chunks[-1]
    assert last.delta == ""
    assert last.message.content == "Hello! You said: Hey there Claude!"
    assert isinstance(last.raw, Message)
    assert last.raw.content[0].type == "text"
    assert last.additional_kwargs["stop_reason"] == "end_turn"
    assert last.additional_kwargs["region"] == "global"
    assert last.additional_kwargs["request_id"].startswith("req_vrtx_")
    assert vertex_emulator.requests[0].route == "stream"


def test_streamed_and_whole_answers_report_the_same_usage(make_llm: MakeLLM) -> None:
    llm = make_llm()
    whole = llm.chat(user("Hey Claude!"))
    *_, last = llm.stream_chat(user("Hey Claude!"))
    assert last.additional_kwargs["usage"] == whole.additional_kwargs["usage"]
    assert last.raw.usage.output_tokens == whole.raw.usage.output_tokens


def test_complete_and_stream_complete_go_through_chat(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm()
    completion = llm.complete("Hey Claude!")
    assert completion.text == "Hello! You said: Hey Claude!"
    assert completion.additional_kwargs["stop_reason"] == "end_turn"
    streamed = list(llm.stream_complete("Hey Claude!"))
    assert streamed[-1].text == completion.text
    assert "".join(c.delta or "" for c in streamed) == completion.text
    assert set(streamed[-1].additional_kwargs["usage"]) == USAGE_KEYS
    assert [r.route for r in vertex_emulator.requests] == ["create", "stream"]


async def test_async_forms_answer_like_the_sync_ones(make_llm: MakeLLM) -> None:
    llm = make_llm()
    chat = await llm.achat(user("Hey Claude!"))
    assert chat.message.content == "Hello! You said: Hey Claude!"
    completion = await llm.acomplete("Hey Claude!")
    assert completion.text == chat.message.content
    chunks = [c async for c in await llm.astream_chat(user("Hey Claude!"))]
    assert chunks[-1].message.content == chat.message.content
    assert chunks[-1].additional_kwargs["usage"] == chat.additional_kwargs["usage"]
    completions = [c async for c in await llm.astream_complete("Hey Claude!")]
    assert completions[-1].text == chat.message.content


def test_instrumentation_events_and_callbacks_fire(
    make_llm: MakeLLM, instrumentation: list[BaseEvent]
) -> None:
    debug = LlamaDebugHandler()
    llm = make_llm(callback_manager=CallbackManager([debug]))
    llm.chat(user("one"))
    list(llm.stream_chat(user("two")))
    llm.complete("three")
    kinds = [type(e) for e in instrumentation]
    assert kinds.count(LLMChatStartEvent) == 3, "complete goes through chat"
    assert kinds.count(LLMChatEndEvent) == 3
    assert LLMChatInProgressEvent in kinds
    assert kinds.count(LLMCompletionStartEvent) == 1
    assert kinds.count(LLMCompletionEndEvent) == 1
    start = next(e for e in instrumentation if isinstance(e, LLMChatStartEvent))
    assert start.model_dict["class_name"] == "ClaudeVertex"
    assert start.model_dict["model_name"] == "claude-sonnet-4-5@20250929"
    end = next(e for e in instrumentation if isinstance(e, LLMChatEndEvent))
    assert end.response is not None
    assert end.response.message.content == "Hello! You said: one"
    assert len(debug.get_event_pairs(CBEventType.LLM)) == 4


def test_count_tokens_asks_vertex_and_matches_the_usage(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm(system_prompt="Be brief.")
    messages = [ChatMessage(role="user", blocks=[TextBlock(text="Hey Claude, how are you?")])]
    counted = llm.count_tokens(messages)
    used = llm.chat(messages).additional_kwargs["usage"]["input_tokens"]
    assert counted == used
    assert llm.count_tokens("Hey Claude, how are you?") == counted
    sent = vertex_emulator.requests[0]
    assert sent.route == "count_tokens"
    assert sent.region == "global", "counted where the call goes: global serves count-tokens"
    assert sent.body["model"] == "claude-sonnet-4-5@20250929"
    assert sent.body["system"] == [{"type": "text", "text": "Be brief."}]


async def test_acount_tokens_counts_tools_too(make_llm: MakeLLM) -> None:
    from llama_index.core.tools import FunctionTool

    from tests.llama_index.support import add

    llm = make_llm()
    plain = await llm.acount_tokens("Add 2 and 3.")
    with_tools = await llm.acount_tokens("Add 2 and 3.", tools=[FunctionTool.from_defaults(add)])
    assert with_tools > plain


def test_vertex_errors_surface_as_the_cores_typed_errors(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    llm = make_llm()
    vertex_emulator.inject(Fault.prompt_too_long())
    with pytest.raises(PromptTooLongError):
        llm.chat(user("Hey Claude!"))
    vertex_emulator.inject(Fault.quota_exhausted())
    with pytest.raises(QuotaExhaustedError):
        llm.complete("Hey Claude!")
    vertex_emulator.inject(Fault.overloaded(), route="stream")
    with pytest.raises(OverloadedError):
        list(llm.stream_chat(user("Hey Claude!")))


def test_retries_follow_max_retries(make_llm: MakeLLM, vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.inject(Fault.overloaded())
    response = make_llm(max_retries=1).chat(user("Hey Claude!"))
    assert response.message.content == "Hello! You said: Hey Claude!"
    assert [r.status for r in vertex_emulator.requests] == [529, 200]
