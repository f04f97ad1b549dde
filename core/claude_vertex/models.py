"""The Claude models Vertex AI serves, as one table, and the resolution of model ids.

Every model fact the package uses (ids, limits, features, where a model is served, prices)
comes from ``MODELS``. A new model is a new row. An id that is not in the table passes through
unchanged with :data:`DEFAULT_LIMITS`, because Google can serve a model before this table knows
it; only a clear misspelling of a known id is refused (:mod:`claude_vertex.model_spelling`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

__all__ = [
    "DEFAULT_MODEL",
    "EFFORTS",
    "MODELS",
    "Effort",
    "ModelInfo",
    "Pricing",
    "all_models",
    "default_region",
    "register_model",
    "resolve_model",
]

#: Regions that are multi-region endpoints rather than single Google Cloud regions.
MULTI_REGIONS = ("us", "eu")


@dataclass(frozen=True)
class Pricing:
    """Prices in US dollars per million tokens on the global endpoint.

    Attributes:
        input: uncached input.
        output: output, thinking included.
        cache_write: input written to the 5-minute prompt cache (1.25x input).
        cache_read: input read from the prompt cache (0.1x input).
        regional_multiplier: the multiplier on regional and multi-region endpoints: 1.10
            from Claude Sonnet 4.5 on, 1.0 for older models.
        cache_write_1h: input written to the 1-hour prompt cache; ``None`` (the default)
            is Anthropic's rule of twice the input price.
    """

    input: float
    output: float
    cache_write: float
    cache_read: float
    regional_multiplier: float = 1.0
    cache_write_1h: float | None = None

    @property
    def one_hour_cache_write(self) -> float:
        """The price of a 1-hour cache write: :attr:`cache_write_1h`, else twice the input."""
        return 2 * self.input if self.cache_write_1h is None else self.cache_write_1h

    def multiplier(self, region: str) -> float:
        """What prices on ``region`` are multiplied by: 1 on ``global``, else the premium."""
        return 1.0 if region == "global" else self.regional_multiplier

    def cost(
        self,
        *,
        region: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_creation_input_tokens: int = 0,
        cache_read_input_tokens: int = 0,
        cache_creation_1h_input_tokens: int = 0,
    ) -> float:
        """The price in US dollars of one call's usage on ``region``.

        ``cache_creation_input_tokens`` are priced as 5-minute cache writes and
        ``cache_creation_1h_input_tokens`` as 1-hour ones (the two do not overlap).
        """
        total = (
            input_tokens * self.input
            + output_tokens * self.output
            + cache_creation_input_tokens * self.cache_write
            + cache_creation_1h_input_tokens * self.one_hour_cache_write
            + cache_read_input_tokens * self.cache_read
        ) / 1_000_000
        return total * self.multiplier(region)


#: An ``output_config.effort`` level.
Effort = Literal["low", "medium", "high", "xhigh", "max"]
#: Every ``output_config.effort`` level, lowest first (a model offers some of them).
EFFORTS: tuple[str, ...] = get_args(Effort)

#: Where a model is in its life on Vertex: ``deprecated`` still serves (a retirement is
#: announced), ``retired`` no longer does.
Lifecycle = Literal["active", "deprecated", "retired"]


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
    #: Extended thinking with a budget, ``{"type": "enabled", "budget_tokens": N}``.
    thinking: bool
    #: Adaptive thinking, ``{"type": "adaptive"}``.
    adaptive_thinking: bool
    #: The ``output_config.effort`` levels the model accepts (none: no effort setting).
    efforts: tuple[str, ...]
    #: Structured outputs through ``output_config.format``.
    structured_outputs: bool
    #: Whether the global endpoint serves the model.
    global_endpoint: bool
    #: The regional and multi-region endpoints that serve the model.
    regions: tuple[str, ...]
    pricing: Pricing | None
    #: Whether ``temperature``, ``top_p`` and ``top_k`` may take other than their defaults
    #: (Claude Opus 4.7 refuses them: "temperature is deprecated for this model").
    sampling: bool = True
    #: Whether a conversation may end on an assistant turn (a prefill); the 4.6 models
    #: and later refuse it.
    prefill: bool = True
    #: Whether ``thinking`` takes ``display`` (``"summarized"`` or ``"omitted"``).
    thinking_display: bool = False
    lifecycle: Lifecycle = "active"
    #: When Google retires (or retired) the model, as announced (ISO date or month).
    retirement: str | None = None
    #: The model to move to when this one is deprecated or retired.
    successor: str | None = None
    #: False for ids that are not in the table (facts are defaults, not knowledge).
    known: bool = field(default=True, compare=False)

    @property
    def effort(self) -> bool:
        """Whether the model takes ``output_config.effort`` at all."""
        return bool(self.efforts)

    @property
    def adaptive_only(self) -> bool:
        """Whether adaptive thinking is the model's only thinking mode (no budgets)."""
        return self.adaptive_thinking and not self.thinking

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
    efforts: tuple[str, ...] = (),
    structured_outputs: bool = False,
    global_endpoint: bool,
    regions: tuple[str, ...],
    pricing: Pricing,
    sampling: bool = True,
    prefill: bool = True,
    thinking_display: bool = False,
    lifecycle: Lifecycle = "active",
    retirement: str | None = None,
    successor: str | None = None,
) -> ModelInfo:
    return ModelInfo(
        vertex_id=vertex_id,
        first_party_id=first_party_id or vertex_id.replace("@", "-"),
        alias=alias,
        context_window=context_window,
        max_output_tokens=max_output_tokens,
        thinking=thinking,
        adaptive_thinking=adaptive_thinking,
        efforts=efforts,
        structured_outputs=structured_outputs,
        global_endpoint=global_endpoint,
        regions=regions,
        pricing=pricing,
        sampling=sampling,
        prefill=prefill,
        thinking_display=thinking_display,
        lifecycle=lifecycle,
        retirement=retirement,
        successor=successor,
    )


_FOUR_EFFORTS = ("low", "medium", "high", "max")

#: The model table, newest first. Sources: Anthropic's model and migration pages, Google's
#: Claude on Vertex AI pages (see CONTRIBUTING.md, "Adding a model").
MODELS: tuple[ModelInfo, ...] = (
    _row(
        "claude-opus-4-7",
        "claude-opus-4-7",
        context_window=1_000_000,
        max_output_tokens=128_000,
        thinking=False,
        adaptive_thinking=True,
        efforts=EFFORTS,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU,
        pricing=_PRICE_OPUS_NEW,
        sampling=False,
        prefill=False,
        thinking_display=True,
    ),
    _row(
        "claude-opus-4-6",
        "claude-opus-4-6",
        max_output_tokens=128_000,
        adaptive_thinking=True,
        efforts=_FOUR_EFFORTS,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_OPUS_NEW,
        prefill=False,
    ),
    _row(
        "claude-sonnet-4-6",
        "claude-sonnet-4-6",
        max_output_tokens=128_000,
        adaptive_thinking=True,
        efforts=_FOUR_EFFORTS,
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_SONNET_NEW,
        prefill=False,
    ),
    _row(
        "claude-opus-4-5@20251101",
        "claude-opus-4-5",
        max_output_tokens=64_000,
        efforts=("low", "medium", "high"),
        structured_outputs=True,
        global_endpoint=True,
        regions=_US_EU + _NEW,
        pricing=_PRICE_OPUS_NEW,
        lifecycle="deprecated",
        retirement="early 2027",
        successor="claude-opus-4-7",
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
        lifecycle="deprecated",
        successor="claude-opus-4-7",
    ),
    _row(
        "claude-opus-4@20250514",
        "claude-opus-4",
        max_output_tokens=32_000,
        global_endpoint=False,
        regions=("us-east5", "europe-west1"),
        pricing=_PRICE_OPUS_OLD,
        lifecycle="deprecated",
        successor="claude-opus-4-7",
    ),
    _row(
        "claude-sonnet-4@20250514",
        "claude-sonnet-4",
        max_output_tokens=64_000,
        global_endpoint=False,
        regions=("us-east5", "europe-west1", "asia-east1"),
        pricing=_PRICE_SONNET_OLD,
        lifecycle="deprecated",
        successor="claude-sonnet-4-6",
    ),
    _row(
        "claude-3-7-sonnet@20250219",
        "claude-3-7-sonnet",
        max_output_tokens=64_000,
        global_endpoint=False,
        regions=_OLD,
        pricing=_PRICE_SONNET_OLD,
        lifecycle="retired",
        successor="claude-sonnet-4-6",
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
        lifecycle="retired",
        successor="claude-sonnet-4-6",
    ),
    _row(
        "claude-3-5-haiku@20241022",
        "claude-3-5-haiku",
        max_output_tokens=8_192,
        thinking=False,
        global_endpoint=False,
        regions=("us-east5",),
        pricing=Pricing(0.80, 4.0, 1.0, 0.08),
        lifecycle="deprecated",
        successor="claude-haiku-4-5",
    ),
    _row(
        "claude-3-opus@20240229",
        "claude-3-opus",
        max_output_tokens=4_096,
        thinking=False,
        global_endpoint=False,
        regions=("us-east5",),
        pricing=_PRICE_OPUS_OLD,
        lifecycle="retired",
        successor="claude-opus-4-7",
    ),
    _row(
        "claude-3-haiku@20240307",
        "claude-3-haiku",
        max_output_tokens=4_096,
        thinking=False,
        global_endpoint=False,
        regions=_OLD,
        pricing=Pricing(0.25, 1.25, 0.30, 0.03),
        lifecycle="retired",
        successor="claude-haiku-4-5",
    ),
)

#: The model a caller gets without naming one (the command line, LlamaIndex's ``ClaudeVertex``).
DEFAULT_MODEL = "claude-sonnet-4-5"

#: Limits given to an id the table does not know: the smallest a current Claude model has.
DEFAULT_LIMITS = {"context_window": 200_000, "max_output_tokens": 8_192}

_BY_ID: dict[str, ModelInfo] = {}
_REGISTERED: dict[str, ModelInfo] = {}  # vertex id -> row added or replaced at run time
_REGISTRY_LOCK = threading.Lock()


def _index(info: ModelInfo, *, replace_ids: bool) -> None:
    for key in (info.vertex_id, info.first_party_id, info.alias):
        if replace_ids:
            _BY_ID[key] = info
        else:
            _BY_ID.setdefault(key, info)


for _info in MODELS:
    _index(_info, replace_ids=False)


def register_model(info: ModelInfo) -> ModelInfo:
    """Add a row to the model table, or replace the row of the same ids, for this process.

    For a model Vertex serves before this package's table knows it, or a fact that changed::

        from dataclasses import replace
        from claude_vertex import register_model, resolve_model

        register_model(replace(resolve_model("claude-opus-4-7"),
                               vertex_id="claude-opus-4-8", first_party_id="claude-opus-4-8",
                               alias="claude-opus-4-8"))

    Its vertex, first-party and alias ids then resolve to ``info`` everywhere: call rules,
    default endpoints, prices, the emulator. Returns the row as registered.

    Raises:
        ConfigurationError: an id that cannot go into a Vertex URL.
    """
    from .endpoints import validate_model_id  # endpoints imports this module

    for key in {info.vertex_id, info.first_party_id, info.alias}:
        validate_model_id(key)
    row = replace(info, known=True)
    with _REGISTRY_LOCK:
        _REGISTERED[row.vertex_id] = row
        _index(row, replace_ids=True)
    return row


def all_models() -> tuple[ModelInfo, ...]:
    """The model table as this process sees it: registered rows first, then :data:`MODELS`."""
    with _REGISTRY_LOCK:
        registered = tuple(_REGISTERED.values())
    replaced = {row.vertex_id for row in registered}
    return registered + tuple(row for row in MODELS if row.vertex_id not in replaced)


_VERSION_SUFFIX = re.compile(r"@[^@]*$")


def resolve_model(model: str) -> ModelInfo:
    """Resolve any form of a model id to its :class:`ModelInfo`.

    ``claude-sonnet-4-5``, ``claude-sonnet-4-5-20250929`` and ``claude-sonnet-4-5@20250929``
    all give the row of ``claude-sonnet-4-5@20250929``. An id the table does not know is
    returned unchanged as ``vertex_id``; if its part before ``@`` names a known model (as in
    ``claude-sonnet-4-5@default``) that model's facts are used, else :data:`DEFAULT_LIMITS`.
    Validation of the id (its characters, and typos of known ids) is
    :func:`claude_vertex.endpoints.validate_model`'s job.
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
        efforts=(),
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
