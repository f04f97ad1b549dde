"""Say "Hey Claude!" to Claude on Vertex AI through the claude-vertex core.

With a Google Cloud project and credentials configured (``GOOGLE_CLOUD_PROJECT`` or
``ANTHROPIC_VERTEX_PROJECT_ID``, plus ``gcloud auth application-default login`` or
``GOOGLE_APPLICATION_CREDENTIALS``) this calls real Vertex AI. Without them it starts the
built-in loopback emulator and says so on its first line.

    python3 dev.py demo            # from the repository root
    python examples/quickstart.py  # where claude-vertex is installed
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack

from _connection import connection

from claude_vertex import VertexClient, resolve_model, resolve_settings

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-5")


def main() -> int:
    with ExitStack() as stack:
        settings = resolve_settings(model=MODEL, **connection(stack))

        client = stack.enter_context(VertexClient(settings))
        message = client.create(
            {
                "model": MODEL,
                "max_tokens": 256,
                "messages": [{"role": "user", "content": "Hey Claude!"}],
            }
        )
        text = "".join(block.text for block in message.content if block.type == "text")
        print(f"Claude ({resolve_model(MODEL).vertex_id}): {text}")
        usage = message.usage
        pricing = resolve_model(MODEL).pricing
        cost = (
            pricing.cost(
                region=settings.region,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
            )
            if pricing
            else 0.0
        )
        print(
            f"usage: {usage.input_tokens} input + {usage.output_tokens} output tokens "
            f"(about ${cost:.6f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
