"""The publisher-model config resource: one per project, location and model, on ``v1beta1``.

``:setPublisherModelConfig`` (POST) stores the fields it is given and answers a long-running
operation, done from its first poll (``GET /v1beta1/{operation name}``) unless
:meth:`ModelConfigs.delay_operations` asks for more;
``:fetchPublisherModelConfig`` (GET) answers the stored config. ``loggingConfig`` is refused at
``global`` and the ``us``/``eu`` multi-regions, as Google's request-response logging page says
for Claude. Models can be made to require data-sharing consent
(``dataSharingEnabledProvider: "anthropic"``): their model routes then answer Google's 403 until
the project's config of the model gives it.

Unconfirmed, and marked in docs/emulator.md: the wording of the refusals, the answer of a fetch
when nothing was set (``{}`` here), whether a set that names only some fields keeps the others
(it does here), and whether consent given at one location holds at every location (it does here).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from claude_vertex.models import MULTI_REGIONS, resolve_model

from .error_bodies import google_error
from .faults import DATA_SHARING_MESSAGE
from .jsontypes import JSON
from .replies import Reply
from .rules import Route as ModelRoute

__all__ = ["ModelConfigs"]

_TYPE_PREFIX = "type.googleapis.com/google.cloud.aiplatform.v1beta1."
#: The fields of a ``PublisherModelConfig`` and of its ``loggingConfig`` the emulator knows.
_CONFIG_FIELDS = frozenset({"loggingConfig", "dataSharingEnabledProvider"})
_LOGGING_FIELDS = frozenset({"enabled", "samplingRate", "bigqueryDestination", "enableOtelLogging"})

_Key = tuple[str, str, str]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _invalid(message: str) -> Reply:
    return Reply.json(400, google_error(400, message))


def _unknown_field(name: str, where: str) -> Reply:
    return _invalid(
        f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
    )


def _logging_problem(logging: object, region: str) -> Reply | None:
    """The refusal of a ``loggingConfig`` (its fields, or a location that cannot log)."""
    if not isinstance(logging, Mapping):
        return _invalid("publisher_model_config.logging_config must be an object.")
    for name in logging:
        if name not in _LOGGING_FIELDS:
            return _unknown_field(name, "publisher_model_config.logging_config")
    if region == "global" or region in MULTI_REGIONS:
        return _invalid(
            f"Request-response logging of publisher anthropic's models is not supported at "
            f"location {region}; use a regional endpoint."
        )
    rate = logging.get("samplingRate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        return _invalid("publisher_model_config.logging_config.sampling_rate must be in [0, 1].")
    if logging.get("enabled") is True:
        destination = logging.get("bigqueryDestination")
        uri = destination.get("outputUri") if isinstance(destination, Mapping) else None
        if not isinstance(uri, str) or not uri.startswith("bq://"):
            return _invalid(
                "publisher_model_config.logging_config.bigquery_destination.output_uri must "
                "be a BigQuery URI, bq://project[.dataset[.table]]."
            )
    return None


def _config_problem(body: object, region: str) -> Reply | None:
    """The refusal of a ``setPublisherModelConfig`` body, or None if it is acceptable."""
    if not isinstance(body, Mapping) or not isinstance(body.get("publisherModelConfig"), Mapping):
        return _invalid("publisher_model_config is required.")
    for name in body:
        if name != "publisherModelConfig":
            return _unknown_field(name, "")
    config = body["publisherModelConfig"]
    for name in config:
        if name not in _CONFIG_FIELDS:
            return _unknown_field(name, "publisher_model_config")
    if "loggingConfig" in config:
        return _logging_problem(config["loggingConfig"], region)
    provider = config.get("dataSharingEnabledProvider")
    if provider is not None and not isinstance(provider, str):
        return _invalid("publisher_model_config.data_sharing_enabled_provider must be a string.")
    return None


class ModelConfigs:
    """The publisher-model configs, their operations and the data-sharing requirements."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configs: dict[_Key, JSON] = {}
        #: Operation name -> (polls left before it is done, the operation when done).
        self._operations: dict[str, tuple[int, JSON]] = {}
        self._polls_before_done = 0
        self._consent_needed: set[str] = set()

    def clear(self) -> None:
        """Forget every config, operation and data-sharing requirement."""
        with self._lock:
            self._configs.clear()
            self._operations.clear()
            self._consent_needed.clear()
            self._polls_before_done = 0

    # ----------------------------------------------------------- data sharing

    def require_data_sharing(self, models: Iterable[str]) -> None:
        """Make ``models`` refuse calls of projects that have not consented to data sharing."""
        with self._lock:
            self._consent_needed.update(resolve_model(m).vertex_id for m in models)

    def _consented(self, project: str, model_id: str) -> bool:
        return any(
            key[0] == project
            and key[2] == model_id
            and config.get("dataSharingEnabledProvider") == "anthropic"
            for key, config in self._configs.items()
        )

    def data_sharing_refusal(self, route: ModelRoute, project: str, model_id: str) -> Reply | None:
        """The 403 of a model call that needs consent the project has not given, else None."""
        vertex_id = resolve_model(model_id).vertex_id
        with self._lock:
            if vertex_id not in self._consent_needed or self._consented(project, vertex_id):
                return None
        error = google_error(403, DATA_SHARING_MESSAGE)
        return Reply.json(403, [error] if route == "stream" else error)

    # ----------------------------------------------------------- routes

    def fetch(self, project: str, region: str, model_id: str) -> Reply:
        """The answer of ``:fetchPublisherModelConfig``: the stored config, ``{}`` if none."""
        key = (project, region, resolve_model(model_id).vertex_id)
        with self._lock:
            config = dict(self._configs.get(key, {}))
        return Reply.json(200, config)

    def set(self, project: str, region: str, model_id: str, body: object) -> Reply:
        """The answer of ``:setPublisherModelConfig``: the fields stored, an operation."""
        refusal = _config_problem(body, region)
        if refusal is not None:
            return refusal
        assert isinstance(body, Mapping)
        key = (project, region, resolve_model(model_id).vertex_id)
        name = f"projects/{project}/locations/{region}/operations/{secrets.randbelow(10**18)}"
        stamp = _now()
        metadata: JSON = {
            "@type": _TYPE_PREFIX + "SetPublisherModelConfigOperationMetadata",
            "genericMetadata": {"createTime": stamp, "updateTime": stamp},
        }
        with self._lock:
            config = self._configs.setdefault(key, {})
            config.update(body["publisherModelConfig"])
            response = {"@type": _TYPE_PREFIX + "PublisherModelConfig", **config}
            done: JSON = {"name": name, "metadata": metadata, "done": True, "response": response}
            self._operations[name] = (self._polls_before_done, done)
        return Reply.json(200, {"name": name, "metadata": metadata})

    def operation(self, name: str) -> Reply:
        """The answer of ``GET /v1beta1/{name}``: the operation, done once its polls are up."""
        with self._lock:
            found = self._operations.get(name)
            if found is not None and found[0] > 0:
                self._operations[name] = (found[0] - 1, found[1])
        if found is None:
            return Reply.json(404, google_error(404, f"Operation {name} was not found."))
        polls_left, done = found
        if polls_left > 0:
            return Reply.json(200, {key: done[key] for key in ("name", "metadata")})
        return Reply.json(200, done)

    def delay_operations(self, polls: int) -> None:
        """Make the operations of later sets answer not done to their first ``polls`` polls."""
        if polls < 0:
            raise ValueError("polls must not be negative")
        with self._lock:
            self._polls_before_done = polls
