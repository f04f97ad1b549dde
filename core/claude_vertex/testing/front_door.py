"""Google's front door: the checks a model-route request passes before the model sees it.

Credentials, the resource ids in the path, the body's JSON, the project, count-tokens' regions,
whether the model is served in the region (per the model table, or as overridden with
:meth:`FrontDoor.set_available`) and whether it needs data-sharing consent the project has not
given. Each refusal is Google's error reply.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

from claude_vertex.endpoints import COUNT_TOKENS_REGIONS
from claude_vertex.model_spelling import unknown_version
from claude_vertex.models import ModelInfo, resolve_model

from .auth import UNAUTHENTICATED_MESSAGE, Authority
from .error_bodies import google_error
from .faults import Fault
from .model_config import ModelConfigs
from .replies import Reply
from .request_log import INVALID_JSON, Incoming
from .rules import Route as ModelRoute

__all__ = ["FrontDoor", "google_refusal"]

#: What Google's front door takes as a resource id in a path segment.
_RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
_NOT_FOUND = (
    "Publisher Model `{resource}` was not found or your project does not have access to it. "
    "Please ensure you are using a valid model version. For more information, see: "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
)


def google_refusal(route: ModelRoute, code: int, message: str, status: str | None = None) -> Reply:
    """Google's error reply; on the stream route its body is a list of one error, as Vertex's."""
    error = google_error(code, message, status)
    return Reply.json(code, [error] if route == "stream" else error)


class FrontDoor:
    """The gateway checks of the emulator's project, with per-model availability overrides.

    Args:
        project: The project served; others get 403 PERMISSION_DENIED.
        authority: Decides which bearer tokens are valid.
        configs: The publisher-model configs, whose data-sharing consent some models need.
    """

    def __init__(
        self, project: str, authority: Authority, configs: ModelConfigs | None = None
    ) -> None:
        self._project = project
        self._authority = authority
        self._configs = configs
        self._lock = threading.Lock()
        self._available: dict[str, tuple[str, ...]] = {}

    def set_available(self, model: str, regions: Iterable[str]) -> None:
        """Serve ``model`` in exactly ``regions`` (any id, also one the model table lacks)."""
        with self._lock:
            self._available[resolve_model(model).vertex_id] = tuple(regions)

    def clear_availability(self) -> None:
        """Forget the overrides: every model is served where the model table says."""
        with self._lock:
            self._available.clear()

    def refusal(
        self,
        incoming: Incoming,
        route: ModelRoute,
        project: str,
        region: str,
        name: str,
        model_id: str,
        body: object,
    ) -> Reply | None:
        """Google's checks before the model sees a request: auth, path, project, availability."""
        refusal = self._gateway_refusal(incoming, route, project, region, name, body)
        if refusal is not None or not model_id:
            return refusal
        refusal = self.availability_refusal(route, project, region, model_id)
        if refusal is not None or self._configs is None:
            return refusal
        return self._configs.data_sharing_refusal(route, project, model_id)

    def config_refusal(
        self, incoming: Incoming, project: str, region: str, model_id: str, body: object
    ) -> Reply | None:
        """Google's checks before a publisher-model config route: auth, path, project, model.

        The same as a model call's (credentials, resource ids, project, a model Vertex knows
        and serves at ``region``); the config routes are never streamed.
        """
        refusal = self._gateway_refusal(incoming, "create", project, region, model_id, body)
        if refusal is not None:
            return refusal
        return self.availability_refusal("create", project, region, model_id)

    def operation_refusal(self, incoming: Incoming, project: str) -> Reply | None:
        """The refusal of an operation poll: credentials, then the project."""
        if not self._authority.bearer_valid(incoming.headers.get("authorization")):
            return google_refusal("create", 401, UNAUTHENTICATED_MESSAGE)
        if project != self._project:
            return google_refusal("create", 403, f"Permission denied on project {project}.")
        return None

    def _gateway_refusal(
        self,
        incoming: Incoming,
        route: ModelRoute,
        project: str,
        region: str,
        name: str,
        body: object,
    ) -> Reply | None:
        """The refusal of a request's credentials, path, JSON, project or count-tokens region."""
        if not self._authority.bearer_valid(incoming.headers.get("authorization")):
            return google_refusal(route, 401, UNAUTHENTICATED_MESSAGE)
        for field, value in (("project", project), ("location", region), ("model", name)):
            if not _RESOURCE_ID.fullmatch(value):
                return google_refusal(
                    route, 400, f"Invalid resource field value in the request: {field} {value!r}."
                )
        if body is INVALID_JSON:
            return google_refusal(route, 400, "Invalid JSON payload received. Unexpected token.")
        if project != self._project:
            return Fault.permission_denied().reply(route, project, region, name)
        if route == "count_tokens" and region not in COUNT_TOKENS_REGIONS:
            resource = f"projects/{project}/locations/{region}/publishers/anthropic/models/{name}"
            return google_refusal(route, 404, _NOT_FOUND.format(resource=resource))
        return None

    def availability_refusal(
        self, route: ModelRoute, project: str, region: str, model_id: str
    ) -> Reply | None:
        """The refusal of a model Vertex does not know, or does not serve in ``region``."""
        served = self._served_in(route, model_id)
        resource = f"projects/{project}/locations/{region}/publishers/anthropic/models/{model_id}"
        if served is None:
            return google_refusal(route, 404, _NOT_FOUND.format(resource=resource))
        if region not in served:
            return google_refusal(
                route,
                400,
                f"Publisher Model `{resource}` is not servable in region {region}.",
                "FAILED_PRECONDITION",
            )
        return None

    def _served_in(self, route: ModelRoute, model_id: str) -> tuple[str, ...] | None:
        """The regions serving ``model_id``; ``None`` if Vertex does not know (or retired) it."""
        info: ModelInfo = resolve_model(model_id)
        with self._lock:
            override = self._available.get(info.vertex_id)
        if override is not None:
            return override
        # Vertex names models with "@"; the first-party dated form is not a Vertex id.
        first_party_form = model_id == info.first_party_id != info.vertex_id
        if not info.known or (route != "count_tokens" and first_party_form):
            return None
        if unknown_version(model_id) is not None:  # e.g. @latest: not a Vertex version
            return None
        if info.lifecycle == "retired":  # gone from Model Garden: Vertex answers 404
            return None
        return info.served_in
