"""pydantic-ai's Agent on the drop-in client: tools, streaming, structured output, failover.

``AnthropicModel(name, provider=AnthropicProvider(anthropic_client=AsyncAnthropicVertex(...)))``
end to end against the emulator, which records each request and refuses (400) any that Vertex
would refuse.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from .wire import PYDANTIC_AI_MISSING

pytest.importorskip("pydantic_ai", reason=PYDANTIC_AI_MISSING)

from pydantic_ai import Agent
from pydantic_ai.messages import (
    FunctionToolResultEvent,
    PartDeltaEvent,
    TextPartDelta,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.providers.anthropic import AnthropicProvider

from claude_vertex import AsyncAnthropicVertex, resolve_model
from claude_vertex.testing import Fault, VertexEmulator

from .conftest import MODEL
from .wire import assert_well_formed, model_requests


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str


def weather_agent(client: AsyncAnthropicVertex, calls: list[str]) -> Agent[None, str]:
    """An agent with one tool, ``get_weather``, that records the cities it is asked about."""
    model = AnthropicModel(MODEL, provider=AnthropicProvider(anthropic_client=client))
    agent = Agent(model, instructions="You are a concise travel assistant.")

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """The current weather in a city.

        Args:
            city: the city's name.
        """
        calls.append(city)
        return f"Sunny in {city}, 21 degrees"

    return agent


def tool_results(emulator: VertexEmulator) -> list[Any]:
    """The ``tool_result`` blocks the emulator received, in order."""
    return [
        block
        for request in model_requests(emulator)
        for message in request.body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


async def test_a_run_calls_the_tool_and_its_result_reaches_the_answer(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    calls: list[str] = []
    result = await weather_agent(async_dropin, calls).run('What does get_weather say for "Kyoto"?')
    assert calls == ["Kyoto"]
    assert "Sunny in Kyoto, 21 degrees" in result.output
    parts = [part for message in result.all_messages() for part in message.parts]
    assert any(isinstance(p, ToolCallPart) and p.args_as_dict() == {"city": "Kyoto"} for p in parts)
    assert any(isinstance(p, ToolReturnPart) and "Kyoto" in str(p.content) for p in parts)
    sent = model_requests(vertex_emulator)
    assert len(sent) == 2
    assert [t["name"] for t in sent[0].body["tools"]] == ["get_weather"]
    (returned,) = tool_results(vertex_emulator)
    assert "Sunny in Kyoto" in str(returned["content"])
    assert_well_formed(vertex_emulator)


async def test_a_streamed_run_streams_text_and_makes_the_tool_round_trip(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    calls: list[str] = []
    deltas: list[str] = []
    tool_events: list[FunctionToolResultEvent] = []

    async def handle(_: Any, events: Any) -> None:
        async for event in events:
            if isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                deltas.append(event.delta.content_delta)
            elif isinstance(event, FunctionToolResultEvent):
                tool_events.append(event)

    agent = weather_agent(async_dropin, calls)
    result = await agent.run('What does get_weather say for "Lima"?', event_stream_handler=handle)
    assert calls == ["Lima"]
    assert len(tool_events) == 1
    assert "Sunny in Lima" in str(tool_events[0].part.content)
    assert len(deltas) > 2
    assert "Sunny in Lima, 21 degrees" in "".join(deltas)
    assert "Sunny in Lima, 21 degrees" in result.output
    sent = model_requests(vertex_emulator)
    assert [r.route for r in sent] == ["stream", "stream"]
    assert all(r.body["stream"] is True for r in sent)
    assert_well_formed(vertex_emulator)


async def test_a_structured_output_type(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    model = AnthropicModel(MODEL, provider=AnthropicProvider(anthropic_client=async_dropin))
    agent = Agent(model, output_type=City)
    result = await agent.run('Which city is "Porto"?')
    assert isinstance(result.output, City)
    assert result.output.name == "Porto"
    (sent,) = model_requests(vertex_emulator)
    (tool,) = sent.body["tools"]
    assert set(tool["input_schema"]["properties"]) == {"name", "country"}
    assert_well_formed(vertex_emulator)


async def test_twenty_concurrent_runs_over_one_client_make_one_token_request(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    calls: list[str] = []
    agent = weather_agent(async_dropin, calls)
    cities = [f"City{i}" for i in range(20)]
    results = await asyncio.gather(
        *(agent.run(f'What does get_weather say for "{city}"?') for city in cities)
    )
    assert sorted(calls) == sorted(cities)
    assert all(f"Sunny in {c}" in r.output for c, r in zip(cities, results, strict=True))
    grants = [r for r in vertex_emulator.token_requests if r.route == "token"]
    assert len(grants) == 1
    assert len(model_requests(vertex_emulator)) == 40
    assert_well_formed(vertex_emulator)


async def test_a_429_on_global_fails_over_and_the_client_says_where(
    make_async_dropin: Callable[..., AsyncAnthropicVertex],
    vertex_emulator: VertexEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), region="global")
    calls: list[str] = []
    agent = weather_agent(make_async_dropin(), calls)
    with caplog.at_level(logging.DEBUG, logger="claude_vertex"):
        result = await agent.run('What does get_weather say for "Oslo"?')
    assert calls == ["Oslo"]
    assert "Sunny in Oslo" in result.output
    first, *rest = model_requests(vertex_emulator)
    assert (first.region, first.status) == ("global", 429)
    served = rest[0].region
    assert served in resolve_model(MODEL).regions
    assert [(r.region, r.status) for r in rest] == [(served, 200), ("global", 200)]
    assert f"answered by region {served}" in caplog.text
    assert_well_formed(vertex_emulator, failures=1)
