"""The Claude models Vertex AI serves, as one table, and the resolution of model ids.

Every model fact the package uses (ids, limits, features, where a model is served, prices)
comes from ``MODELS``. A new model is a new row. An id that is not in the table is never an
error: it passes through unchanged with :data:`DEFAULT_LIMITS`, because Google can serve a
model before this table knows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

__all__ = [
    "MODELS",
    "ModelInfo",
    "Pricing",
    "default_region",
    "resolve_model",
]

#: Regions that are multi-region endpoints rather than single Google Cloud regions.
MULTI_REGIONS = ("us", "eu")


@dataclass(frozen=True)
class Pricing:
    """Prices in US dollars per million tokens on the global endpoint."""

    input: float
    output: float
    cache_write: float
    cache_read: float
    #: Multiplier on regional (and multi-region) endpoints: 1.10 from Claude Sonnet 4.5 on.
    regional_multiplier: float = 1.0

    def cost(
        self,
        *,
        region: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_creation_input_tokens: int = 0,
        cache_read_input_tokens: int = 0,
    ) -> float:
        """The price in US dollars of one call's usage on ``region``."""
        total = (
            input_tokens * self.input
            + output_tokens * self.output
            + cache_creation_input_tokens * self.cache_write
            + cache_read_input_tokens * self.cache_read
        ) / 1_000_000
        return total if region == "global" else total * self.regional_multiplier


@dataclass(frozen=True)
class ModelInfo:
    """What the package knows of one Claude model on Vertex AI."""

    #: The id Vertex puts in the URL, e.g. ``claude-sonnet-4-5@20250929``.
    vertex_id: str
    #: The id of the first-party API, e.g. ``claude-sonnet-4-5-20250929``.
    first_party_id: str
    #: The short name, e.g. ``claude-sonnet-4-5``.
    alias: str
    context_window: int
    max_output_tokens: int
    #: Extended thinking with ``{"type": "enabled", "budget_tokens": N}``.
    thinking: bool
    #: Adaptive thinking, ``{"type": "adaptive"}``.
    adaptive_thinking: bool
    #: The ``effort`` setting of ``output_config``.
    effort: bool
    #: Structured outputs through ``output_config.format``.
    structured_outputs: bool
    #: Whether the global endpoint serves the model.
    global_endpoint: bool
    #: The regional and multi-region endpoints that serve the model.
    regions: tuple[str, ...]
    pricing: Pricing | None
    #: False for ids that are not in the table (facts are defaults, not knowledge).
    known: bool = field(default=True, compare=False)

    @property
    def served_in(self) -> tuple[str, ...]:
        """Every endpoint that serves the model, ``global`` first where it does."""
        return (("global",) if self.global_endpoint else ()) + self.regions

    def is_served_in(self, region: str) -> bool:
        """Whether ``region`` serves the model; always true for a model the table does not know."""
        return not self.known or region in self.served_in


# Shorthands for the table below, read as "served in".
_US_EU = ("us", "eu")
_NEW = ("us-east5", "us-central1", "europe-west1", "europe-west4", "asia-east1", "asia-southeast1")
_OLD = ("us-east5", "europe-west1", "asia-southeast1")

_PRICE_OPUS_NEW = Pricing(5.0, 25.0, 6.25, 0.50, regional_multiplier=1.10)
_PRICE_SONNET_NEW = Pricing(3.0, 15.0, 3.75, 0.30, regional_multiplier=1.10)
_PRICE_HAIKU_NEW = Pricing(1.0, 5.0, 1.25, 0.10, regional_multiplier=1.10)
_PRICE_OPUS_OLD = Pricing(15.0, 75.0, 18.75, 1.50)
_PRICE_SONNET_OLD = Pricing(3.0, 15.0, 3.75, 0.30)


def _row(
    vertex_id: str,
    alias: str,
    *,
    first_party_id: str | None = None,
    context_window: int = 200_000,
    max_output_tokens: int,
    thinking: bool = True,
    adaptive_thinking: bool = False,
    effort: bool = False,
    structured_outputs: bool = False,
    global_endpoint: bool,
    regions: tuple[str, ...],
    pricing: Pricing,
) -> ModelInfo:
    return ModelInfo(
        vertex_id=vertex_id,
        first_party_id=first_party_id or vertex_id.replace("@", "-"),
        alias=alias,
        context_window=context_window,
        max_output_tokens=max_output_tokens,
        thinking=thinking,
        adaptive_thinking=adaptive_thinking,
        effort=effort,
        structured_outputs=structured_outputs,
        global_endpoint=global_endpoint,
        regions=regions,
        pricing=pricing,
    )


#: The model table, newest first.
MODELS: tuple[ModelInfo, ...] = (
    _row(
        "claude-opus-4-6",
        "claude-opus-4-6",
        max_output_tokens=128_000,
        adaptive_thinking=True,
        effort=True,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_OPUS_NEW,
    ),
    _row(
        "claude-sonnet-4-6",
        "claude-sonnet-4-6",
        max_output_tokens=64_000,
        adaptive_thinking=True,
        effort=True,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_SONNET_NEW,
    ),
    _row(
        "claude-opus-4-5@20251101",
        "claude-opus-4-5",
        max_output_tokens=64_000,
        effort=True,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_OPUS_NEW,
    ),
    _row(
        "claude-haiku-4-5@20251001",
        "claude-haiku-4-5",
        max_output_tokens=64_000,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_HAIKU_NEW,
    ),
    _row(
        "claude-sonnet-4-5@20250929",
        "claude-sonnet-4-5",
        max_output_tokens=64_000,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_SONNET_NEW,
    ),
    _row(
        "claude-opus-4-1@20250805",
        "claude-opus-4-1",
        max_output_tokens=32_000,
        structured_outputs=True,
        global_endpoint=False,
        regions=("us-east5", "europe-west1"),
        pricing=_PRICE_OPUS_OLD,
    ),
    _row(
        "claude-opus-4@20250514",
        "claude-opus-4",
        max_output_tokens=32_000,
        global_endpoint=False,
        regions=("us-east5", "europe-west1"),
        pricing=_PRICE_OPUS_OLD,
    ),
    _row(
        "claude-sonnet-4@20250514",
        "claude-sonnet-4",
        max_output_tokens=64_000,
        global_endpoint=False,
        regions=("us-east5", "europe-west1", "asia-east1"),
        pricing=_PRICE_SONNET_OLD,
    ),
    _row(
        "claude-3-7-sonnet@20250219",
        "claude-3-7-sonnet",
        max_output_tokens=64_000,
        global_endpoint=False,
        regions=_OLD,
        pricing=_PRICE_SONNET_OLD,
    ),
    _row(
        "claude-3-5-sonnet-v2@20241022",
        "claude-3-5-sonnet-v2",
        first_party_id="claude-3-5-sonnet-20241022",
        max_output_tokens=8_192,
        thinking=False,
        global_endpoint=False,
        regions=_OLD,
        pricing=_PRICE_SONNET_OLD,
    ),
    _row(
        "claude-3-5-haiku@20241022",
        "claude-3-5-haiku",
        max_output_tokens=8_192,
        thinking=False,
        global_endpoint=False,
        regions=("us-east5",),
        pricing=Pricing(0.80, 4.0, 1.0, 0.08),
    ),
    _row(
        "claude-3-opus@20240229",
        "claude-3-opus",
        max_output_tokens=4_096,
        thinking=False,
        global_endpoint=False,
        regions=("us-east5",),
        pricing=_PRICE_OPUS_OLD,
    ),
    _row(
        "claude-3-haiku@20240307",
        "claude-3-haiku",
        max_output_tokens=4_096,
        thinking=False,
        global_endpoint=False,
        regions=_OLD,
        pricing=Pricing(0.25, 1.25, 0.30, 0.03),
    ),
)

#: Limits given to an id the table does not know: the smallest a current Claude model has.
DEFAULT_LIMITS = {"context_window": 200_000, "max_output_tokens": 8_192}

_BY_ID: dict[str, ModelInfo] = {}
for _info in MODELS:
    for _key in (_info.vertex_id, _info.first_party_id, _info.alias):
        _BY_ID.setdefault(_key, _info)

_VERSION_SUFFIX = re.compile(r"@[^@]*$")


def resolve_model(model: str) -> ModelInfo:
    """Resolve any form of a model id to its :class:`ModelInfo`.

    ``claude-sonnet-4-5``, ``claude-sonnet-4-5-20250929`` and ``claude-sonnet-4-5@20250929``
    all give the row of ``claude-sonnet-4-5@20250929``. An id the table does not know is
    returned unchanged as ``vertex_id``; if its part before ``@`` names a known model (as in
    ``claude-sonnet-4-5@default``) that model's facts are used, else :data:`DEFAULT_LIMITS`.
    Validation of the id's characters is :func:`claude_vertex.endpoints.validate_model`'s job.
    """
    key = model.strip()
    info = _BY_ID.get(key)
    if info is not None:
        return info
    base = _BY_ID.get(_VERSION_SUFFIX.sub("", key))
    if base is not None:
        return replace(base, vertex_id=key)
    return ModelInfo(
        vertex_id=key,
        first_party_id=key.replace("@", "-"),
        alias=_VERSION_SUFFIX.sub("", key),
        context_window=DEFAULT_LIMITS["context_window"],
        max_output_tokens=DEFAULT_LIMITS["max_output_tokens"],
        thinking=True,
        adaptive_thinking=False,
        effort=False,
        structured_outputs=False,
        global_endpoint=True,
        regions=(),
        pricing=None,
        known=False,
    )


def default_region(model: str | ModelInfo) -> str:
    """The endpoint to use when none is configured: ``global`` where it serves the model.

    Otherwise the first regional endpoint that does; an unknown model gets ``global``.
    """
    info = model if isinstance(model, ModelInfo) else resolve_model(model)
    if info.global_endpoint or not info.regions:
        return "global"
    return info.regions[0]
