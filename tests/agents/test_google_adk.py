"""Google ADK's LlmAgent on the drop-in client, through ADK's runner, on ADK 1 and 2.

``claude_vertex.adk.ClaudeVertexADK`` is ADK's ``Claude`` model class taking (or building) a
:class:`~claude_vertex.AsyncAnthropicVertex`; on ADK 2, ADK's own ``Claude(client=...)`` takes
the drop-in client too. The emulator records each request and refuses (400) any that Vertex
would refuse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.models.anthropic_llm import Claude
from google.adk.models.base_llm import BaseLlm
from google.adk.runners import InMemoryRunner
from google.genai import types

from claude_vertex import AnthropicVertex, AsyncAnthropicVertex
from claude_vertex.adk import ADK_CALLS_ASYNC_CLIENT, ClaudeVertexADK
from claude_vertex.testing import VertexEmulator

from .conftest import MODEL
from .wire import assert_well_formed, model_requests


async def run_weather_agent(model: BaseLlm, question: str) -> tuple[list[str], list[Any]]:
    """Run an agent with a ``get_weather`` tool once; the tool's calls and the run's parts."""
    calls: list[str] = []

    def get_weather(city: str) -> str:
        """The current weather in a city.

        Args:
            city: the city's name.
        """
        calls.append(city)
        return f"Sunny in {city}, 21 degrees"

    agent = LlmAgent(name="assistant", model=model, instruction="Be concise.", tools=[get_weather])
    runner = InMemoryRunner(agent=agent, app_name="weather")
    session = await runner.session_service.create_session(app_name="weather", user_id="user")
    parts: list[Any] = []
    async for event in runner.run_async(
        user_id="user",
        session_id=session.id,
        new_message=types.Content(role="user", parts=[types.Part(text=question)]),
    ):
        parts.extend(event.content.parts or [] if event.content else [])
    return calls, parts


def assert_tool_round_trip(emulator: VertexEmulator, calls: list[str], parts: list[Any]) -> None:
    """The tool ran once for Kyoto, its result went back to Claude and into the answer."""
    assert calls == ["Kyoto"]
    function_calls = [p.function_call for p in parts if p.function_call]
    assert [(c.name, c.args) for c in function_calls] == [("get_weather", {"city": "Kyoto"})]
    responses = [p.function_response.response for p in parts if p.function_response]
    assert responses == [{"result": "Sunny in Kyoto, 21 degrees"}]
    texts = [p.text for p in parts if p.text]
    assert "Sunny in Kyoto, 21 degrees" in texts[-1]
    first, second = model_requests(emulator)
    assert [tool["name"] for tool in first.body["tools"]] == ["get_weather"]
    (result,) = [
        block
        for block in second.body["messages"][-1]["content"]
        if block.get("type") == "tool_result"
    ]
    assert "Sunny in Kyoto" in str(result["content"])
    assert_well_formed(emulator)


async def test_an_llm_agent_on_claude_vertex_adk_makes_the_tool_round_trip(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    model = ClaudeVertexADK(model=MODEL, client=async_dropin)
    calls, parts = await run_weather_agent(model, 'What does get_weather say for "Kyoto"?')
    assert_tool_round_trip(vertex_emulator, calls, parts)
    assert all(r.region == "global" for r in model_requests(vertex_emulator))
    assert len([r for r in vertex_emulator.token_requests if r.route == "token"]) == 1


def test_adk_gets_the_form_of_client_its_release_calls(async_dropin: AsyncAnthropicVertex) -> None:
    client = ClaudeVertexADK(model=MODEL, client=async_dropin)._anthropic_client
    if ADK_CALLS_ASYNC_CLIENT:
        assert client is async_dropin
    else:  # ADK 1 calls messages.create synchronously: a sync twin on the same core client
        assert isinstance(client, AnthropicVertex)
        assert client.vertex is async_dropin.vertex


async def test_without_a_client_it_builds_one_from_the_environment(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in vertex_emulator.environ(vertex_key_file).items():
        monkeypatch.setenv(name, value)
    for name in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION"):
        monkeypatch.delenv(name, raising=False)  # what ADK's own Claude would need
    calls, parts = await run_weather_agent(
        ClaudeVertexADK(model=MODEL), 'What does get_weather say for "Kyoto"?'
    )
    assert_tool_round_trip(vertex_emulator, calls, parts)
    assert {r.project for r in model_requests(vertex_emulator)} == {vertex_emulator.project}


#: Whether ADK's own ``Claude`` has a ``client`` field: ADK 1 and the early 2.x releases (2.7 is the
#: newest on Python 3.10) build their client from the environment only.
ADK_CLAUDE_TAKES_CLIENT = "client" in Claude.model_fields


@pytest.mark.skipif(not ADK_CLAUDE_TAKES_CLIENT, reason="this ADK's Claude has no client field")
async def test_adk_2s_own_claude_takes_the_drop_in_client(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    model = Claude(model=MODEL, client=async_dropin)  # type: ignore[call-arg, unused-ignore]
    calls, parts = await run_weather_agent(model, 'What does get_weather say for "Kyoto"?')
    assert_tool_round_trip(vertex_emulator, calls, parts)
