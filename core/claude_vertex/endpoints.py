"""Vertex AI hosts, and the validation of everything a caller can put into a URL.

Region, project and model strings end up in the host name or the path of every request, so
each is checked against a strict ASCII pattern before any I/O: nothing a caller passes can
change the host, add path segments, a query or a fragment.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from .errors import ConfigurationError
from .models import MULTI_REGIONS, ModelInfo

__all__ = [
    "COUNT_TOKENS_REGIONS",
    "DATA_RESIDENCY",
    "base_url_for_region",
    "count_tokens_region",
    "endpoint_plan",
    "in_geography",
    "validate_base_url",
    "validate_batch_region",
    "validate_model",
    "validate_model_id",
    "validate_project",
    "validate_region",
]

#: Endpoints whose host is not ``{region}-aiplatform.googleapis.com``.
_SPECIAL_HOSTS = {
    "global": "aiplatform.googleapis.com",
    "us": "aiplatform.us.rep.googleapis.com",
    "eu": "aiplatform.eu.rep.googleapis.com",
}

# A Google Cloud region is "<area>-<direction><digit(s)>", e.g. us-east5, northamerica-northeast1.
_REGION = re.compile(r"(?:global|us|eu|[a-z]{2,20}-[a-z]{2,20}[0-9]{1,2})", re.ASCII)
# Project ids: 6 to 30 of [a-z0-9-], starting with a letter, not ending with a hyphen;
# project numbers are accepted too.
_PROJECT = re.compile(r"(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|[0-9]{1,20})", re.ASCII)
# Model ids: lowercase letters, digits, dots and hyphens, with an optional @version.
_MODEL = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,126})(?:@[a-z0-9][a-z0-9.-]{0,62})?", re.ASCII)

_LOOPBACK_NAMES = {"localhost"}

#: Locations that serve the count-tokens route: regional ones first, then the global endpoint
#: and the ``us``/``eu`` multi-regions (listed by Google's count-tokens page since 2026; the
#: global endpoint answered 404 before).
COUNT_TOKENS_REGIONS = (
    "us-east5",
    "us-central1",
    "europe-west1",
    "europe-west4",
    "asia-east1",
    "asia-southeast1",
    "global",
    "us",
    "eu",
)


def validate_region(region: str) -> str:
    """Return ``region`` if it is a well-formed Vertex region name, else raise.

    Raises:
        ConfigurationError: the value is not a region name such as ``global``, ``us``,
            ``eu`` or ``us-east5``.
    """
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ConfigurationError(
            f"Invalid Vertex AI region {region!r}. Use 'global' (recommended), the multi-region "
            "endpoints 'us' or 'eu', or a Google Cloud region such as 'us-east5' or "
            "'europe-west1'."
        )
    return region


def validate_project(project: str) -> str:
    """Return ``project`` if it is a well-formed Google Cloud project id or number, else raise.

    Raises:
        ConfigurationError: the value cannot be a project id.
    """
    if not isinstance(project, str) or not _PROJECT.fullmatch(project):
        raise ConfigurationError(
            f"Invalid Google Cloud project id {project!r}. A project id has 6 to 30 lowercase "
            "letters, digits or hyphens and starts with a letter (see `gcloud projects list`)."
        )
    return project


def validate_model_id(model: str) -> str:
    """Return ``model`` if it can be a Vertex model id (its characters), else raise.

    Raises:
        ConfigurationError: the value holds characters no model id has.
    """
    if not isinstance(model, str) or not _MODEL.fullmatch(model) or ".." in model:
        raise ConfigurationError(
            f"Invalid Claude model id {model!r}. Use a Vertex id such as "
            "'claude-sonnet-4-5@20250929', an alias such as 'claude-sonnet-4-5', or a "
            "first-party id such as 'claude-sonnet-4-5-20250929'."
        )
    return model


def validate_model(model: str) -> str:
    """Return ``model`` if it is a well-formed model id and no clear typo of a known one.

    An id the model table does not know passes (Google may serve it), unless it is clearly a
    misspelling of one it knows (see :func:`~claude_vertex.model_spelling.misspelling_of`).

    Raises:
        ConfigurationError: the value holds characters no model id has, or misspells a
            known id ("did you mean 'claude-sonnet-4-5'?").
    """
    from .model_spelling import misspelling_of

    validate_model_id(model)
    meant = misspelling_of(model)
    if meant is not None:
        raise ConfigurationError(
            f"Unknown Claude model id {model!r}: did you mean {meant!r}? "
            "(`claude-vertex models` lists the known ids; register_model() adds one.)"
        )
    return model


def base_url_for_region(region: str) -> str:
    """The ``https://host/v1`` base URL of a Vertex AI endpoint."""
    validate_region(region)
    host = _SPECIAL_HOSTS.get(region, f"{region}-aiplatform.googleapis.com")
    return f"https://{host}/v1"


#: Geographies a caller can keep every attempt inside: the multi-region endpoint and the
#: prefix of the regions there.
DATA_RESIDENCY = {"us": ("us", "us-"), "eu": ("eu", "europe-")}


def in_geography(region: str, residency: str) -> bool:
    """Whether requests to ``region`` stay inside the ``residency`` geography."""
    multi, prefix = DATA_RESIDENCY[residency]
    return region == multi or region.startswith(prefix)


def validate_residency(residency: str | None) -> str | None:
    """Return ``residency`` if it is None or a known geography, else raise."""
    if residency is not None and residency not in DATA_RESIDENCY:
        raise ConfigurationError(
            f"Invalid data_residency {residency!r}: use one of {sorted(DATA_RESIDENCY)} or None."
        )
    return residency


def residency_region(model: ModelInfo, residency: str) -> str:
    """The first endpoint inside ``residency`` that serves ``model`` (the multi-region first)."""
    for region in model.served_in:
        if in_geography(region, residency):
            return region
    return DATA_RESIDENCY[residency][0]


def endpoint_plan(
    model: ModelInfo,
    primary: str,
    *,
    pinned: bool = False,
    fallback_regions: Sequence[str] | None = None,
    data_residency: str | None = None,
) -> tuple[str, ...]:
    """The ordered endpoints one call may try: ``primary`` first, then its fallbacks.

    * ``fallback_regions`` given: exactly ``primary`` then those;
    * else a ``pinned`` region (chosen by the caller) is never left;
    * else ``primary``, then every endpoint that serves the model (``global`` first).

    With ``data_residency`` every endpoint of the plan is inside that geography. Endpoints
    the model table says do not serve the model are left out, and a ``pinned`` one that does
    not is refused: no request goes where it can only be refused.

    Raises:
        ConfigurationError: a fallback is malformed or outside the residency geography, or
            the pinned endpoint (or every endpoint of the plan) does not serve the model;
            the message names the endpoints that do.
    """
    if fallback_regions is not None:
        candidates = [primary, *(validate_region(r) for r in fallback_regions)]
    elif pinned:
        candidates = [primary]
    else:
        candidates = [primary, *model.served_in]
    if pinned and not model.is_served_in(primary):
        raise _not_served(model, f"Region {primary!r} does not serve it")
    plan = tuple(r for r in dict.fromkeys(candidates) if model.is_served_in(r))
    if not plan:
        raise _not_served(model, f"None of {', '.join(dict.fromkeys(candidates))} serves it")
    if data_residency is not None:
        outside = [r for r in plan if not in_geography(r, data_residency)]
        if outside and (fallback_regions is not None or pinned):
            raise ConfigurationError(
                f"Region(s) {', '.join(outside)} are outside data_residency="
                f"{data_residency!r}; choose regions in that geography."
            )
        plan = tuple(r for r in plan if in_geography(r, data_residency))
    return plan


def _not_served(model: ModelInfo, problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"{model.vertex_id} is served at {', '.join(model.served_in)} on Vertex AI. {problem}: "
        "choose one of those endpoints (region=...), or leave the region unset for the "
        "model's default."
    )


def validate_batch_region(model: ModelInfo, region: str) -> str:
    """Return ``region`` if Vertex can run a batch prediction job of ``model`` there, else raise.

    Batch jobs run in one Google Cloud region, never on the ``global`` endpoint or the ``us``
    and ``eu`` multi-regions (Google's Claude batch page), and only where the model is served.

    Raises:
        ConfigurationError: a malformed region, ``global`` or a multi-region, or a region the
            model table says does not serve the model; the message names those that do.
    """
    validate_region(region)
    single = [r for r in model.served_in if r != "global" and r not in MULTI_REGIONS]
    choose = (
        f"choose one that serves {model.vertex_id}: {', '.join(single)}"
        if single
        else f"the model table lists no single region serving {model.vertex_id}, so it cannot "
        "run as a batch job; send online calls, or choose a model served in a region"
    )
    if region == "global" or region in MULTI_REGIONS:
        raise ConfigurationError(
            f"Vertex AI runs batch prediction jobs in a single region, not on the {region!r} "
            f"endpoint: {choose} (region=...)."
        )
    if not model.is_served_in(region):
        raise ConfigurationError(
            f"Region {region!r} does not serve {model.vertex_id}, so a batch job cannot run "
            f"there: {choose} (region=...)."
        )
    return region


def count_tokens_region(region: str, model: ModelInfo | None = None) -> str:
    """Where to count tokens for a call that would go to ``region``.

    ``region`` itself where it serves count-tokens (and, given ``model``, serves the model);
    otherwise the first such location in the same geography (``eu`` and ``europe-*`` are one),
    then ``global``, then any. Where none serves the model, the geography's first count-tokens
    location, whose refusal then names the problem.
    """

    def serves(candidate: str) -> bool:
        return candidate in COUNT_TOKENS_REGIONS and (
            model is None or model.is_served_in(candidate)
        )

    if serves(region):
        return region
    nearby = [r for r in COUNT_TOKENS_REGIONS if _area(r) == _area(region)]
    for candidate in (*nearby, "global", *COUNT_TOKENS_REGIONS):
        if serves(candidate):
            return candidate
    return nearby[0] if nearby else COUNT_TOKENS_REGIONS[0]


def _area(region: str) -> str:
    """A location's part of the world: ``us``, ``europe``, ``asia``... (``eu`` is ``europe``)."""
    return "europe" if region == "eu" else region.split("-", 1)[0]


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _has_bad_port(parts: SplitResult) -> bool:
    try:
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        return True
    return False


def _base_url_problems(base_url: str) -> list[str]:
    """What is wrong with ``base_url`` as an endpoint base URL (nothing: an empty list)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    path_segments = parts.path.split("/")
    checks = (
        (parts.scheme not in ("https", "http"), "the scheme must be https"),
        (
            parts.scheme == "http" and not _is_loopback(host),
            "plain http is only allowed for loopback hosts",
        ),
        (not host, "it has no host"),
        ("@" in parts.netloc, "it must not carry user info"),
        (_has_bad_port(parts), "its port is not a number"),
        (
            bool(parts.query or parts.fragment) or "?" in base_url or "#" in base_url,
            "it must not have a query or fragment",
        ),
        (
            "." in path_segments or ".." in path_segments or "%" in parts.path,
            "its path must not hold '.', '..' or escapes",
        ),
    )
    return [message for failed, message in checks if failed]


def validate_base_url(base_url: str) -> str:
    """Return ``base_url`` without a trailing slash if it is a safe endpoint base URL, else raise.

    The form is the anthropic SDK's: ``scheme://host[:port]/v1`` (another path prefix is
    allowed for gateways). ``https`` is required except for loopback hosts (the emulator);
    user info, queries, fragments and ``..`` segments are refused.

    Raises:
        ConfigurationError: the URL is not of that form.
    """
    hint = "Expected the form 'https://host[:port]/v1' (plain http only for loopback)."
    if (
        not isinstance(base_url, str)
        or not base_url.isascii()
        or any(c.isspace() or ord(c) < 32 for c in base_url)
    ):
        raise ConfigurationError(f"Invalid base_url {base_url!r}. {hint}")
    problems = _base_url_problems(base_url)
    if problems:
        raise ConfigurationError(f"Invalid base_url {base_url!r}: {'; '.join(problems)}. {hint}")
    return base_url.rstrip("/")
