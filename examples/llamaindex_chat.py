"""Chat with Claude on Vertex AI through LlamaIndex: chat, streaming, structured output, tokens.

With a Google Cloud project and credentials configured (``GOOGLE_CLOUD_PROJECT`` or
``ANTHROPIC_VERTEX_PROJECT_ID``, plus ``gcloud auth application-default login`` or
``GOOGLE_APPLICATION_CREDENTIALS``) this calls real Vertex AI. Without them it starts the
built-in loopback emulator and says so on its first line.

    python examples/llamaindex_chat.py     # where llama-index-llms-claude-vertex is installed
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack

from _connection import connection
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from llama_index.llms.claude_vertex import ClaudeVertex

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-5")


class City(BaseModel):
    """A city and the country it is in."""

    name: str
    country: str


def main() -> int:
    with ExitStack() as stack:
        llm = ClaudeVertex(model=MODEL, max_tokens=1024, **connection(stack))
        print(
            f"Model: {llm.metadata.model_name}, context window "
            f"{llm.metadata.context_window:,} tokens"
        )

        messages = [
            ChatMessage(role="system", content="You answer in one sentence."),
            ChatMessage(role="user", content="Hey Claude! What is Vertex AI?"),
        ]
        print(f"Prompt: {llm.count_tokens(messages)} input tokens (Vertex count-tokens)")
        response = llm.chat(messages)
        usage = response.additional_kwargs["usage"]
        print(f"Claude: {response.message.content}")
        print(
            f"usage: {usage['input_tokens']} input + {usage['output_tokens']} output tokens, "
            f"answered in {response.additional_kwargs['region']}"
        )

        print("Streaming: ", end="", flush=True)
        for chunk in llm.stream_complete("Name three colours of the rainbow."):
            print(chunk.delta, end="", flush=True)
        print()

        city = llm.structured_predict(
            City, PromptTemplate("Which city is the capital of {country}?"), country="Norway"
        )
        print(f"Structured: {city!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
