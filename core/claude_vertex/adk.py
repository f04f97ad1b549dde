"""Google ADK's ``Claude`` model on claude_vertex's drop-in client (the ``adk`` extra).

ADK's ``google.adk.models.anthropic_llm.Claude`` builds the anthropic SDK's own Vertex client
from ``GOOGLE_CLOUD_PROJECT`` and ``GOOGLE_CLOUD_LOCATION``. Later ADK 2 releases can be given a
client instead; ADK 1 and the early 2.x releases cannot, and ADK 1 calls a synchronous one.
:class:`ClaudeVertexADK` takes a
:class:`~claude_vertex.AsyncAnthropicVertex` on every ADK release from 1.14 (or builds one
from the environment, as :func:`~claude_vertex.resolve_settings` resolves it), and hands ADK
the form its release calls: so project, region, failover, the shared token and typed errors
are claude_vertex's, and each request is a well-formed Vertex request.

    from google.adk.agents import LlmAgent
    from claude_vertex import AsyncAnthropicVertex
    from claude_vertex.adk import ClaudeVertexADK

    agent = LlmAgent(
        name="assistant",
        model=ClaudeVertexADK(model="claude-sonnet-4-6", client=AsyncAnthropicVertex()),
        tools=[get_weather],
    )
"""

from __future__ import annotations

from functools import cached_property

from pydantic import Field

try:
    from google.adk.models import anthropic_llm
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        'claude_vertex.adk needs Google ADK: pip install "claude-vertex[adk]"'
    ) from missing

from .anthropic_clients import AnthropicVertex, AsyncAnthropicVertex

__all__ = ["ADK_CALLS_ASYNC_CLIENT", "ClaudeVertexADK"]

#: True where ADK's ``Claude`` awaits an ``AsyncAnthropicVertex`` (ADK 2); False where it
#: calls a synchronous ``AnthropicVertex`` (ADK 1).
ADK_CALLS_ASYNC_CLIENT: bool = hasattr(anthropic_llm, "AsyncAnthropicVertex")


class ClaudeVertexADK(anthropic_llm.Claude):
    """ADK's ``Claude`` model class, sending through claude_vertex's drop-in client.

    Attributes:
        model: The Claude model: an alias (``claude-sonnet-4-6``), a first-party id or a
            Vertex id.
        client: The drop-in client to send through; by default one built from the
            environment (project, region and credentials as ``resolve_settings`` finds them;
            without a region, each call goes to its model's default endpoint).
    """

    model: str = "claude-sonnet-4-6"
    client: AsyncAnthropicVertex | None = Field(default=None, exclude=True)

    @cached_property
    def _anthropic_client(self) -> AsyncAnthropicVertex | AnthropicVertex:  # type: ignore[override]
        """The client ADK calls: the async drop-in on ADK 2, its sync twin on ADK 1."""
        client = self.client if self.client is not None else AsyncAnthropicVertex()
        if ADK_CALLS_ASYNC_CLIENT:
            return client
        return AnthropicVertex(_state=client._state)
