"""claude-vertex: Claude on Google Vertex AI, shared by the LangChain and LlamaIndex adapters.

The core is framework-free. Typical use::

    from claude_vertex import VertexClient, resolve_settings

    client = VertexClient(resolve_settings(model="claude-sonnet-4-5"))
    message = client.create({
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": "Hey Claude!"}],
    })

Agent frameworks that take an anthropic client get :class:`AnthropicVertex` and
:class:`AsyncAnthropicVertex`, the SDK's Vertex clients sending through the core.

Batch prediction jobs (many requests as one job on Vertex, results back by ``custom_id``) are
:class:`BatchClient`'s, in :mod:`claude_vertex.batch`; those names load on first use, so
``import claude_vertex`` loads no batch code (and never google-cloud-storage, the ``batch``
extra, which staging needs).

``claude_vertex.testing`` holds a loopback Vertex emulator for offline tests.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .anthropic_clients import AnthropicVertex, AsyncAnthropicVertex
from .api_version import VERTEX_ANTHROPIC_VERSION
from .call_policy import (
    CallPolicyWarning,
    ModelDeprecationWarning,
    apply_call_policy,
    merge_params,
    strict_tool,
    tool_choice_param,
)
from .client import (
    AsyncMessageStream,
    MessageStream,
    VertexBetaMessage,
    VertexClient,
    VertexMessage,
)
from .cost import BATCH_PRICE_FACTOR, COST_KEY, CostTotals, CostTotalsSnapshot, cost_of, usage_cost
from .credentials import Impersonation, TokenProvider, token_provider
from .endpoints import base_url_for_region
from .errors import (
    AuthenticationError,
    ClaudeVertexError,
    ConfigurationError,
    CredentialsError,
    DataSharingRequiredError,
    InvalidRequestError,
    MalformedResponseError,
    MediaError,
    MessageValidationError,
    MissingExtraError,
    ModelNotEnabledError,
    ModelNotFoundError,
    ModelNotServableInRegionError,
    OverloadedError,
    ParameterError,
    PermissionDeniedError,
    PromptTooLongError,
    QuotaExhaustedError,
    ServerError,
    StreamInterruptedError,
    StreamOrderError,
    UnsupportedOnVertexError,
    VertexAPIError,
    VertexConnectionError,
)
from .media import Media, aload_media, load_media, local_media_dirs
from .media_sources import MediaSource, aresolve_media, resolve_media
from .models import (
    EFFORTS,
    MODELS,
    Effort,
    ModelInfo,
    Pricing,
    all_models,
    default_region,
    register_model,
    resolve_model,
)
from .settings import Settings, resolve_settings
from .stream_accumulator import StreamAccumulator
from .tool_arguments import parse_tool_arguments
from .transform import VertexBetaWarning, VertexRequest, build_request
from .usage import UsageCounts, usage_counts

if TYPE_CHECKING:
    from .batch import (
        AsyncBatchClient,
        BatchClient,
        BatchInputError,
        BatchItemError,
        BatchJob,
        BatchJobNotFoundError,
        BatchJobState,
        BatchLineError,
        BatchRequest,
        BatchResult,
        BatchResults,
    )

#: Names of :mod:`claude_vertex.batch`, imported from there on first use.
_BATCH_NAMES = frozenset(
    {
        "AsyncBatchClient",
        "BatchClient",
        "BatchInputError",
        "BatchItemError",
        "BatchJob",
        "BatchJobNotFoundError",
        "BatchJobState",
        "BatchLineError",
        "BatchRequest",
        "BatchResult",
        "BatchResults",
    }
)


def __getattr__(name: str) -> Any:
    if name not in _BATCH_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(".batch", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BATCH_PRICE_FACTOR",
    "COST_KEY",
    "EFFORTS",
    "MODELS",
    "VERTEX_ANTHROPIC_VERSION",
    "AnthropicVertex",
    "AsyncAnthropicVertex",
    "AsyncBatchClient",
    "AsyncMessageStream",
    "AuthenticationError",
    "BatchClient",
    "BatchInputError",
    "BatchItemError",
    "BatchJob",
    "BatchJobNotFoundError",
    "BatchJobState",
    "BatchLineError",
    "BatchRequest",
    "BatchResult",
    "BatchResults",
    "CallPolicyWarning",
    "ClaudeVertexError",
    "ConfigurationError",
    "CostTotals",
    "CostTotalsSnapshot",
    "CredentialsError",
    "DataSharingRequiredError",
    "Effort",
    "Impersonation",
    "InvalidRequestError",
    "MalformedResponseError",
    "Media",
    "MediaError",
    "MediaSource",
    "MessageStream",
    "MessageValidationError",
    "MissingExtraError",
    "ModelDeprecationWarning",
    "ModelInfo",
    "ModelNotEnabledError",
    "ModelNotFoundError",
    "ModelNotServableInRegionError",
    "OverloadedError",
    "ParameterError",
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
    "UnsupportedOnVertexError",
    "UsageCounts",
    "VertexAPIError",
    "VertexBetaMessage",
    "VertexBetaWarning",
    "VertexClient",
    "VertexConnectionError",
    "VertexMessage",
    "VertexRequest",
    "__version__",
    "all_models",
    "aload_media",
    "apply_call_policy",
    "aresolve_media",
    "base_url_for_region",
    "build_request",
    "cost_of",
    "default_region",
    "load_media",
    "local_media_dirs",
    "merge_params",
    "parse_tool_arguments",
    "register_model",
    "resolve_media",
    "resolve_model",
    "resolve_settings",
    "strict_tool",
    "token_provider",
    "tool_choice_param",
    "usage_cost",
    "usage_counts",
]
