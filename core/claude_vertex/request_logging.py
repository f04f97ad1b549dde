"""Request-response logging of a Claude model on Vertex AI, to BigQuery.

Vertex logs a sample of the prompts and answers of one model, at one regional endpoint of
one project, into a BigQuery table. For Claude it is configured over REST only, on the
``loggingConfig`` of the model's publisher-model config (see
:mod:`claude_vertex.publisher_model_config`), and only at regional endpoints: not on
``global``, nor the ``us``/``eu`` multi-regions (Google's request-response logging page).

:func:`logging_status`, :func:`enable_logging` and :func:`disable_logging` check what they can
before any I/O (a regional endpoint that serves the model, the BigQuery URI, the sampling
rate), then read or change the config. Anthropic recommends keeping at least a rolling 30
days of these logs (:data:`RETENTION_ADVICE`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .endpoints import validate_region
from .errors import ConfigurationError
from .models import MULTI_REGIONS, resolve_model
from .publisher_model_config import fetch_publisher_model_config, set_publisher_model_config
from .settings import Settings, resolve_settings

__all__ = [
    "RETENTION_ADVICE",
    "RETENTION_RECOMMENDATION",
    "LoggingConfig",
    "disable_logging",
    "enable_logging",
    "logging_regions",
    "logging_status",
    "validate_bigquery_uri",
    "validate_sampling_rate",
]

#: Anthropic's recommendation on keeping the logs.
RETENTION_RECOMMENDATION = (
    "Anthropic recommends keeping request-response logs for at least a rolling 30 days."
)
#: The recommendation, and how to follow it in BigQuery.
RETENTION_ADVICE = (
    f"{RETENTION_RECOMMENDATION} Vertex writes them to BigQuery and deletes nothing: set "
    "the table's partition expiration (or the dataset's default table expiration) to 30 "
    "days or more, e.g. "
    "`bq update --time_partitioning_expiration 2592000 PROJECT:DATASET.TABLE`, or keep them "
    "for as long as your own policy requires."
)

#: ``bq://project``, ``bq://project.dataset`` or ``bq://project.dataset.table``: Vertex
#: creates the dataset and table it is not given (Google's request-response logging page).
_BIGQUERY_URI = re.compile(
    r"bq://(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])"
    r"(?:\.(?P<dataset>[A-Za-z0-9_]{1,1024})(?:\.(?P<table>[A-Za-z0-9_-]{1,1024}))?)?"
)


@dataclass(frozen=True)
class LoggingConfig:
    """The request-response logging of one model at one regional endpoint.

    Attributes:
        model: the Vertex model id.
        region: the regional endpoint.
        enabled: whether Vertex logs requests and responses.
        sampling_rate: the fraction of requests logged, in (0, 1]; None when not set.
        bigquery_uri: the destination, ``bq://project.dataset[.table]``; None when not set.
        raw: the ``loggingConfig`` object as Vertex returned it (empty when none is set).
    """

    model: str
    region: str
    enabled: bool
    sampling_rate: float | None
    bigquery_uri: str | None
    raw: Mapping[str, Any]

    @classmethod
    def from_config(cls, model: str, region: str, config: Mapping[str, Any]) -> LoggingConfig:
        """Read the ``loggingConfig`` of a ``PublisherModelConfig`` (JSON)."""
        logging = config.get("loggingConfig")
        logging = logging if isinstance(logging, Mapping) else {}
        destination = logging.get("bigqueryDestination")
        uri = destination.get("outputUri") if isinstance(destination, Mapping) else None
        rate = logging.get("samplingRate")
        return cls(
            model=resolve_model(model).vertex_id,
            region=region,
            enabled=logging.get("enabled") is True,
            sampling_rate=float(rate) if isinstance(rate, (int, float)) else None,
            bigquery_uri=uri if isinstance(uri, str) and uri else None,
            raw=dict(logging),
        )

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready data (what ``claude-vertex logging --json`` prints)."""
        return {
            "model": self.model,
            "region": self.region,
            "enabled": self.enabled,
            "sampling_rate": self.sampling_rate,
            "bigquery_uri": self.bigquery_uri,
        }

    def summary(self) -> str:
        """One line: ``on, 100% of requests to bq://p.d.t`` or ``off``."""
        if not self.enabled:
            return "off"
        rate = "an unset share" if self.sampling_rate is None else f"{self.sampling_rate:.0%}"
        return f"on, {rate} of requests to {self.bigquery_uri or 'an unnamed destination'}"


def logging_regions(model: str) -> tuple[str, ...]:
    """The regional endpoints serving ``model`` where its logging can be configured."""
    info = resolve_model(model)
    return tuple(r for r in info.regions if r not in MULTI_REGIONS)


def _logging_region(model: str, region: str) -> str:
    """``region`` if logging of ``model`` can be configured there; else a clear error."""
    validate_region(region)
    info = resolve_model(model)
    regional = logging_regions(model)
    where = (
        f"Use a regional endpoint that serves {info.vertex_id}: {', '.join(regional)}."
        if regional
        else f"The model table names no regional endpoint serving {info.vertex_id}: its "
        "requests cannot be logged."
    )
    if region == "global" or region in MULTI_REGIONS:
        raise ConfigurationError(
            f"Request-response logging of Claude models is configured at regional endpoints "
            f"only, not at {region!r} (the global and multi-region endpoints do not offer it). "
            + where
        )
    if info.known and region not in regional:
        raise ConfigurationError(f"Region {region!r} does not serve {info.vertex_id}. " + where)
    return region


def validate_bigquery_uri(uri: str) -> str:
    """Return ``uri`` if it is a BigQuery destination Vertex takes, else raise.

    The forms are ``bq://project``, ``bq://project.dataset`` and
    ``bq://project.dataset.table``: Vertex creates a dataset or table that is not named.

    Raises:
        ConfigurationError: the value is not of those forms.
    """
    if not isinstance(uri, str) or not _BIGQUERY_URI.fullmatch(uri):
        raise ConfigurationError(
            f"Invalid BigQuery destination {uri!r}. Use bq://PROJECT.DATASET.TABLE (or "
            "bq://PROJECT.DATASET, and Vertex creates the table request_response_logging), "
            "with a project id, a dataset of letters, digits and underscores, and a table "
            "of those and hyphens."
        )
    return uri


def validate_sampling_rate(rate: float) -> float:
    """Return ``rate`` as a float if it is in (0, 1], else raise.

    Raises:
        ConfigurationError: not a number, or outside (0, 1].
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate):
        raise ConfigurationError(f"Invalid sampling rate {rate!r}: give a number in (0, 1].")
    if not 0 < rate <= 1:
        raise ConfigurationError(
            f"Invalid sampling rate {rate!r}: the fraction of requests logged is above 0 and "
            "at most 1 (1 logs every request, 0.1 one in ten)."
        )
    return float(rate)


def _settings_for(model: str, region: str, settings: Settings | None, options: Any) -> Settings:
    if settings is not None:
        return settings.for_region(region)
    return resolve_settings(model=model, region=region, **options)


def logging_status(
    model: str, region: str, *, settings: Settings | None = None, **options: Any
) -> LoggingConfig:
    """The request-response logging of ``model`` at the regional endpoint ``region``.

    Args:
        model: any id of the model (alias, first-party or Vertex).
        region: a regional endpoint such as ``us-east5`` (not ``global``, ``us`` or ``eu``).
        settings: the settings to use (their project, credentials, base URL); by default
            :func:`~claude_vertex.resolve_settings` with ``options``.
        options: keyword arguments of :func:`~claude_vertex.resolve_settings` (``project``,
            ``credentials``...).

    Raises:
        ConfigurationError: ``region`` is not a regional endpoint serving the model (before
            any I/O), or the settings cannot be resolved.
        VertexAPIError: Vertex refused (typed, e.g. ``PermissionDeniedError``).
    """
    _logging_region(model, region)
    resolved = _settings_for(model, region, settings, options)
    config = fetch_publisher_model_config(resolved, model)
    return LoggingConfig.from_config(model, region, config)


def enable_logging(
    model: str,
    region: str,
    bigquery_uri: str,
    *,
    sampling_rate: float = 1.0,
    settings: Settings | None = None,
    **options: Any,
) -> LoggingConfig:
    """Log ``model``'s requests and responses at ``region`` into ``bigquery_uri``.

    Sets ``loggingConfig`` (``enabled``, ``samplingRate``, ``bigqueryDestination``) and
    waits for Vertex's operation to finish; returns the config as set. Keep the logs at
    least 30 days (:data:`RETENTION_ADVICE`).

    Raises:
        ConfigurationError: not a regional endpoint serving the model, a malformed BigQuery
            URI, or a sampling rate outside (0, 1]; all before any I/O.
        VertexAPIError: Vertex refused the change.
        OperationPendingError: the change had not finished after five minutes.
    """
    _logging_region(model, region)
    validate_bigquery_uri(bigquery_uri)
    rate = validate_sampling_rate(sampling_rate)
    logging = {
        "enabled": True,
        "samplingRate": rate,
        "bigqueryDestination": {"outputUri": bigquery_uri},
    }
    return _set(model, region, logging, settings, options)


def disable_logging(
    model: str, region: str, *, settings: Settings | None = None, **options: Any
) -> LoggingConfig:
    """Stop logging ``model``'s requests and responses at ``region`` (the logs stay).

    Raises:
        ConfigurationError: not a regional endpoint serving the model (before any I/O).
        VertexAPIError: Vertex refused the change.
        OperationPendingError: the change had not finished after five minutes.
    """
    _logging_region(model, region)
    return _set(model, region, {"enabled": False}, settings, options)


def _set(
    model: str,
    region: str,
    logging: Mapping[str, Any],
    settings: Settings | None,
    options: Any,
) -> LoggingConfig:
    resolved = _settings_for(model, region, settings, options)
    config = set_publisher_model_config(resolved, model, {"loggingConfig": dict(logging)})
    if "loggingConfig" not in config:  # the operation carried no config: read it back
        config = fetch_publisher_model_config(resolved, model)
    return LoggingConfig.from_config(model, region, config)
