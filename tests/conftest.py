"""Shared fixtures: a hermetic environment and clients aimed at the loopback emulator.

The emulator fixtures (``vertex_emulator``, ``vertex_key_file``) come from the package's own
pytest plugin, registered by its ``pytest11`` entry point: the suite uses it exactly as users do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claude_vertex import Settings, VertexClient, resolve_settings
from claude_vertex.call_policy import forget_warnings
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--soak``: the long soaks of tests/system/test_soak.py, as ``CLAUDE_VERTEX_SOAK=1``."""
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the long soak tests: 5,000 calls each at concurrency 50 under random "
        "faults, and with cancellations and hostile replies (CLAUDE_VERTEX_SOAK=1 does the same)",
    )


#: Variables that would let the machine's own Google setup leak into a test.
_ENV = (
    "ANTHROPIC_VERTEX_PROJECT_ID",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "CLOUD_ML_REGION",
    "ANTHROPIC_VERTEX_BASE_URL",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "CLOUDSDK_CONFIG",
)


@pytest.fixture(autouse=True)
def fresh_policy_warnings() -> None:
    """Each test sees the call policy's once-per-process warnings afresh."""
    forget_warnings()


@pytest.fixture(autouse=True)
def hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the machine's Google Cloud configuration or reaches a metadata server."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")
    monkeypatch.setenv("NO_GCE_CHECK", "True")


@pytest.fixture
def make_settings(vertex_emulator: VertexEmulator, vertex_key_file: Path) -> MakeSettings:
    """Settings aimed at the emulator with the service-account key file, overridable."""

    def make(**overrides: Any) -> Settings:
        kwargs: dict[str, Any] = {
            "model": "claude-sonnet-4-5",
            "project": vertex_emulator.project,
            "base_url": vertex_emulator.base_url,
            "credentials": vertex_key_file,
        }
        kwargs.update(overrides)
        return resolve_settings(**kwargs)

    return make


@pytest.fixture
def client(make_settings: MakeSettings) -> Iterator[VertexClient]:
    """A core client on the emulator, using the real service-account token flow."""
    with VertexClient(make_settings(), max_retries=0) as vertex_client:
        yield vertex_client


@pytest.fixture
def model_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows added with ``register_model`` last for the test only."""
    import claude_vertex.models as models

    monkeypatch.setattr(models, "_BY_ID", dict(models._BY_ID))
    monkeypatch.setattr(models, "_REGISTERED", {})
