"""Typed errors, and the mapping of Vertex's two error shapes onto them.

Vertex answers errors from two layers:

* Google's front door: ``{"error": {"code", "message", "status"}}``, wrapped in a one-element
  list on the streaming route;
* the model: ``{"type": "error", "error": {"type", "message"}}``, also as an ``error`` event
  inside a 200 stream.

:func:`error_from_response` turns either into one :class:`VertexAPIError` subclass whose
message says what to do. Each API error also subclasses the anthropic SDK's matching error
(``anthropic.RateLimitError`` and so on), so code written against the SDK keeps working.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anthropic
import httpx2

from .model_spelling import nearest_model, unknown_version
from .models import resolve_model

__all__ = [
    "AuthenticationError",
    "ClaudeVertexError",
    "ConfigurationError",
    "CredentialsError",
    "DataSharingRequiredError",
    "InvalidRequestError",
    "MalformedResponseError",
    "MediaError",
    "MessageValidationError",
    "MissingExtraError",
    "ModelNotEnabledError",
    "ModelNotFoundError",
    "ModelNotServableInRegionError",
    "OverloadedError",
    "ParameterError",
    "PermissionDeniedError",
    "PromptTooLongError",
    "QuotaExhaustedError",
    "ServerError",
    "StreamInterruptedError",
    "StreamOrderError",
    "UnsupportedOnVertexError",
    "VertexAPIError",
    "VertexConnectionError",
    "error_details",
    "error_from_response",
    "model_garden_url",
    "quota_metric",
]


class ClaudeVertexError(Exception):
    """Base class of every error this package raises."""


class ConfigurationError(ClaudeVertexError, ValueError):
    """A setting or argument is invalid or missing; raised before any network I/O."""


class MessageValidationError(ConfigurationError):
    """A conversation Vertex would refuse; raised before sending, naming message and block."""


class ParameterError(ConfigurationError):
    """A call parameter the model would refuse (a thinking budget, an effort level...).

    Raised before sending; the message names the parameter, the model and what to send instead.
    """


class UnsupportedOnVertexError(ConfigurationError, anthropic.AnthropicError):
    """An anthropic SDK call that Vertex AI does not offer (Message Batches, Files, Models...).

    Raised by :class:`~claude_vertex.AnthropicVertex` before any network I/O; the message
    says what to use instead. Also an ``anthropic.AnthropicError``, so code that catches the
    SDK's errors catches it.
    """


class CredentialsError(ClaudeVertexError):
    """Credentials could not be loaded or refreshed."""


class MissingExtraError(ClaudeVertexError, ImportError):
    """A feature needs a dependency of an extra that is not installed; the message says which.

    For example batch jobs stage files with google-cloud-storage, the ``batch`` extra:
    ``pip install "claude-vertex[batch]"``.
    """


class MediaError(ClaudeVertexError, ValueError):
    """An image or document could not be read, or is of a kind Claude does not accept."""


class VertexConnectionError(ClaudeVertexError, anthropic.APIConnectionError):
    """No answer from an endpoint: the connection failed, dropped or timed out."""

    retryable = True

    def __init__(self, message: str, *, request: httpx2.Request, region: str | None = None) -> None:
        super().__init__(message=message, request=request)
        self.region = region


class MalformedResponseError(ClaudeVertexError, anthropic.AnthropicError):
    """An answer that is not what Vertex AI sends; never retried.

    Not JSON (an HTML page from a proxy), invalid UTF-8, JSON nested too deep, the wrong
    shape or types, or too large: whatever answered will likely answer the same way again.

    Attributes:
        response: the HTTP response, when the error arose while reading it.
    """

    retryable = False

    def __init__(self, detail: str, *, response: httpx2.Response | None = None) -> None:
        what = "The answer"
        if response is not None:
            content_type = response.headers.get("content-type", "no content type")
            what = (
                f"The answer from {response.request.url.host} "
                f"(HTTP {response.status_code}, {content_type})"
            )
        super().__init__(
            f"{what} could not be read as a Vertex AI answer: {detail}. A proxy or gateway "
            "may have answered in Vertex's place; check base_url and the network path."
        )
        self.response = response


class StreamOrderError(ClaudeVertexError):
    """Stream events out of the Messages API's order; no Vertex endpoint sends such a stream.

    A content block that starts out of turn, or a delta or stop for a block that never
    started.
    """


class StreamInterruptedError(ClaudeVertexError):
    """A stream broke after some of its content had reached the caller.

    Such a stream is never retried (the caller would see content twice); the attributes say
    how much arrived, and ``__cause__`` is the underlying error.
    """

    def __init__(
        self, message: str, *, events_received: int, content_chars: int, region: str | None
    ) -> None:
        super().__init__(message)
        self.events_received = events_received
        self.content_chars = content_chars
        self.region = region


class VertexAPIError(ClaudeVertexError, anthropic.APIStatusError):
    """Vertex AI answered with an error.

    Attributes:
        status_code: the HTTP status (200 for an ``error`` event inside a stream).
        status: Google's status name (``RESOURCE_EXHAUSTED``...), if the error came from
            Google's front door.
        error_type: Anthropic's error type (``overloaded_error``...), if it came from the model.
        vertex_message: the message Vertex sent (its first 2,000 characters).
        region: the endpoint that answered, when known.
        model: the Vertex model id, when known.
        request_id: the request id Vertex sent, when present.
    """

    #: Whether repeating the request (later, or at another endpoint) can succeed.
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        response: httpx2.Response,
        body: object,
        status: str | None = None,
        error_type: str | None = None,
        vertex_message: str = "",
        region: str | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(message, response=response, body=body)
        self.status = status
        self.error_type = error_type
        self.vertex_message = vertex_message
        self.region = region
        self.model = model


class AuthenticationError(VertexAPIError, anthropic.AuthenticationError):
    """401: the access token was missing, invalid or expired."""


class PermissionDeniedError(VertexAPIError, anthropic.PermissionDeniedError):
    """403: the project may not call the model (not enabled, or a missing IAM role)."""


class DataSharingRequiredError(PermissionDeniedError):
    """403: the model serves only projects that consented to data sharing with Anthropic.

    Vertex asks for ``PublisherModelConfig.data_sharing_enabled_provider`` set to
    ``anthropic`` (through ``setPublisherModelConfig``) before it serves such a model.
    """


class ModelNotFoundError(VertexAPIError, anthropic.NotFoundError):
    """404: the model does not exist at this endpoint, or the project cannot see it."""


class InvalidRequestError(VertexAPIError, anthropic.BadRequestError):
    """400: the request is malformed; sending it again will not help."""


class ModelNotServableInRegionError(InvalidRequestError):
    """400 FAILED_PRECONDITION: the model exists but this region does not serve it."""


class ModelNotEnabledError(InvalidRequestError):
    """400 FAILED_PRECONDITION "Project ... is not allowed to use Publisher Model ...".

    The model has not been enabled for the project in Vertex AI Model Garden.
    """


class PromptTooLongError(InvalidRequestError):
    """The prompt is longer than the model's context window."""


class QuotaExhaustedError(VertexAPIError, anthropic.RateLimitError):
    """429 RESOURCE_EXHAUSTED: a per-minute quota of the project and region is used up.

    Attributes:
        quota_metric: the quota Google's message names
            (``aiplatform.googleapis.com/online_prediction_requests_per_base_model``), if any.
    """

    retryable = True

    @property
    def quota_metric(self) -> str | None:
        """The quota metric Google's message names, if it names one."""
        return quota_metric(self.vertex_message)


class OverloadedError(VertexAPIError, anthropic.OverloadedError):
    """529 (or an ``overloaded_error`` stream event): the model is overloaded."""

    retryable = True


class ServerError(VertexAPIError, anthropic.InternalServerError):
    """5xx: a server-side failure; retrying can help."""

    retryable = True


@dataclass(frozen=True)
class _Parsed:
    status: str | None
    error_type: str | None
    message: str


#: The most characters of Vertex's own message kept in an error (the rest is cut).
MAX_MESSAGE_CHARS = 2000


def _clip(text: object, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as a string of at most ``limit`` characters (and a note of what was cut)."""
    if isinstance(text, str) and len(text) <= limit:
        return text
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit:,} more characters]"


def _parse_body(body: object) -> _Parsed:
    """Read either error shape, list-wrapped or not; tolerate anything else."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
            return _Parsed(None, None, _clip(text.strip()))
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, Mapping):
        return _Parsed(None, None, "" if body is None else _clip(body))
    error = body.get("error")
    if isinstance(error, Mapping):
        message = _clip(error.get("message") or "")
        if body.get("type") == "error" or "type" in error:
            return _Parsed(None, _clip(error.get("type") or "", 100) or None, message)
        return _Parsed(_clip(error.get("status") or "", 100) or None, None, message)
    return _Parsed(None, None, _clip(body.get("message") or ""))


def _where(project: str | None, region: str | None, model: str | None) -> str:
    bits = [f"model {model!r}" if model else "", f"region {region!r}" if region else ""]
    bits.append(f"project {project!r}" if project else "")
    return ", ".join(b for b in bits if b)


def _model_hint(model: str | None) -> str:
    """What to do about a model Vertex does not know or does not serve in the region."""
    own = unknown_version(model) if model else None
    if own is not None:
        return f"Vertex has no such version of this model: use {own!r}, or the '@default' version."
    info = resolve_model(model) if model else None
    if info is not None and info.known:
        return (
            f"{info.vertex_id} is served in: {', '.join(info.served_in)}. "
            "Pass one of them as region=, or check the model id."
        )
    advice = "Check the model id and region, and that the model is enabled in Model Garden."
    near = nearest_model(model) if model else None
    return f"{advice} Did you mean {near!r}?" if near else advice


#: Model Garden's page of one Anthropic model (its alias, e.g. ``claude-sonnet-4-5``).
MODEL_GARDEN_URL = "https://console.cloud.google.com/vertex-ai/publishers/anthropic/model-garden"

_QUOTA_METRIC = re.compile(r"Quota exceeded for ([a-z0-9.-]+/[A-Za-z0-9_.-]+)")
_BASE_MODEL = re.compile(r"base model: ([A-Za-z0-9_.-]*[A-Za-z0-9])")


def _vertex_id(model: str | None) -> str:
    return resolve_model(model).vertex_id if model else "MODEL"


def model_garden_url(model: str | None) -> str:
    """The Model Garden page that enables ``model`` (the publisher's page if unknown)."""
    info = resolve_model(model) if model else None
    if info is None:
        return MODEL_GARDEN_URL
    return f"{MODEL_GARDEN_URL}/{info.alias}"


def quota_metric(message: str) -> str | None:
    """The quota metric a 429 message of Google's names; None if it names none.

    For example ``aiplatform.googleapis.com/online_prediction_requests_per_base_model``.
    """
    found = _QUOTA_METRIC.search(message)
    return found.group(1) if found else None


def _quota_base_model(message: str) -> str | None:
    found = _BASE_MODEL.search(message)
    return found.group(1) if found else None


def _quota_hint(message: str) -> str:
    metric = quota_metric(message) or (
        "aiplatform.googleapis.com online prediction requests per base model"
    )
    base_model = _quota_base_model(message)
    return (
        "Retry later, send to the 'global' endpoint (it pools capacity), or request a "
        f"quota increase: https://console.cloud.google.com/iam-admin/quotas ({metric}"
        f"{' for ' + base_model if base_model else ''})."
    )


def _prompt_hint(model: str | None) -> str:
    if not model:
        return "Shorten the conversation or its documents."
    return (
        "Shorten the conversation or its documents; the context window is "
        f"{resolve_model(model).context_window:,} tokens."
    )


#: What to do about each error class: a function of the model and Vertex's message.
_HINTS: dict[type[VertexAPIError], Callable[[str | None, str], str]] = {
    AuthenticationError: lambda model, message: (
        "Check the credentials: run `gcloud auth application-default login`, or pass "
        "credentials=<key file path, info dict or google.auth Credentials>."
    ),
    DataSharingRequiredError: lambda model, message: (
        "Consent to data sharing with Anthropic for the project and model: POST "
        '{"publisherModelConfig": {"dataSharingEnabledProvider": "anthropic"}} to '
        "https://aiplatform.googleapis.com/v1beta1/projects/PROJECT/locations/global/"
        f"publishers/anthropic/models/{_vertex_id(model)}:setPublisherModelConfig "
        "(claude_vertex.publisher_model_config.set_publisher_model_config does it)."
    ),
    PermissionDeniedError: lambda model, message: (
        "Enable the model for the project in Vertex AI Model Garden "
        f"({model_garden_url(model)}) and grant the caller roles/aiplatform.user on the "
        "project."
    ),
    ModelNotEnabledError: lambda model, message: (
        "Enable the model for the project in Vertex AI Model Garden: open "
        f"{model_garden_url(model)} and click Enable (accepting Anthropic's terms)."
    ),
    ModelNotFoundError: lambda model, message: _model_hint(model),
    ModelNotServableInRegionError: lambda model, message: _model_hint(model),
    QuotaExhaustedError: lambda model, message: _quota_hint(message),
    OverloadedError: lambda model, message: (
        "The model is overloaded; retry with backoff or try another region."
    ),
    PromptTooLongError: lambda model, message: _prompt_hint(model),
    ServerError: lambda model, message: "A server-side failure; retrying can help.",
}


def _hint(cls: type[VertexAPIError], *, model: str | None, message: str = "") -> str:
    """What the user should do about an error of class ``cls`` (Vertex said ``message``)."""
    hint = _HINTS.get(cls)
    if hint is None:
        return "Fix the request; sending it again unchanged will fail the same way."
    return hint(model, message)


# Google's status names and the model layer's error types, each mapped to one class.
_BY_GOOGLE_STATUS: dict[str, type[VertexAPIError]] = {
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "NOT_FOUND": ModelNotFoundError,
    "RESOURCE_EXHAUSTED": QuotaExhaustedError,
    "INVALID_ARGUMENT": InvalidRequestError,
    "FAILED_PRECONDITION": InvalidRequestError,
    "UNAVAILABLE": ServerError,
    "INTERNAL": ServerError,
    "DEADLINE_EXCEEDED": ServerError,
}
_BY_ERROR_TYPE: dict[str, type[VertexAPIError]] = {
    "authentication_error": AuthenticationError,
    "permission_error": PermissionDeniedError,
    "not_found_error": ModelNotFoundError,
    "rate_limit_error": QuotaExhaustedError,
    "overloaded_error": OverloadedError,
    "invalid_request_error": InvalidRequestError,
    "request_too_large": PromptTooLongError,
    "api_error": ServerError,
}
_BY_HTTP_STATUS: dict[int, type[VertexAPIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: ModelNotFoundError,
    413: PromptTooLongError,
    429: QuotaExhaustedError,
    529: OverloadedError,
}


#: The Messages API's error type for each of Google's status names.
_ERROR_TYPE_BY_GOOGLE_STATUS = {
    "UNAUTHENTICATED": "authentication_error",
    "PERMISSION_DENIED": "permission_error",
    "NOT_FOUND": "not_found_error",
    "RESOURCE_EXHAUSTED": "rate_limit_error",
    "INVALID_ARGUMENT": "invalid_request_error",
    "FAILED_PRECONDITION": "invalid_request_error",
    "UNAVAILABLE": "api_error",
    "INTERNAL": "api_error",
    "DEADLINE_EXCEEDED": "api_error",
}


def error_details(body: object) -> tuple[str, str]:
    """``(error type, message)`` of an error of either shape, as the Messages API names types.

    ``body`` is Google's ``{"error": {"status", "message"}}``, the model's ``{"type":
    "error", "error": {"type", "message"}}`` (parsed, or as JSON text, list-wrapped or not),
    or plain text. A Google status becomes its Messages API type (``RESOURCE_EXHAUSTED`` is a
    ``rate_limit_error``); what names no type is an ``api_error``.
    """
    parsed = _parse_body(body)
    kind = parsed.error_type or _ERROR_TYPE_BY_GOOGLE_STATUS.get(parsed.status or "", "api_error")
    return kind, parsed.message


def _classify(status_code: int, parsed: _Parsed) -> type[VertexAPIError]:
    lowered = parsed.message.lower()
    if "not servable in region" in lowered:
        return ModelNotServableInRegionError
    if "not allowed to use publisher model" in lowered:
        return ModelNotEnabledError
    if "requires data sharing" in lowered:
        return DataSharingRequiredError
    if "prompt is too long" in lowered:
        return PromptTooLongError
    cls = (
        _BY_GOOGLE_STATUS.get(parsed.status or "")
        or _BY_ERROR_TYPE.get(parsed.error_type or "")
        or _BY_HTTP_STATUS.get(status_code)
    )
    if cls is not None:
        return cls
    return ServerError if status_code >= 500 else InvalidRequestError


def _route_hint(
    cls: type[VertexAPIError], hints: Mapping[type[VertexAPIError], str] | None
) -> str | None:
    """The route's own advice for ``cls`` (or for the class it subclasses), if it has one."""
    for klass in cls.__mro__:
        if hints and klass in hints:
            return hints[klass]
    return None


def error_from_response(
    response: httpx2.Response,
    body: object,
    *,
    project: str | None = None,
    region: str | None = None,
    model: str | None = None,
    hints: Mapping[type[VertexAPIError], str] | None = None,
    classes: Mapping[type[VertexAPIError], type[VertexAPIError]] | None = None,
) -> VertexAPIError:
    """Build the typed error for an error answer (or an ``error`` stream event) from Vertex.

    Args:
        response: the HTTP response (status 200 for an error event inside a stream).
        body: the parsed JSON body or event data, or its raw text.
        project: the project of the request, for the message.
        region: the endpoint that answered.
        model: the Vertex model id.
        hints: what to do, by error class, where a route's advice differs from a model
            call's (a batch job's quota is not a model call's).
        classes: a class to raise instead of one of these (a subclass of it), by class.
    """
    parsed = _parse_body(body)
    cls = _classify(response.status_code, parsed)
    cls = (classes or {}).get(cls, cls)
    kind = parsed.status or parsed.error_type or f"HTTP {response.status_code}"
    where = _where(project, region, model)
    message = (
        f"Vertex AI error {response.status_code} {kind}"
        f"{' (' + where + ')' if where else ''}: "
        f"{parsed.message or 'no message'} "
        f"-> {_route_hint(cls, hints) or _hint(cls, model=model, message=parsed.message)}"
    )
    return cls(
        message,
        response=response,
        body=body,
        status=parsed.status,
        error_type=parsed.error_type,
        vertex_message=parsed.message,
        region=region,
        model=model,
    )
