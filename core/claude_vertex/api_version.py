"""The version of the Messages API on Vertex AI, which every request body names.

A module of its own so that settings (its default) and the request transform (which writes it
into the body) both import it without one depending on the other.
"""

from __future__ import annotations

__all__ = ["VERTEX_ANTHROPIC_VERSION"]

#: The ``anthropic_version`` Vertex expects in the body.
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
