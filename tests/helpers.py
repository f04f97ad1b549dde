"""Small builders shared by the tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claude_vertex import Settings, token_provider
from claude_vertex.testing import VertexEmulator

#: The ``make_settings`` fixture's type: settings aimed at the emulator, overridable.
MakeSettings = Callable[..., Settings]


def hello(**extra: Any) -> dict[str, Any]:
    """A small Messages API call."""
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hey Claude!"}],
        **extra,
    }


def secrets_of(emulator: VertexEmulator, key_file: Path) -> list[str]:
    """The private key of the key file, and the token its provider holds."""
    info = json.loads(key_file.read_text())
    key_body = info["private_key"].splitlines()[1]
    return [key_body, token_provider(key_file).token()]


def user_credentials(
    emulator: VertexEmulator, refresh_token: str | None = None, *, quota_project: bool = False
) -> Any:
    """gcloud-style user credentials (a ``google.oauth2.credentials.Credentials``) that refresh
    at the emulator, with its refresh token unless another (a revoked one, say) is given.

    google-auth pins the token_uri of authorized-user *files* to Google's endpoint, so they are
    built as an object, as gcloud's ADC loader does.
    """
    from google.oauth2 import credentials

    info = emulator.authorized_user_info()
    return credentials.Credentials(
        token=None,
        refresh_token=refresh_token or info["refresh_token"],
        token_uri=info["token_uri"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        quota_project_id=info["quota_project_id"] if quota_project else None,
    )


def sonnet_4_5_dollars(
    *,
    input_tokens: int,
    output_tokens: int,
    cache_read: int = 0,
    cache_write: int = 0,
    regional: bool = False,
) -> float:
    """Claude Sonnet 4.5's price of a call, written out from Anthropic's price list.

    Per million tokens: input $3, output $15, cache read $0.30, 5-minute cache write $3.75;
    regional and multi-region endpoints 10% more. Independent of the model table on purpose.
    """
    dollars = (
        input_tokens * 3.0 + output_tokens * 15.0 + cache_read * 0.30 + cache_write * 3.75
    ) / 1_000_000
    return dollars * 1.10 if regional else dollars


#: asyncio debug mode's report of a task step that held the loop over 0.1 s. On a loaded
#: two-core machine a full garbage collection (~180k objects) alone can take that long, so it
#: says how fast the machine is, not that anything was left behind.
_SLOW_STEP = re.compile(r"Executing <.*> took \d+\.\d+ seconds")


def run_strict(program: str, emulator: VertexEmulator, key_file: Path) -> tuple[int, str, str]:
    """Run a Python program as a user's script against the emulator, in Python's dev mode with
    ``ResourceWarning`` an error: its exit code, stdout and what it printed to stderr (but for
    asyncio's timing reports of slow steps)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("GOOGLE_", "GCLOUD_", "ANTHROPIC_VERTEX_", "CLOUD_ML_", "CLAUDE_VERTEX")
        )
    }
    env.update(emulator.environ(key_file))
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", program],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    stderr = "".join(
        line
        for line in done.stderr.splitlines(keepends=True)
        if not _SLOW_STEP.fullmatch(line.strip())
    )
    return done.returncode, done.stdout, stderr
