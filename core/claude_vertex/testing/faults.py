"""Fault injection: errors, delays and broken streams the emulator answers on demand.

A :class:`Fault` says what goes wrong; :class:`FaultPlan` holds the faults queued with
:meth:`VertexEmulator.inject <claude_vertex.testing.VertexEmulator.inject>` and picks the
one a request gets.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from claude_vertex.models import resolve_model

from .error_bodies import GOOGLE_STATUS, anthropic_error, google_error
from .replies import Reply, StreamReply
from .sse import encode_sse

__all__ = ["MODEL_ROUTES", "Fault", "FaultPlan"]

FaultKind = Literal["reply", "slow", "drop", "truncate", "error_event"]
Headers = tuple[tuple[str, str], ...]

#: The routes faults apply to.
MODEL_ROUTES = ("create", "stream", "count_tokens")

#: HTTP status and default message of each Anthropic error type.
ANTHROPIC_ERRORS: dict[str, tuple[int, str]] = {
    "invalid_request_error": (400, "Invalid request"),
    "authentication_error": (401, "Invalid authentication"),
    "permission_error": (403, "Permission denied"),
    "not_found_error": (404, "Not found"),
    "request_too_large": (413, "Request exceeds the maximum allowed number of bytes."),
    "rate_limit_error": (429, "Rate limited"),
    "api_error": (500, "Internal server error"),
    "overloaded_error": (529, "Overloaded"),
}

QUOTA_MESSAGE = (
    "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model "
    "with base model: {base_model}. Please submit a quota increase request. "
    "https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai."
)
#: Vertex's refusal of a model not enabled for the project in Model Garden (LiteLLM #3549,
#: uni-api #41 show it as 400 FAILED_PRECONDITION).
NOT_ENABLED_MESSAGE = "Project `{project}` is not allowed to use Publisher Model `{resource}`"
#: Vertex's refusal of a model that needs data-sharing consent (copilot-api #317).
DATA_SHARING_MESSAGE = (
    "Access to this model requires data sharing to be enabled for publisher 'anthropic'. "
    "Please set `PublisherModelConfig.data_sharing_enabled_provider` to 'anthropic' via the "
    "setPublisherModelConfig API to use this model."
)
PERMISSION_MESSAGE = (
    "Permission 'aiplatform.endpoints.predict' denied on resource "
    "'//aiplatform.googleapis.com/{resource}' (or it may not exist)."
)


def _headers(headers: Mapping[str, str] | None) -> Headers:
    return tuple((name.lower(), value) for name, value in (headers or {}).items())


@dataclass(frozen=True)
class Fault:
    """One thing that goes wrong with a request. Build it with the class methods.

    Faults whose ``kind`` is ``drop``, ``truncate`` or ``error_event`` break a stream and
    only apply to ``:streamRawPredict`` requests; the others apply to every model route.
    """

    kind: FaultKind
    #: The HTTP status of a ``reply`` fault.
    code: int = 200
    #: ``google``: Google's error object (list-wrapped on the stream route); ``anthropic``:
    #: the model layer's; ``raw``: ``body`` as given.
    shape: Literal["google", "anthropic", "raw"] = "raw"
    #: Google's status string or Anthropic's error type.
    error: str = ""
    #: The error message; ``{base_model}``, ``{resource}`` and ``{project}`` are filled in
    #: per request.
    message: str = ""
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: Headers = ()
    seconds: float = 0.0
    after_events: int = 0

    # ----------------------------------------------------------- constructors

    @classmethod
    def google(
        cls,
        code: int,
        message: str,
        status: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """An error of Google's front door, ``{"error": {"code", "message", "status"}}``."""
        return cls(
            "reply",
            code,
            "google",
            status or GOOGLE_STATUS.get(code, "UNKNOWN"),
            message,
            headers=_headers(headers),
        )

    @classmethod
    def anthropic(
        cls,
        error_type: str,
        message: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """An error of the model layer, ``{"type": "error", "error": {"type", "message"}}``."""
        default_status, default_message = ANTHROPIC_ERRORS.get(error_type, (500, error_type))
        return cls(
            "reply",
            status or default_status,
            "anthropic",
            error_type,
            message or default_message,
            headers=_headers(headers),
        )

    @classmethod
    def quota_exhausted(cls, headers: Mapping[str, str] | None = None) -> Fault:
        """429 RESOURCE_EXHAUSTED for the base model's quota, without ``retry-after``."""
        return cls.google(429, QUOTA_MESSAGE, headers=headers)

    @classmethod
    def overloaded(cls, headers: Mapping[str, str] | None = None) -> Fault:
        """529 ``overloaded_error``."""
        return cls.anthropic("overloaded_error", headers=headers)

    @classmethod
    def unavailable(cls, headers: Mapping[str, str] | None = None) -> Fault:
        """503 UNAVAILABLE from Google's front door."""
        return cls.google(503, "The service is currently unavailable.", headers=headers)

    @classmethod
    def permission_denied(cls, headers: Mapping[str, str] | None = None) -> Fault:
        """403 PERMISSION_DENIED: the model is not enabled for the project."""
        return cls.google(403, PERMISSION_MESSAGE, headers=headers)

    @classmethod
    def model_not_enabled(cls, headers: Mapping[str, str] | None = None) -> Fault:
        """400 FAILED_PRECONDITION: the model is not enabled for the project in Model Garden."""
        return cls.google(400, NOT_ENABLED_MESSAGE, "FAILED_PRECONDITION", headers=headers)

    @classmethod
    def data_sharing_required(cls, headers: Mapping[str, str] | None = None) -> Fault:
        """403 PERMISSION_DENIED: the model needs the project's data-sharing consent.

        :meth:`VertexEmulator.require_data_sharing
        <claude_vertex.testing.VertexEmulator.require_data_sharing>` does the same until the
        project consents through ``setPublisherModelConfig``.
        """
        return cls.google(403, DATA_SHARING_MESSAGE, headers=headers)

    @classmethod
    def prompt_too_long(cls, headers: Mapping[str, str] | None = None) -> Fault:
        """400 ``invalid_request_error``: the prompt is longer than the context window."""
        return cls.anthropic(
            "invalid_request_error",
            "prompt is too long: 250000 tokens > 200000 maximum",
            headers=headers,
        )

    @classmethod
    def status(
        cls, code: int, body: object = b"", headers: Mapping[str, str] | None = None
    ) -> Fault:
        """Any status with any body: bytes or str as given, anything else as JSON."""
        if isinstance(body, bytes):
            raw, content_type = body, "application/octet-stream"
        elif isinstance(body, str):
            raw, content_type = body.encode(), "text/plain; charset=UTF-8"
        else:
            raw, content_type = json.dumps(body).encode(), "application/json; charset=UTF-8"
        return cls(
            "reply", code, "raw", body=raw, content_type=content_type, headers=_headers(headers)
        )

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering, then answer normally."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        return cls("slow", seconds=seconds)

    @classmethod
    def drop_mid_stream(cls, after_events: int = 3) -> Fault:
        """Send ``after_events`` SSE events, then close the socket without ending the body."""
        return cls("drop", after_events=after_events)

    @classmethod
    def truncated_stream(cls, after_events: int = 3) -> Fault:
        """Send ``after_events`` SSE events, then end the body cleanly (no ``message_stop``)."""
        return cls("truncate", after_events=after_events)

    @classmethod
    def stream_error_event(
        cls, error_type: str = "overloaded_error", after_events: int = 2
    ) -> Fault:
        """A 200 stream that sends ``after_events`` events, then ``event: error``, then ends."""
        message = ANTHROPIC_ERRORS.get(error_type, (500, error_type))[1]
        return cls("error_event", error=error_type, message=message, after_events=after_events)

    # ----------------------------------------------------------- modifiers

    def with_headers(self, headers: Mapping[str, str]) -> Fault:
        """This fault with extra response headers."""
        return replace(self, headers=self.headers + _headers(headers))

    def retry_after(self, seconds: float) -> Fault:
        """This fault with a ``retry-after`` header (Vertex itself sends none)."""
        return self.with_headers({"retry-after": f"{seconds:g}"})

    # ----------------------------------------------------------- behaviour

    @property
    def breaks_stream(self) -> bool:
        """Whether the fault cuts an SSE stream (and so only fits the stream route)."""
        return self.kind in ("drop", "truncate", "error_event")

    def fits(self, route: str) -> bool:
        """Whether the fault can apply to a request on ``route``."""
        return route in MODEL_ROUTES and (route == "stream" or not self.breaks_stream)

    def reply(self, route: str, project: str, region: str, model: str) -> Reply:
        """The error answer of a ``reply`` fault to a request on ``route``."""
        if self.shape == "raw":
            return Reply(self.code, self.body, self.headers, self.content_type)
        resource = f"projects/{project}/locations/{region}/publishers/anthropic/models/{model}"
        message = self.message.format(
            base_model="anthropic-" + resolve_model(model).alias,
            resource=resource,
            project=project,
        )
        if self.shape == "anthropic":
            return Reply.json(self.code, anthropic_error(self.error, message), self.headers)
        payload = google_error(self.code, message, self.error)
        return Reply.json(self.code, [payload] if route == "stream" else payload, self.headers)

    def cut(self, events: Iterable[bytes]) -> StreamReply:
        """The stream a stream-breaking fault makes of the normal ``events``."""
        kept = tuple(itertools.islice(events, self.after_events))
        if self.kind == "drop":
            return StreamReply(kept, "dropped", self.headers)
        if self.kind == "error_event":
            error = encode_sse("error", anthropic_error(self.error, self.message))
            return StreamReply((*kept, error), "truncated", self.headers)
        return StreamReply(kept, "truncated", self.headers)


@dataclass
class _Queued:
    fault: Fault
    remaining: int | None
    route: str | None
    region: str | None
    model: str | None

    def matches(self, route: str, region: str, models: Sequence[str]) -> bool:
        return (
            self.fault.fits(route)
            and self.route in (None, route)
            and self.region in (None, region)
            and (self.model is None or self.model in models)
        )


class FaultPlan:
    """The faults waiting for requests: injected faults and a random rate. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._random: tuple[float, tuple[Fault, ...], random.Random] | None = None

    def add(
        self,
        fault: Fault,
        times: int | None = 1,
        route: str | None = None,
        region: str | None = None,
        model: str | None = None,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests (``None``: until cleared)."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every request")
        if route is not None and route not in MODEL_ROUTES:
            raise ValueError(f"route must be one of {MODEL_ROUTES}, got {route!r}")
        with self._lock:
            self._queue.append(_Queued(fault, times, route, region, model))

    def add_random(self, rate: float, faults: Sequence[Fault], seed: int = 0) -> None:
        """Give a ``rate`` fraction of requests a fault drawn from ``faults``."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        if not faults:
            raise ValueError("faults must not be empty")
        with self._lock:
            self._random = (rate, tuple(faults), random.Random(seed))  # noqa: S311 - not crypto

    def clear(self) -> None:
        """Drop every queued fault and the random rate."""
        with self._lock:
            self._queue.clear()
            self._random = None

    def take(self, route: str, region: str, models: Sequence[str]) -> Fault | None:
        """The fault for one request, consuming it; ``models`` are the names of its model."""
        with self._lock:
            for queued in self._queue:
                if queued.matches(route, region, models):
                    if queued.remaining is not None:
                        queued.remaining -= 1
                        if queued.remaining == 0:
                            self._queue.remove(queued)
                    return queued.fault
            if self._random is None:
                return None
            rate, faults, rng = self._random
            if rng.random() >= rate:
                return None
            fitting = [fault for fault in faults if fault.fits(route)]
            return rng.choice(fitting) if fitting else None
