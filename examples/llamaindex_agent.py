"""A LlamaIndex FunctionAgent with tools, on Claude on Vertex AI (``--thinking`` to think).

With a Google Cloud project and credentials configured (``GOOGLE_CLOUD_PROJECT`` or
``ANTHROPIC_VERTEX_PROJECT_ID``, plus ``gcloud auth application-default login`` or
``GOOGLE_APPLICATION_CREDENTIALS``) this calls real Vertex AI. Without them it starts the
built-in loopback emulator and says so on its first line.

    python examples/llamaindex_agent.py [--thinking]
"""

from __future__ import annotations

import asyncio
import os
import sys
from contextlib import ExitStack
from typing import Any

from _connection import connection
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult

from llama_index.llms.claude_vertex import ClaudeVertex

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-5")
QUESTION = "What is 12 plus 30?"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


async def ask(llm: ClaudeVertex) -> None:
    agent = FunctionAgent(
        tools=[add, multiply], llm=llm, system_prompt="Use the tools for arithmetic."
    )
    print(f"User: {QUESTION}")
    handler = agent.run(QUESTION)
    thought = False
    async for event in handler.stream_events():
        if isinstance(event, AgentStream) and event.thinking_delta:
            if not thought:
                print("Thinking: ", end="")
                thought = True
            print(event.thinking_delta, end="", flush=True)
        elif isinstance(event, ToolCallResult):
            if thought:
                print()
                thought = False
            print(f"Tool call: {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}")
    if thought:
        print()
    print(f"Agent: {await handler}")


def main(argv: list[str]) -> int:
    options: dict[str, Any] = {"max_tokens": 4096}
    if "--thinking" in argv:
        options["thinking"] = {"type": "enabled", "budget_tokens": 2048}
    with ExitStack() as stack:
        asyncio.run(ask(ClaudeVertex(model=MODEL, **options, **connection(stack))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
