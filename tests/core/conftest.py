"""The core's tests: only ``claude-vertex[testing]`` and the test tools need be installed.

Nothing under ``tests/core`` imports LangChain or LlamaIndex, so ``pytest tests/core`` proves the
core stands alone. The fixtures ``make_settings`` and ``client`` come from ``tests/conftest.py``;
the emulator's (``vertex_emulator``, ``vertex_key_file``) from the package's own pytest plugin.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from claude_vertex.cli import main
from claude_vertex.testing import VertexEmulator
from tests.core.cli_process import SLOW, WAIT, Done, SlowAnswer, cli_environ, wait_for


@pytest.fixture
def cli_env(vertex_emulator: VertexEmulator, vertex_key_file: Path) -> dict[str, str]:
    """The environment of a ``claude-vertex`` process aimed at the emulator."""
    return cli_environ(vertex_emulator, vertex_key_file)


@pytest.fixture
def cli_main(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Done]:
    """Runs ``claude-vertex ARGV`` in this process, ``stdin`` piped in, in ``cli_env``."""
    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)

    def run(*argv: str, stdin: str = "") -> Done:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        status = main(list(argv))
        out, err = capsys.readouterr()
        return Done(status, out, err)

    return run


@pytest.fixture
def slow_answer(vertex_emulator: VertexEmulator) -> Iterator[SlowAnswer]:
    """A :class:`SlowAnswer`; after the test, the emulator finishes the stopped answer (to a
    closed connection) before the next test, so no test sees another's request in flight."""
    assert vertex_emulator.in_flight == 0
    yield SlowAnswer(vertex_emulator)
    wait_for(lambda: vertex_emulator.in_flight == 0, "the slow answer to end", SLOW + WAIT)


@pytest.fixture
def at_emulator(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> VertexEmulator:
    """The emulator, with the process environment pointing at it as `environ()` says.

    What a user's shell holds after ``export``-ing what ``claude-vertex emulator`` prints:
    commands run in the test process (``main([...])``) configure themselves from it.
    """
    for name, value in vertex_emulator.environ(vertex_key_file).items():
        monkeypatch.setenv(name, value)
    return vertex_emulator


@pytest.fixture
def cloud_storage() -> None:
    """Skip where google-cloud-storage (the ``batch`` extra) is not installed.

    The core-only suite (tests/system/test_packaging.py) installs ``claude-vertex[testing]``
    alone: there, batch jobs can be refused and checked, but not staged.
    """
    pytest.importorskip("google.cloud.storage", reason="the batch extra is not installed")
