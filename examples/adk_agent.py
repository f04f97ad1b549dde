"""A Google ADK agent on Claude on Vertex AI: an LlmAgent with two tools, through ADK's runner.

``claude_vertex.adk.ClaudeVertexADK`` is ADK's ``Claude`` model class sending through
``claude_vertex.AsyncAnthropicVertex`` (Vertex's API version, model aliases, the model's
default region and failover, one shared token, typed errors), on ADK 1.14 and later. With a
Google Cloud project and credentials configured this calls real Vertex AI; without them it
starts the built-in loopback emulator and says so on its first line.

    pip install "claude-vertex[adk]"
    python examples/adk_agent.py
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import ExitStack

from _connection import connection
from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.genai import types

from claude_vertex import AsyncAnthropicVertex
from claude_vertex.adk import ClaudeVertexADK

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-6")


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: the city's name.
    """
    return f"Sunny, 24 C in {city}"


def get_local_time(city: str) -> str:
    """Get the current local time in a city.

    Args:
        city: the city's name.
    """
    return f"It is 09:30 in {city}"


async def main() -> int:
    with ExitStack() as stack:
        client = AsyncAnthropicVertex(**connection(stack))
        agent = LlmAgent(
            name="travel_assistant",
            model=ClaudeVertexADK(model=MODEL, client=client),
            instruction="You are a concise travel assistant.",
            tools=[get_weather, get_local_time],
        )
        runner = InMemoryRunner(agent=agent, app_name="travel")
        session = await runner.session_service.create_session(app_name="travel", user_id="me")
        for question in ("What is the weather in 'Kyoto'?", "What time is it in 'Kyoto'?"):
            print(f"user: {question}")
            message = types.Content(role="user", parts=[types.Part(text=question)])
            async for event in runner.run_async(
                user_id="me", session_id=session.id, new_message=message
            ):
                for part in event.content.parts or [] if event.content else []:
                    if part.function_call:
                        print(f"  calls {part.function_call.name}({part.function_call.args})")
                    elif part.function_response:
                        print(
                            f"  {part.function_response.name} -> {part.function_response.response}"
                        )
                    elif part.text and event.is_final_response():
                        print(f"  answer: {part.text}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
