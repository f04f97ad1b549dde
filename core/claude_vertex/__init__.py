"""claude-vertex: Claude on Google Vertex AI, shared by the LangChain and LlamaIndex adapters.

The core is framework-free. Typical use::

    from claude_vertex import VertexClient, resolve_settings

    client = VertexClient(resolve_settings(model="claude-sonnet-4-5"))
    message = client.create({
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hey Claude!"}],
    })

``claude_vertex.testing`` holds a loopback Vertex emulator for offline tests.
"""

from __future__ import annotations

from ._version import __version__
from .client import AsyncMessageStream, MessageStream, VertexClient, VertexMessage
from .credentials import Impersonation, TokenProvider, token_provider
from .endpoints import base_url_for_region
from .errors import (
    AuthenticationError,
    ClaudeVertexError,
    ConfigurationError,
    CredentialsError,
    InvalidRequestError,
    MalformedResponseError,
    MediaError,
    MessageValidationError,
    ModelNotFoundError,
    ModelNotServableInRegionError,
    OverloadedError,
    PermissionDeniedError,
    PromptTooLongError,
    QuotaExhaustedError,
    ServerError,
    StreamInterruptedError,
    StreamOrderError,
    VertexAPIError,
    VertexConnectionError,
)
from .media import Media, aload_media, load_media, local_media_dirs
from .models import MODELS, ModelInfo, Pricing, default_region, resolve_model
from .settings import Settings, resolve_settings
from .stream_accumulator import StreamAccumulator
from .tool_arguments import parse_tool_arguments
from .transform import VERTEX_ANTHROPIC_VERSION, VertexBetaWarning, VertexRequest, build_request
from .usage import UsageCounts, usage_counts

__all__ = [
    "MODELS",
    "VERTEX_ANTHROPIC_VERSION",
    "AsyncMessageStream",
    "AuthenticationError",
    "ClaudeVertexError",
    "ConfigurationError",
    "CredentialsError",
    "Impersonation",
    "InvalidRequestError",
    "MalformedResponseError",
    "Media",
    "MediaError",
    "MessageStream",
    "MessageValidationError",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelNotServableInRegionError",
    "OverloadedError",
    "PermissionDeniedError",
    "Pricing",
    "PromptTooLongError",
    "QuotaExhaustedError",
    "ServerError",
    "Settings",
    "StreamAccumulator",
    "StreamInterruptedError",
    "StreamOrderError",
    "TokenProvider",
    "UsageCounts",
    "VertexAPIError",
    "VertexBetaWarning",
    "VertexClient",
    "VertexConnectionError",
    "VertexMessage",
    "VertexRequest",
    "__version__",
    "aload_media",
    "base_url_for_region",
    "build_request",
    "default_region",
    "load_media",
    "local_media_dirs",
    "parse_tool_arguments",
    "resolve_model",
    "resolve_settings",
    "token_provider",
    "usage_counts",
]
