"""Pytest fixtures for testing against the Vertex emulator.

Registered as the ``claude_vertex`` pytest plugin (entry point ``pytest11``), or load it with
``pytest_plugins = ["claude_vertex.testing.pytest_plugin"]`` in a ``conftest.py``.

Fixtures:
    vertex_emulator_session: one running :class:`VertexEmulator` for the whole session.
    vertex_emulator: the same emulator, :meth:`~VertexEmulator.reset` before each test, with
        the process's circuit breakers closed again, so no test inherits another's faults.
    vertex_key_file: a service-account key file whose ``token_uri`` is the emulator's.

Every pytest run in an environment with claude-vertex loads this module, so it imports nothing
of the emulator until a fixture is used; without the ``testing`` extra, only the tests that use
a fixture fail, saying what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from . import EmulatorUnavailableError

if TYPE_CHECKING:
    from .emulator import VertexEmulator

__all__ = ["vertex_emulator", "vertex_emulator_session", "vertex_key_file"]


def _emulator_class() -> type[VertexEmulator]:
    try:
        from . import VertexEmulator
    except EmulatorUnavailableError as missing:
        pytest.fail(str(missing), pytrace=False)
    return VertexEmulator


@pytest.fixture(scope="session")
def vertex_emulator_session() -> Iterator[VertexEmulator]:
    """A :class:`VertexEmulator` on a free port, shared by the whole test session."""
    with _emulator_class()(port=0, project="test-project") as emulator:
        yield emulator


@pytest.fixture
def vertex_emulator(vertex_emulator_session: VertexEmulator) -> VertexEmulator:
    """The session's emulator with empty request logs, no faults and default availability.

    The client side's circuit breakers are closed too: they are per process, and a fault
    injected by one test must not make the next one skip an endpoint.
    """
    from claude_vertex.failover import BREAKERS

    vertex_emulator_session.reset()
    BREAKERS.reset()
    return vertex_emulator_session


@pytest.fixture
def vertex_key_file(vertex_emulator: VertexEmulator, tmp_path: Path) -> Path:
    """A service-account JSON key file (in ``tmp_path``) whose ``token_uri`` is the emulator's."""
    return vertex_emulator.write_service_account_key(tmp_path / "vertex-service-account.json")
