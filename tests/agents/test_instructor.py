"""instructor on the drop-in client: structured extraction into a pydantic model, sync and async.

``instructor.from_anthropic(client)`` forces a tool named after the model and validates its
input; the emulator records each request and refuses (400) any that Vertex would refuse.
"""

from __future__ import annotations

from typing import Any

import instructor
from pydantic import BaseModel

from claude_vertex import AnthropicVertex, AsyncAnthropicVertex
from claude_vertex.testing import VertexEmulator

from .conftest import MODEL
from .wire import assert_well_formed, model_requests

#: instructor types ``messages`` as OpenAI's params; it passes Anthropic's on as they are.
PROMPT: list[Any] = [{"role": "user", "content": 'Extract the city: "Porto" is in "Portugal".'}]


class City(BaseModel):
    """A city and its country."""

    name: str
    country: str


def assert_forced_the_city_tool(emulator: VertexEmulator) -> None:
    """One request, forcing the ``City`` tool whose schema is the model's."""
    (sent,) = model_requests(emulator)
    assert sent.body["tool_choice"]["type"] == "tool"
    assert sent.body["tool_choice"]["name"] == "City"
    (tool,) = sent.body["tools"]
    assert tool["name"] == "City"
    assert tool["input_schema"]["required"] == ["name", "country"]
    assert_well_formed(emulator)


def test_extraction_into_a_pydantic_model(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    client = instructor.from_anthropic(dropin)
    city = client.messages.create(model=MODEL, max_tokens=256, response_model=City, messages=PROMPT)
    assert isinstance(city, City)
    assert city.model_dump() == {"name": "Porto", "country": "Portugal"}
    assert_forced_the_city_tool(vertex_emulator)


async def test_async_extraction_into_a_pydantic_model(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    client = instructor.from_anthropic(async_dropin)
    city = await client.messages.create(
        model=MODEL, max_tokens=256, response_model=City, messages=PROMPT
    )
    assert isinstance(city, City)
    assert city.model_dump() == {"name": "Porto", "country": "Portugal"}
    assert_forced_the_city_tool(vertex_emulator)


def test_the_raw_completion_says_where_it_was_served(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    client = instructor.from_anthropic(dropin)
    city, completion = client.messages.create_with_completion(
        model=MODEL, max_tokens=256, response_model=City, messages=PROMPT
    )
    assert city.name == "Porto"
    assert completion.vertex_region == "global"
    assert completion.request_id
    assert_forced_the_city_tool(vertex_emulator)
