"""A LangChain agent on Claude on Vertex AI: two tools, a conversation of two turns.

Uses ``langchain.agents.create_agent`` with ``ChatClaudeVertex``, extended thinking on, so
each tool loop replays Claude's signed thinking. With a Google Cloud project and credentials
configured this calls real Vertex AI; without them it starts the built-in loopback emulator
and says so on its first line.

    python examples/langchain_agent.py
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack

from _connection import connection
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_claude_vertex import ChatClaudeVertex

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-5")


@tool
def get_weather(city: str) -> str:
    """Get the current weather in a city."""
    return f"Sunny, 24 C in {city}"


@tool
def get_local_time(city: str) -> str:
    """Get the current local time in a city."""
    return f"It is 09:30 in {city}"


def show(messages: Sequence[BaseMessage]) -> None:
    """Print the tool calls, tool results and the final answer of one turn."""
    for message in messages:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"  calls {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            print(f"  {message.name} -> {message.content}")
    print(f"  answer: {messages[-1].text if isinstance(messages[-1], AIMessage) else ''}")


def main() -> int:
    with ExitStack() as stack:
        llm = ChatClaudeVertex(
            model=MODEL,
            max_tokens=4096,
            thinking={"type": "enabled", "budget_tokens": 2048},
            **connection(stack),
        )
        agent = create_agent(
            llm,
            tools=[get_weather, get_local_time],
            system_prompt="You are a concise travel assistant.",
        )
        history: list[AnyMessage] = []
        for question in ("What is the weather in 'Kyoto'?", "What time is it in 'Kyoto'?"):
            print(f"user: {question}")
            before = len(history)
            history = agent.invoke({"messages": [*history, HumanMessage(question)]})["messages"]
            show(history[before + 1 :])
    return 0


if __name__ == "__main__":
    sys.exit(main())
