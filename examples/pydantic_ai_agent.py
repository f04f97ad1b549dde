"""A pydantic-ai agent on Claude on Vertex AI: a tool, a streamed run, a structured answer.

pydantic-ai's ``AnthropicModel`` takes an anthropic client; ``claude_vertex.AsyncAnthropicVertex``
is that client with claude-vertex's core underneath (Vertex's API version, model aliases, the
model's default region and failover, one shared token, typed errors). With a Google Cloud
project and credentials configured this calls real Vertex AI; without them it starts the
built-in loopback emulator and says so on its first line.

    python examples/pydantic_ai_agent.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterable
from contextlib import ExitStack

from _connection import connection
from pydantic import BaseModel
from pydantic_ai import Agent, RunContext
from pydantic_ai.messages import (
    AgentStreamEvent,
    FunctionToolCallEvent,
    PartDeltaEvent,
    PartEndEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.providers.anthropic import AnthropicProvider

from claude_vertex import AsyncAnthropicVertex

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-6")


class City(BaseModel):
    name: str
    country: str


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: the city's name.
    """
    return f"Sunny, 24 C in {city}"


async def show_stream(_: RunContext[object], events: AsyncIterable[AgentStreamEvent]) -> None:
    """Print the text as it streams, and each tool call."""
    async for event in events:
        if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
            print(f"  text: {event.part.content}", end="", flush=True)
        elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
            print(event.delta.content_delta, end="", flush=True)
        elif isinstance(event, PartEndEvent) and isinstance(event.part, TextPart):
            print()
        elif isinstance(event, FunctionToolCallEvent):
            print(f"  calls {event.part.tool_name}({event.part.args_as_dict()})")


async def main() -> int:
    with ExitStack() as stack:
        client = AsyncAnthropicVertex(**connection(stack))
        model = AnthropicModel(MODEL, provider=AnthropicProvider(anthropic_client=client))
        agent = Agent(
            model, instructions="You are a concise travel assistant.", tools=[get_weather]
        )

        result = await agent.run("What is the weather in 'Kyoto'?")
        print(f"run: {result.output}")

        print("streamed run:")
        await agent.run("What is the weather in 'Lisbon'?", event_stream_handler=show_stream)

        extractor = Agent(model, output_type=City)
        city = await extractor.run("Which city is 'Porto', and in which country? 'Portugal'")
        print(f"structured: {city.output!r}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
