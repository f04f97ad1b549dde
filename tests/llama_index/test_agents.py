"""LlamaIndex agents on ClaudeVertex, end to end on the emulator, with and without thinking."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import (
    AgentOutput,
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCallResult,
)
from llama_index.core.workflow.handler import WorkflowHandler

from claude_vertex.testing import VertexEmulator
from tests.llama_index.support import THINKING, MakeLLM, add, get_weather

# llama-index-workflows reads every attribute of an agent with inspect.getmembers, which
# touches pydantic's deprecated ones; that noise is theirs, not the adapter's.
pytestmark = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecationWarning")

THINKING_MODES = [pytest.param(None, id="no-thinking"), pytest.param(THINKING, id="thinking")]


async def run(handler: WorkflowHandler) -> tuple[Any, list[Any]]:
    events = [event async for event in handler.stream_events()]
    return await handler, events


def tool_results(events: list[Any]) -> list[tuple[str, dict[str, Any], str]]:
    return [
        (e.tool_name, e.tool_kwargs, e.tool_output.content)
        for e in events
        if isinstance(e, ToolCallResult)
    ]


@pytest.mark.parametrize("thinking", THINKING_MODES)
@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "whole"])
async def test_function_agent_calls_the_tool_and_answers(
    make_llm: MakeLLM,
    vertex_emulator: VertexEmulator,
    thinking: dict[str, Any] | None,
    streaming: bool,
) -> None:
    agent = FunctionAgent(
        tools=[add, get_weather],
        llm=make_llm(thinking=thinking),
        system_prompt="You add numbers.",
        streaming=streaming,
    )
    result, events = await run(agent.run("Please add 2 and 3."))
    assert tool_results(events) == [("add", {"a": 2, "b": 3}, "5")]
    assert str(result) == "Tool results: 5"
    assert [r.status for r in vertex_emulator.requests] == [200, 200]
    assert {r.route for r in vertex_emulator.requests} == {"stream" if streaming else "create"}
    loop = vertex_emulator.requests[1].body["messages"]
    assert [m["role"] for m in loop] == ["user", "assistant", "user"]
    assert loop[2]["content"][0]["type"] == "tool_result"
    thinking_deltas = [
        e.thinking_delta for e in events if isinstance(e, AgentStream) and e.thinking_delta
    ]
    if thinking is None:
        assert thinking_deltas == []
        assert loop[1]["content"][0]["type"] == "text"
    else:
        assert loop[1]["content"][0]["type"] == "thinking", "replayed ahead of the tool call"
        assert bool(thinking_deltas) is streaming, "FunctionAgent streams thinking_delta"


async def test_function_agent_forces_its_initial_tool_choice(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    agent = FunctionAgent(
        tools=[add, get_weather], llm=make_llm(), initial_tool_choice="get_weather"
    )
    _, events = await run(agent.run("What is the weather in 'Lima'?"))
    assert tool_results(events) == [("get_weather", {"city": "Lima"}, "Sunny in Lima")]
    assert vertex_emulator.requests[0].body["tool_choice"]["name"] == "get_weather"
    assert "tool_choice" in vertex_emulator.requests[1].body
    assert vertex_emulator.requests[1].body["tool_choice"]["type"] == "auto"


@pytest.mark.parametrize("thinking", THINKING_MODES)
async def test_react_agent_follows_the_text_protocol_to_an_answer(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, thinking: dict[str, Any] | None
) -> None:
    agent = ReActAgent(tools=[add, get_weather], llm=make_llm(thinking=thinking))
    result, events = await run(agent.run("Please add 2 and 3."))
    assert tool_results(events) == [("add", {"a": 2, "b": 3}, "5")]
    assert str(result) == "5"
    first, second = vertex_emulator.requests
    assert "tools" not in first.body, "ReAct describes tools in the prompt"
    assert "> Tool Name: add" in first.body["system"][0]["text"]
    assert second.body["messages"][-1]["content"][0]["text"].startswith("Observation: 5")
    assert ("thinking" in second.body) is (thinking is not None)
    assert [r.status for r in vertex_emulator.requests] == [200, 200]


@pytest.mark.parametrize("thinking", THINKING_MODES)
async def test_a_two_agent_workflow_hands_off_and_answers(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, thinking: dict[str, Any] | None
) -> None:
    llm = make_llm(thinking=thinking)
    router = FunctionAgent(
        name="router",
        description="Routes requests to the right agent.",
        tools=[get_weather],
        llm=llm,
        can_handoff_to=["calculator"],
        system_prompt="Hand arithmetic off to the calculator agent.",
    )
    calculator = FunctionAgent(
        name="calculator",
        description="Adds numbers.",
        tools=[add],
        llm=llm,
        can_handoff_to=[],
        system_prompt="You add numbers.",
    )
    workflow = AgentWorkflow(agents=[router, calculator], root_agent="router")
    result, events = await run(workflow.run("Please hand off to 'calculator': add 2 and 3."))
    ((tool, arguments, output),) = tool_results(events)
    assert (tool, arguments["to_agent"]) == ("handoff", "calculator")
    assert "Agent calculator is now handling the request" in output
    speakers = [e.current_agent_name for e in events if isinstance(e, AgentOutput)]
    assert speakers == ["router", "calculator"]
    assert str(result).startswith("Tool results: Agent calculator")
    router_call, calculator_call = vertex_emulator.requests
    assert [t["name"] for t in router_call.body["tools"]] == ["get_weather", "handoff"]
    assert [t["name"] for t in calculator_call.body["tools"]] == ["add"]
    assert calculator_call.body["system"][0]["text"] == "You add numbers."
    assert calculator_call.status == 200
