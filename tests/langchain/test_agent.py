"""Agent loops on ChatClaudeVertex: LangChain's ``create_agent`` with two tools, several turns.

The emulator validates every request as Vertex would (tool results answering the previous
turn's calls, thinking blocks replayed with valid signatures first in the assistant turn), so
a loop that completes with only 200s proves every request was well formed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex

from .support import THINKING


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny and 21 C in {city}"


@tool
def get_time(city: str) -> str:
    """Get the current local time in a city."""
    return f"It is 14:05 in {city}"


def _run_conversation(agent: Any) -> list[Any]:
    """Two user turns, each answered through a tool; the whole history."""
    state = agent.invoke({"messages": [HumanMessage("What is the weather in 'Paris'?")]})
    messages = [*state["messages"], HumanMessage("And what time is it in 'Tokyo'?")]
    return list(agent.invoke({"messages": messages})["messages"])


def _tool_names(messages: list[Any]) -> list[str | None]:
    return [m.name for m in messages if isinstance(m, ToolMessage)]


@pytest.mark.parametrize("thinking", [None, THINKING], ids=["plain", "thinking"])
def test_agent_uses_both_tools_over_several_turns(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
    thinking: dict[str, Any] | None,
) -> None:
    model = make_chat(thinking=thinking, max_tokens=4096)
    agent = create_agent(
        model, tools=[get_weather, get_time], system_prompt="You are a concise assistant."
    )

    history = _run_conversation(agent)

    assert _tool_names(history) == ["get_weather", "get_time"]
    tool_messages = [m for m in history if isinstance(m, ToolMessage)]
    assert tool_messages[0].content == "Sunny and 21 C in Paris"
    assert tool_messages[1].content == "It is 14:05 in Tokyo"
    final = history[-1]
    assert isinstance(final, AIMessage)
    assert "It is 14:05 in Tokyo" in final.text
    calls = vertex_emulator.requests
    assert [c.status for c in calls] == [200, 200, 200, 200]
    assert all(
        c.body["system"] == [{"type": "text", "text": "You are a concise assistant."}]
        for c in calls
    )
    last_turn = calls[-1].body["messages"]
    assistant_turns = [m for m in last_turn if m["role"] == "assistant"]
    first_blocks = [m["content"][0]["type"] for m in assistant_turns]
    if thinking:
        # Every assistant turn is replayed with its signed thinking block first.
        assert first_blocks == ["thinking"] * 3
        assert all(c.body["thinking"] == THINKING for c in calls)
    else:
        assert "thinking" not in first_blocks


async def test_async_agent_streams_its_steps(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
) -> None:
    agent = create_agent(
        make_chat(thinking=THINKING, max_tokens=4096, streaming=True), tools=[get_weather, get_time]
    )
    updates = [
        update
        async for update in agent.astream(
            {"messages": [HumanMessage("What is the weather in 'Oslo'?")]}, stream_mode="updates"
        )
    ]

    steps = [next(iter(update)) for update in updates]
    assert steps == ["model", "tools", "model"]
    assert [c.route for c in vertex_emulator.requests] == ["stream", "stream"]
    assert all(c.status == 200 for c in vertex_emulator.requests)


class Forecast(BaseModel):
    city: str
    summary: str


def test_agent_with_a_response_format_uses_claudes_structured_output(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    agent = create_agent(chat, tools=[get_weather], response_format=Forecast)

    state = agent.invoke({"messages": [HumanMessage("What is the weather in 'Rome'?")]})

    assert isinstance(state["structured_response"], Forecast)
    assert _tool_names(state["messages"]) == ["get_weather"]
    final_request = vertex_emulator.requests[-1].body
    assert final_request["output_config"]["format"]["type"] == "json_schema"
    assert final_request["output_config"]["format"]["schema"]["additionalProperties"] is False
