"""The emulator's ReAct text protocol, which LlamaIndex's ReActAgent drives (raw core calls)."""

from __future__ import annotations

import json
from typing import Any

from claude_vertex import VertexClient

REACT_SYSTEM = """You have access to the following tools:
> Tool Name: add
Tool Description: add(a: int, b: int) -> int
Add two numbers.
Tool Args: {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"], "type": "object"}

> Tool Name: get_weather
Tool Description: Get the weather in a city.
Tool Args: {"properties": {"city": {"type": "string"}}, "required": ["city"], "type": "object"}


## Output Format
Thought: ...
Action: tool name (one of add, get_weather) if using a tool.
Action Input: the input to the tool, in a JSON format representing the kwargs
"""  # noqa: E501 - one tool per line, as LlamaIndex writes them


def react(*turns: str, **extra: Any) -> dict[str, Any]:
    roles = ["user", "assistant"]
    messages = [{"role": roles[i % 2], "content": text} for i, text in enumerate(turns)]
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "system": REACT_SYSTEM,
        "messages": messages,
        **extra,
    }


def text_of(client: VertexClient, params: dict[str, Any]) -> str:
    return "".join(b.text for b in client.create(params).content if b.type == "text")


def test_a_react_prompt_gets_a_thought_and_an_action_with_json_input(
    client: VertexClient,
) -> None:
    answer = text_of(client, react("What is the weather in 'Oslo'?"))
    thought, action, action_input = answer.splitlines()
    assert thought.startswith("Thought: ")
    assert action == "Action: get_weather", "the tool sharing a word with the question"
    assert json.loads(action_input.removeprefix("Action Input: ")) == {"city": "Oslo"}


def test_an_observation_gets_a_final_answer_quoting_it(client: VertexClient) -> None:
    answer = text_of(
        client,
        react(
            "Please add 2 and 3.",
            'Thought: I need a tool.\nAction: add\nAction Input: {"a": 2, "b": 3}',
            "Observation: 5",
        ),
    )
    assert answer == "Thought: I can answer without using any more tools.\nAnswer: 5"


def test_the_streamed_step_is_the_same_text(client: VertexClient) -> None:
    params = react("Please add 2 and 3.")
    with client.stream(params) as events:
        streamed = "".join(
            e.delta.text
            for e in events
            if e.type == "content_block_delta" and e.delta.type == "text_delta"
        )
    assert streamed == text_of(client, params)
    assert streamed.endswith('Action: add\nAction Input: {"a": 2, "b": 3}')


def test_without_a_tool_list_or_with_real_tools_the_answer_is_unchanged(
    client: VertexClient,
) -> None:
    plain = react("Hey Claude!")
    plain["system"] = "Action Input: is a phrase, but no tools are listed."
    assert text_of(client, plain) == "Hello! You said: Hey Claude!"
    tools = [{"name": "add", "input_schema": {"type": "object"}}]
    message = client.create(react("Please add 2 and 3.", tools=tools))
    assert [b.type for b in message.content] == ["text", "tool_use"]
