"""Vertex's publisher-model config of a Claude model: read it, set it, wait for the change.

The config (``PublisherModelConfig``: request-response logging, data-sharing consent) lives
per project, location and model on Vertex's ``v1beta1`` REST API, the only way Google offers
to configure it for Claude::

    GET  .../v1beta1/projects/P/locations/L/publishers/anthropic/models/M:fetchPublisherModelConfig
    POST .../v1beta1/projects/P/locations/L/publishers/anthropic/models/M:setPublisherModelConfig
         {"publisherModelConfig": {...}}

``setPublisherModelConfig`` answers a long-running operation (``{"name":
"projects/P/locations/L/operations/ID", "metadata": {...}}``, per Google's request-response
logging page); :func:`set_publisher_model_config` polls it (``GET .../v1beta1/{name}``) until
it is ``done``. Requests go to the host of the settings' region (or their fixed base URL, the
emulator's say) with the settings' shared token; failures are the core's typed errors
(:func:`~claude_vertex.errors.error_from_response`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import httpx2

from ._sdk import tls_context
from .credentials import authorized_request
from .errors import (
    ClaudeVertexError,
    MalformedResponseError,
    VertexConnectionError,
    error_from_response,
)
from .models import resolve_model
from .settings import Settings

__all__ = [
    "OperationPendingError",
    "beta_base_url",
    "fetch_publisher_model_config",
    "set_publisher_model_config",
]

#: Seconds one HTTP exchange may take.
REQUEST_TIMEOUT = 30.0
#: Seconds to wait for a ``setPublisherModelConfig`` operation to finish.
OPERATION_TIMEOUT = 300.0
#: The longest wait between two polls of an operation, in seconds.
MAX_POLL_INTERVAL = 10.0

#: An operation name as Vertex returns it: resource segments, no ``..``, no query.
_OPERATION_NAME = re.compile(
    r"projects/[A-Za-z0-9._-]+/locations/[A-Za-z0-9-]+"
    r"(?:/[A-Za-z]+/[A-Za-z0-9._@-]+)*/operations/[A-Za-z0-9_-]+"
)
#: The HTTP status and Google status name of each ``google.rpc.Code`` an operation reports.
_RPC_CODES: dict[int, tuple[int, str]] = {
    3: (400, "INVALID_ARGUMENT"),
    4: (504, "DEADLINE_EXCEEDED"),
    5: (404, "NOT_FOUND"),
    7: (403, "PERMISSION_DENIED"),
    8: (429, "RESOURCE_EXHAUSTED"),
    9: (400, "FAILED_PRECONDITION"),
    13: (500, "INTERNAL"),
    14: (503, "UNAVAILABLE"),
    16: (401, "UNAUTHENTICATED"),
}


class OperationPendingError(ClaudeVertexError):
    """A ``setPublisherModelConfig`` operation did not finish in time.

    The change may still land; read the config again later.

    Attributes:
        operation: the operation's name.
    """

    def __init__(self, message: str, *, operation: str) -> None:
        super().__init__(message)
        self.operation = operation


def beta_base_url(base_url: str) -> str:
    """The ``v1beta1`` base URL beside a ``.../v1`` one (the emulator's too).

    Raises:
        ClaudeVertexError: the base URL does not end in ``/v1`` (a gateway with another
            layout), so the ``v1beta1`` API cannot be found from it.
    """
    if base_url.endswith("/v1"):
        return base_url[: -len("/v1")] + "/v1beta1"
    raise ClaudeVertexError(
        f"The base URL {base_url!r} does not end in '/v1', so the v1beta1 API the "
        "publisher-model config lives on cannot be found from it. Unset base_url (or "
        "$ANTHROPIC_VERTEX_BASE_URL) to use Vertex's own hosts."
    )


def _model_path(settings: Settings, model: str, method: str) -> str:
    vertex_id = resolve_model(model).vertex_id
    return (
        f"/projects/{settings.project}/locations/{settings.region}"
        f"/publishers/anthropic/models/{vertex_id}:{method}"
    )


class _Exchange:
    """The HTTP exchanges of one config change or read, with one token and one pool."""

    def __init__(self, settings: Settings, model: str, timeout: float) -> None:
        self.settings = settings
        self.model = resolve_model(model).vertex_id
        self.base = beta_base_url(settings.base_url)
        self.timeout = timeout
        self.http = httpx2.Client(timeout=timeout, verify=tls_context())

    def close(self) -> None:
        self.http.close()

    def send(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """The JSON answer to one request; a typed error for anything else.

        A 401 refreshes the token once and tries again, as the model calls do.
        """
        try:
            response = authorized_request(
                self.http,
                method,
                self.base + path,
                self.settings.tokens,
                timeout=self.timeout,
                json=body,
            )
        except httpx2.HTTPError as exc:
            raise self._unreachable(exc) from exc
        return self._read(response)

    def _unreachable(self, exc: httpx2.HTTPError) -> VertexConnectionError:
        try:
            request = exc.request
        except RuntimeError:  # httpx2 raises it when the request is unset
            request = httpx2.Request("GET", self.base)
        return VertexConnectionError(
            f"The connection to Vertex AI region {self.settings.region!r} failed "
            f"({type(exc).__name__}). Check the network path to {request.url.host}.",
            request=request,
            region=self.settings.region,
        )

    def _read(self, response: httpx2.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
            if response.is_success:
                raise MalformedResponseError("not JSON", response=response) from None
        if not response.is_success:
            raise error_from_response(
                response,
                response.text if body is None else body,
                project=self.settings.project,
                region=self.settings.region,
                model=self.model,
            )
        if not isinstance(body, dict):
            raise MalformedResponseError("not a JSON object", response=response)
        return body

    def failed_operation(self, operation: Mapping[str, Any], url: str) -> ClaudeVertexError:
        """The typed error of an operation that ended with ``error`` (a ``google.rpc.Status``)."""
        status = operation.get("error")
        status = status if isinstance(status, Mapping) else {}
        code = status.get("code")
        http_status, name = _RPC_CODES.get(code if isinstance(code, int) else -1, (500, "UNKNOWN"))
        message = str(status.get("message") or "the operation failed")
        body = {"error": {"code": http_status, "message": message, "status": name}}
        response = httpx2.Response(http_status, json=body, request=httpx2.Request("GET", url))
        return error_from_response(
            response,
            body,
            project=self.settings.project,
            region=self.settings.region,
            model=self.model,
        )


def fetch_publisher_model_config(
    settings: Settings, model: str, *, timeout: float = REQUEST_TIMEOUT
) -> dict[str, Any]:
    """The publisher-model config of ``model`` at the settings' project and region.

    An empty dict when nothing was ever set (what Vertex answers then is unconfirmed; the
    emulator answers ``{}``).

    Raises:
        VertexAPIError: Vertex refused (typed, as for model calls).
        VertexConnectionError: no answer.
        MalformedResponseError: an answer that is not a JSON object.
    """
    exchange = _Exchange(settings, model, timeout)
    try:
        answer: dict[str, Any] = exchange.send(
            "GET", _model_path(settings, model, "fetchPublisherModelConfig")
        )
        return answer
    finally:
        exchange.close()


def set_publisher_model_config(
    settings: Settings,
    model: str,
    config: Mapping[str, Any],
    *,
    timeout: float = REQUEST_TIMEOUT,
    operation_timeout: float = OPERATION_TIMEOUT,
    poll_interval: float = 1.0,
) -> dict[str, Any]:
    """Set ``config`` (a ``PublisherModelConfig`` in JSON) and wait for the operation to end.

    Returns the operation's ``response`` (the config as set; ``@type`` removed), or ``{}``
    when the finished operation carries none.

    Raises:
        VertexAPIError: Vertex refused the change, or the operation ended with an error.
        OperationPendingError: the operation was not done within ``operation_timeout``.
        VertexConnectionError: no answer.
        MalformedResponseError: an answer that is not an operation.
    """
    exchange = _Exchange(settings, model, timeout)
    try:
        path = _model_path(settings, model, "setPublisherModelConfig")
        operation = exchange.send("POST", path, {"publisherModelConfig": dict(config)})
        return _wait(exchange, operation, operation_timeout, poll_interval)
    finally:
        exchange.close()


def _wait(
    exchange: _Exchange, operation: dict[str, Any], limit: float, interval: float
) -> dict[str, Any]:
    """Poll ``operation`` until it is done; its ``response``, or its error raised."""
    name = operation.get("name")
    pollable = isinstance(name, str) and _OPERATION_NAME.fullmatch(name) is not None
    if not operation.get("done") and not pollable:
        raise ClaudeVertexError(
            f"setPublisherModelConfig answered neither a finished operation nor an operation "
            f"name to poll (name {str(name)[:200]!r}); the change may or may not have been made. "
            "Read the config again to see."
        )
    started = time.monotonic()
    delay = 0.0  # the first poll at once, then after interval, doubling up to the maximum
    while not operation.get("done"):
        left = limit - (time.monotonic() - started)
        if left <= 0:
            raise OperationPendingError(
                f"The operation {name} setting the publisher-model config had not finished "
                f"after {limit:g} s. The change may still land: read the config again later.",
                operation=str(name),
            )
        time.sleep(min(delay, left))
        delay = min(delay * 2, MAX_POLL_INTERVAL) if delay else interval
        operation = exchange.send("GET", f"/{name}")
    if "error" in operation:
        raise exchange.failed_operation(operation, f"{exchange.base}/{name}")
    response = operation.get("response")
    if not isinstance(response, dict):
        return {}
    return {key: value for key, value in response.items() if key != "@type"}
