"""The examples run as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_says_it_uses_the_emulator_and_prints_a_reply(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_", "GCLOUD_", "ANTHROPIC_VERTEX_", "CLOUD_ML_"))}
    env["CLOUDSDK_CONFIG"] = str(tmp_path / "no-gcloud")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "emulator" in lines[0]
    assert "gcloud auth application-default login" in lines[0]
    assert "Hello! You said: Hey Claude!" in done.stdout
    assert "claude-sonnet-4-5@20250929" in done.stdout
