"""The request transform: Messages API parameters in, a Vertex request (path, headers, body) out.

A pure function. On Vertex the model goes in the URL, ``anthropic_version`` goes in the body,
``anthropic-beta`` values are checked against :data:`~claude_vertex.betas.VERTEX_BETAS`, and
count-tokens has a route of its own that keeps ``model`` in the body.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .api_version import VERTEX_ANTHROPIC_VERSION
from .betas import NOT_NEEDED, VERTEX_BETAS
from .endpoints import validate_model, validate_project, validate_region
from .errors import ConfigurationError
from .models import resolve_model
from .validation import validate_messages

__all__ = [
    "VERTEX_ANTHROPIC_VERSION",
    "VertexBetaWarning",
    "VertexRequest",
    "build_request",
]

Route = Literal["create", "stream", "count_tokens"]


def request_path(route: Route, project: str, region: str, model: str) -> str:
    """The path of a Vertex route, relative to an endpoint's ``.../v1`` base URL."""
    base = f"/projects/{project}/locations/{region}/publishers/anthropic/models"
    if route == "count_tokens":
        return f"{base}/count-tokens:rawPredict"
    return f"{base}/{model}:{'streamRawPredict' if route == 'stream' else 'rawPredict'}"


#: Fields the count-tokens route accepts besides ``model`` and ``anthropic_version``.
_COUNT_TOKENS_FIELDS = frozenset(
    {
        "messages",
        "system",
        "tools",
        "tool_choice",
        "thinking",
        "anthropic_beta",
        "context_management",
        "output_config",
    }
)


class VertexBetaWarning(UserWarning):
    """A beta was dropped because Vertex refuses it."""


@dataclass(frozen=True)
class VertexRequest:
    """One request ready for the wire, relative to an endpoint's ``.../v1`` base URL."""

    route: Route
    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    #: The Vertex model id that went into the path (create, stream) or body (count-tokens).
    model: str = ""
    project: str = ""
    region: str = ""

    def at(self, region: str) -> VertexRequest:
        """The same request sent to another endpoint (``region`` must be validated)."""
        if region == self.region:
            return self
        return replace(
            self, region=region, path=request_path(self.route, self.project, region, self.model)
        )


def _split_betas(betas: Iterable[str], *, route: Route) -> tuple[list[str], list[str]]:
    """Sort betas into (header, body) lists; warn about and drop the rest."""
    header: list[str] = []
    body: list[str] = []
    for raw in betas:
        for name in (part.strip() for part in str(raw).split(",")):
            if not name or name in header or name in body:
                continue
            beta = VERTEX_BETAS.get(name)
            if beta is None or (route == "count_tokens" and not beta.count_tokens):
                why = (
                    "Vertex does not need it for this feature"
                    if name in NOT_NEEDED
                    else "count-tokens on Vertex refuses it"
                    if beta is not None
                    else "Vertex AI does not accept it"
                )
                warnings.warn(
                    f"Dropped anthropic-beta {name!r}: {why}.", VertexBetaWarning, stacklevel=4
                )
                continue
            (body if beta.placement == "body" else header).append(name)
    return header, body


def build_request(
    params: Mapping[str, Any],
    *,
    project: str,
    region: str,
    route: Route | None = None,
    betas: Iterable[str] = (),
    anthropic_version: str = VERTEX_ANTHROPIC_VERSION,
) -> VertexRequest:
    """Turn Messages API parameters into the Vertex request for them.

    Args:
        params: the body of a first-party Messages API call, ``model`` included. Sampling
            parameters (``temperature``, ``top_p``, ``top_k``) are ordinary keys here, so
            they reach the wire whatever the installed SDK's ``messages.create`` accepts.
            A ``betas`` key is treated like the ``betas`` argument.
        project: the Google Cloud project.
        region: the endpoint's region (``global``, ``us``, ``eu`` or a region).
        route: ``create``, ``stream`` or ``count_tokens``; by default ``stream`` when
            ``params["stream"]`` is true, else ``create``.
        betas: ``anthropic-beta`` values; those Vertex refuses are dropped with a
            :class:`VertexBetaWarning`.
        anthropic_version: the body's ``anthropic_version``.

    Raises:
        ConfigurationError: a missing or malformed model, project or region.
        MessageValidationError: a conversation Vertex would refuse (see
            :func:`~claude_vertex.validation.validate_messages`).
    """
    body = dict(params)
    model_arg = body.pop("model", None)
    if not model_arg:
        raise ConfigurationError("No model given: pass model='claude-sonnet-4-5' or another id.")
    model = resolve_model(validate_model(str(model_arg))).vertex_id
    validate_project(project)
    validate_region(region)
    if route is None:
        route = "stream" if body.get("stream") else "create"
    validate_messages(body.get("messages"))

    extra_betas = body.pop("betas", None) or ()
    header_betas, body_betas = _split_betas([*betas, *extra_betas], route=route)
    if body_betas:
        body["anthropic_beta"] = [*body.get("anthropic_beta", ()), *body_betas]
    body["anthropic_version"] = anthropic_version

    if route == "count_tokens":
        body = {k: v for k, v in body.items() if k in _COUNT_TOKENS_FIELDS}
        body["model"] = model
        body["anthropic_version"] = anthropic_version
    elif route == "stream":
        body["stream"] = True
    else:
        body.pop("stream", None)
    path = request_path(route, project, region, model)

    headers = {"anthropic-beta": ",".join(header_betas)} if header_betas else {}
    return VertexRequest(
        route=route,
        path=path,
        body=body,
        headers=headers,
        model=model,
        project=project,
        region=region,
    )
