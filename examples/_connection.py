"""Where the examples send their calls: real Vertex AI when configured, else the emulator.

Every example starts with ``connection(stack)``: keyword arguments for ``resolve_settings``,
``ChatClaudeVertex`` or ``ClaudeVertex``. With a Google Cloud project and local credentials
they are empty (everything resolves from the environment); without, the built-in loopback
emulator is started (kept open by ``stack``) and they aim at it. The first line printed says
which.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any


def google_cloud_configured() -> bool:
    """True when a project and local credentials are configured (no network is touched)."""
    project = any(
        os.environ.get(name)
        for name in ("ANTHROPIC_VERTEX_PROJECT_ID", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT")
    )
    key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if os.name == "nt":
        gcloud_dir = Path(os.environ.get("APPDATA", "~")) / "gcloud"
    else:
        gcloud_dir = Path("~/.config/gcloud")
    gcloud_dir = Path(os.environ.get("CLOUDSDK_CONFIG", gcloud_dir)).expanduser()
    adc = (bool(key_file) and Path(key_file).is_file()) or (
        gcloud_dir / "application_default_credentials.json"
    ).is_file()
    return project and adc


def connection(stack: ExitStack) -> dict[str, Any]:
    """Arguments that aim a model at Vertex AI, or at an emulator started in ``stack``."""
    if google_cloud_configured():
        print("Using Vertex AI with your Google Cloud project and credentials.")
        return {}
    from claude_vertex.testing import VertexEmulator

    emulator = stack.enter_context(VertexEmulator())
    key_dir = stack.enter_context(tempfile.TemporaryDirectory())
    key_file = emulator.write_service_account_key(Path(key_dir) / "key.json")
    print(
        "No Google Cloud project and credentials found, so this runs against the built-in "
        "Vertex emulator on loopback. To use Vertex AI, run `gcloud auth "
        "application-default login` and set GOOGLE_CLOUD_PROJECT=<your project>."
    )
    return {
        "project": emulator.project,
        "base_url": emulator.base_url,
        "credentials": str(key_file),
    }
