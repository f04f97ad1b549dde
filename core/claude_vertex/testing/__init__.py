"""A loopback emulator of Claude on Vertex AI, for testing apps offline.

:class:`VertexEmulator` serves the Vertex model routes (``rawPredict``, ``streamRawPredict``,
``count-tokens``), Google's OAuth token endpoint and IAM ``generateAccessToken`` on
``127.0.0.1``; it checks requests the way Vertex does and answers deterministically.
:class:`Fault` makes it fail on demand; :class:`RecordedRequest` is one entry of its
request log. The pytest plugin :mod:`claude_vertex.testing.pytest_plugin` provides the
``vertex_emulator`` and ``vertex_key_file`` fixtures.
"""

from __future__ import annotations

from .faults import Fault
from .server import RecordedRequest, VertexEmulator

__all__ = ["Fault", "RecordedRequest", "VertexEmulator"]
