"""Chat with Claude on Vertex AI through LangChain's ``ChatClaudeVertex``.

Shows a plain call, streaming, structured output and token counting. With a Google Cloud
project and credentials configured (``GOOGLE_CLOUD_PROJECT`` plus ``gcloud auth
application-default login``) this calls real Vertex AI; without them it starts the built-in
loopback emulator and says so on its first line.

    python examples/langchain_chat.py
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack

from _connection import connection
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from langchain_claude_vertex import ChatClaudeVertex

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-5")


class City(BaseModel):
    """A city and the country it is in."""

    name: str = Field(description="The city's name")
    country: str = Field(description="The country the city is in")


def main() -> int:
    with ExitStack() as stack:
        llm = ChatClaudeVertex(model=MODEL, max_tokens=512, **connection(stack))
        print(f"Model {llm.model} in project {llm.project}, region {llm.region}.")

        messages = [
            SystemMessage("You are a concise travel guide."),
            HumanMessage("Name one sight in Lisbon."),
        ]
        answer = llm.invoke(messages)
        print(f"invoke: {answer.text}")
        print(
            f"  served by {answer.response_metadata['model_name']} in "
            f"{answer.response_metadata['region']}; usage {answer.usage_metadata}"
        )

        print("stream: ", end="")
        for chunk in llm.stream("Say hello in three languages."):
            print(chunk.text, end="", flush=True)
        print()

        city = llm.with_structured_output(City).invoke("Where is 'Porto'? It is in 'Portugal'.")
        print(f"structured: {city!r}")

        tokens = llm.get_num_tokens_from_messages(messages)
        print(f"count tokens: the first prompt is {tokens} input tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
