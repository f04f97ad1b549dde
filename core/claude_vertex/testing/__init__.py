"""A loopback emulator of Claude on Vertex AI, for testing apps offline.

:class:`VertexEmulator` serves the Vertex model routes (``rawPredict``, ``streamRawPredict``,
``count-tokens``), Google's OAuth token endpoint and IAM ``generateAccessToken``, a Cloud
Storage JSON API subset and the ``batchPredictionJobs`` resource on ``127.0.0.1``; it checks
requests the way Vertex does and answers deterministically.
:class:`Fault` makes it fail on demand; :class:`RecordedRequest` is one entry of its
request log. The pytest plugin :mod:`claude_vertex.testing.pytest_plugin` provides the
``vertex_emulator`` and ``vertex_key_file`` fixtures.

The emulator needs the ``testing`` extra (``pip install "claude-vertex[testing]"``). Its modules
load on first use of a name, so the pytest plugin costs nothing in a test run that never uses
its fixtures, and a missing extra is reported only where the emulator is wanted.

Its modules, from the outside in: ``emulator`` (:class:`VertexEmulator`), ``server`` (HTTP
plumbing), ``routing`` (which path is which route), ``front_door`` (Google's checks),
``auth`` (tokens and keys), ``cloud_storage`` (the JSON API) over ``storage`` (objects on
disk) and ``checksums``, ``batch_jobs`` (the job resource) with ``batch_job`` (one job's run)
and ``batch_faults``, ``faults``, ``request_log``, ``rules`` (what Vertex rejects),
``model_layer`` (one body in, the answer out); the emulated model: ``answers`` (what it says), with
``prompt_text``, ``tool_choice``, ``react``, ``citations``, ``schema_examples``, ``thinking``;
wire shapes: ``messages``, ``sse``, ``replies``, ``error_bodies``; usage: ``tokens``,
``prompt_cache``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import VertexEmulator
    from .faults import Fault
    from .request_log import RecordedRequest

__all__ = ["EmulatorUnavailableError", "Fault", "RecordedRequest", "VertexEmulator"]

#: Where each public name lives.
_HOMES = {"Fault": ".faults", "RecordedRequest": ".request_log", "VertexEmulator": ".emulator"}

#: What to install when the emulator's own dependencies are missing.
MISSING_EXTRA = (
    "The Vertex emulator needs the claude-vertex 'testing' extra: "
    'pip install "claude-vertex[testing]" (missing: {name}).'
)


class EmulatorUnavailableError(ImportError):
    """The emulator's dependencies are not installed (the ``testing`` extra is missing)."""


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = import_module(_HOMES[name], __name__)
    except ModuleNotFoundError as missing:
        if missing.name is None or missing.name.startswith("claude_vertex"):
            raise
        raise EmulatorUnavailableError(MISSING_EXTRA.format(name=missing.name)) from None
    return getattr(module, name)
