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
import tempfile
from contextlib import ExitStack
from pathlib import Path

from claude_vertex import VertexClient, resolve_model, resolve_settings

MODEL = os.environ.get("CLAUDE_VERTEX_MODEL", "claude-sonnet-4-5")


def google_cloud_configured() -> bool:
    """True when a project and local credentials are configured (no network is touched)."""
    project = any(os.environ.get(name) for name in
                  ("ANTHROPIC_VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"))
    key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if os.name == "nt":
        gcloud_dir = Path(os.environ.get("APPDATA", "~")) / "gcloud"
    else:
        gcloud_dir = Path("~/.config/gcloud")
    gcloud_dir = Path(os.environ.get("CLOUDSDK_CONFIG", gcloud_dir)).expanduser()
    adc = (bool(key_file) and Path(key_file).is_file()) or (
        gcloud_dir / "application_default_credentials.json").is_file()
    return project and adc


def main() -> int:
    with ExitStack() as stack:
        if google_cloud_configured():
            settings = resolve_settings(model=MODEL)
            print(f"Using Vertex AI: project {settings.project}, region {settings.region}.")
        else:
            from claude_vertex.testing import VertexEmulator

            emulator = stack.enter_context(VertexEmulator())
            key_dir = stack.enter_context(tempfile.TemporaryDirectory())
            key_file = emulator.write_service_account_key(Path(key_dir) / "key.json")
            print("No Google Cloud project and credentials found, so this runs against the "
                  "built-in Vertex emulator on loopback. To use Vertex AI, run `gcloud auth "
                  "application-default login` and set GOOGLE_CLOUD_PROJECT=<your project>.")
            settings = resolve_settings(model=MODEL, project=emulator.project,
                                        base_url=emulator.base_url, credentials=key_file)

        client = stack.enter_context(VertexClient(settings))
        message = client.create({
            "model": MODEL,
            "max_tokens": 256,
            "messages": [{"role": "user", "content": "Hey Claude!"}],
        })
        text = "".join(block.text for block in message.content if block.type == "text")
        print(f"Claude ({resolve_model(MODEL).vertex_id}): {text}")
        usage = message.usage
        pricing = resolve_model(MODEL).pricing
        cost = pricing.cost(region=settings.region, input_tokens=usage.input_tokens,
                            output_tokens=usage.output_tokens) if pricing else 0.0
        print(f"usage: {usage.input_tokens} input + {usage.output_tokens} output tokens "
              f"(about ${cost:.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
