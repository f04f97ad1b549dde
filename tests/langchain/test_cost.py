"""Cost per call on ChatClaudeVertex: ``response_metadata["cost_usd"]`` and the run totals.

Expected dollars are computed by hand from each answer's usage (``sonnet_4_5_dollars``), not
from the package's model table, and an agent run's total is checked against the sum of its
calls' costs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from anthropic.types import Message
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.tools import tool

from claude_vertex._sdk import construct_event
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import (
    ChatClaudeVertex,
    VertexCostCallbackHandler,
    get_vertex_cost_callback,
)
from langchain_claude_vertex.responses import chat_result
from langchain_claude_vertex.streaming import StreamConverter
from tests.helpers import sonnet_4_5_dollars

from .support import gather

LONG_SYSTEM = "You answer questions about the archive. " * 100


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny and 21 C in {city}"


def hand_cost(message: BaseMessage, *, regional: bool = False) -> float:
    """The message's price from its usage and the price list, by hand."""
    assert isinstance(message, AIMessage)
    usage = message.usage_metadata
    assert usage is not None
    details = usage.get("input_token_details") or {}
    cache_read = details.get("cache_read", 0)
    cache_write = details.get("cache_creation", 0)
    return sonnet_4_5_dollars(
        input_tokens=usage["input_tokens"] - cache_read - cache_write,
        output_tokens=usage["output_tokens"],
        cache_read=cache_read,
        cache_write=cache_write,
        regional=regional,
    )


def test_an_answer_carries_its_cost(chat: ChatClaudeVertex) -> None:
    answer = chat.invoke("Hello there")
    cost = answer.response_metadata["cost_usd"]
    assert cost > 0
    assert cost == pytest.approx(hand_cost(answer))


def test_a_regional_answer_costs_ten_percent_more(
    make_chat: Callable[..., ChatClaudeVertex],
) -> None:
    answer = make_chat(region="us-east5").invoke("Hello there")
    assert answer.response_metadata["cost_usd"] == pytest.approx(hand_cost(answer, regional=True))
    assert answer.response_metadata["cost_usd"] > hand_cost(answer)


def test_cache_reads_and_writes_are_priced(chat: ChatClaudeVertex) -> None:
    messages: list[Any] = [
        {
            "role": "system",
            "content": [
                {"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}
            ],
        },
        HumanMessage("What is in the archive?"),
    ]
    first = chat.invoke(messages)
    second = chat.invoke(messages)
    assert first.usage_metadata is not None
    assert second.usage_metadata is not None
    assert first.usage_metadata["input_token_details"].get("cache_creation", 0) > 0
    assert second.usage_metadata["input_token_details"].get("cache_read", 0) > 0
    for answer in (first, second):
        assert answer.response_metadata["cost_usd"] == pytest.approx(hand_cost(answer))
    assert second.response_metadata["cost_usd"] < first.response_metadata["cost_usd"]


def test_a_streamed_answer_carries_its_cost_on_the_last_chunk(chat: ChatClaudeVertex) -> None:
    chunks = list(chat.stream("Hello there"))
    with_cost = [c for c in chunks if "cost_usd" in c.response_metadata]
    assert with_cost == [chunks[-1]]
    full = gather(chunks)
    assert full.response_metadata["cost_usd"] == pytest.approx(hand_cost(full))
    assert full.response_metadata["cost_usd"] == pytest.approx(
        chat.invoke("Hello there").response_metadata["cost_usd"]
    )


def test_an_unknown_model_has_no_cost() -> None:
    message = Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-nonexistent-9",
            "content": [{"type": "text", "text": "Hi"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 5},
        }
    )
    result = chat_result(
        message, model_name="claude-nonexistent-9", region="global", request_id=None
    )
    metadata = result.generations[0].message.response_metadata
    assert "cost_usd" in metadata
    assert metadata["cost_usd"] is None
    handler = VertexCostCallbackHandler()
    handler.on_llm_end(LLMResult(generations=[list(result.generations)]))
    assert handler.successful_requests == 1
    assert handler.total_cost is None
    assert handler.priced_cost == 0.0
    assert "unknown" in repr(handler)


def _ai_messages(messages: list[Any]) -> list[AIMessage]:
    return [m for m in messages if isinstance(m, AIMessage)]


def test_an_agent_run_totals_the_cost_of_its_calls(
    make_chat: Callable[..., ChatClaudeVertex], vertex_emulator: VertexEmulator
) -> None:
    model = make_chat(region="us-east5")
    agent = create_agent(model, tools=[get_weather], system_prompt="Be concise.")
    with get_vertex_cost_callback() as cost:
        first = agent.invoke({"messages": [HumanMessage("What is the weather in 'Paris'?")]})
        history = [*first["messages"], HumanMessage("And in 'Tokyo'?")]
        state = agent.invoke({"messages": history})
    answers = _ai_messages(state["messages"])
    assert len(answers) >= 4  # two tool calls, two final answers
    assert cost.successful_requests == len(answers) == len(vertex_emulator.requests)
    by_hand = sum(hand_cost(answer, regional=True) for answer in answers)
    reported = sum(answer.response_metadata["cost_usd"] for answer in answers)
    assert cost.total_cost == pytest.approx(by_hand)
    assert cost.total_cost == pytest.approx(reported)
    assert cost.total_tokens == sum(
        answer.usage_metadata["total_tokens"] for answer in answers if answer.usage_metadata
    )
    assert cost.prompt_tokens + cost.completion_tokens == cost.total_tokens
    assert "Successful Requests: " + str(len(answers)) in repr(cost)


def test_a_streamed_agent_run_is_totalled_too(
    make_chat: Callable[..., ChatClaudeVertex],
) -> None:
    agent = create_agent(make_chat(), tools=[get_weather])
    with get_vertex_cost_callback() as cost:
        for _ in agent.stream(
            {"messages": [HumanMessage("What is the weather in 'Oslo'?")]},
            stream_mode="messages",
        ):
            pass
    assert cost.successful_requests == 2
    assert cost.total_cost is not None
    assert cost.total_cost > 0


async def test_async_calls_are_totalled(chat: ChatClaudeVertex) -> None:
    with get_vertex_cost_callback() as cost:
        first = await chat.ainvoke("Hello")
        chunks = [chunk async for chunk in chat.astream("Hello again")]
    second = gather(chunks)
    assert cost.successful_requests == 2
    assert cost.total_cost == pytest.approx(hand_cost(first) + hand_cost(second))


def test_calls_outside_the_context_are_not_counted(chat: ChatClaudeVertex) -> None:
    with get_vertex_cost_callback() as cost:
        chat.invoke("Hello")
    chat.invoke("Hello")
    assert cost.successful_requests == 1


def test_other_chat_models_are_not_counted(chat: ChatClaudeVertex) -> None:
    other = GenericFakeChatModel(messages=iter([AIMessage("Hi")]))
    handler = VertexCostCallbackHandler()
    other.invoke("Hello", config={"callbacks": [handler]})
    answer = chat.invoke("Hello", config={"callbacks": [handler]})
    assert handler.successful_requests == 1
    assert handler.total_cost == pytest.approx(hand_cost(answer))


def test_a_stream_with_two_message_deltas_still_gathers_with_one_cost() -> None:
    converter = StreamConverter(
        model_name="claude-sonnet-4-5@20250929",
        plain_text=True,
        stream_usage=True,
        region="global",
        request_id=None,
    )
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 1_000, "output_tokens": 1},
        },
    }
    events = [
        start,
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"x": "y"}},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 2_000},
        },
        {"type": "message_stop"},
    ]
    chunks = [converter.convert(construct_event(event)) for event in events]
    messages = [chunk.message for chunk in chunks if chunk is not None]
    assert [("cost_usd" in m.response_metadata) for m in messages] == [False, True, False]
    full = gather(m for m in messages if isinstance(m, AIMessageChunk))
    assert full.response_metadata["cost_usd"] == pytest.approx((1_000 * 3 + 1 * 15) / 1e6)
