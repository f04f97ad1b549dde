"""Sending Messages API calls to Vertex AI on the anthropic SDK's Vertex clients.

:class:`VertexClient` is what the adapters call: ``create``, ``stream`` and ``count_tokens``
with Messages API parameters, sync and async. Under it, the SDK's ``AnthropicVertex`` and
``AsyncAnthropicVertex`` provide the connection pool, retries with backoff, SSE parsing and
the response types; this module gives them the request transform, the shared token provider,
the retry policy (4xx other than 408 and 429 are never retried) and the typed errors.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

import anthropic
import httpx2
import pydantic
from anthropic.types import Message, MessageTokensCount, RawMessageStreamEvent

from ._sdk import AsyncTransport, SyncTransport, request_options
from .endpoints import count_tokens_region
from .errors import VertexAPIError, error_from_response
from .settings import Settings
from .transform import Route, VertexRequest, build_request

__all__ = ["AsyncMessageStream", "MessageStream", "VertexClient", "VertexMessage"]

DEFAULT_TIMEOUT = httpx2.Timeout(600.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2

#: Stream event types of the Messages API; anything else (``vertex_event``) is skipped.
STREAM_EVENT_TYPES = frozenset(
    {"message_start", "message_delta", "message_stop", "content_block_start",
     "content_block_delta", "content_block_stop"}
)


class VertexMessage(Message):
    """An ``anthropic.types.Message`` that also says where Vertex answered it.

    ``vertex_region`` is excluded from ``model_dump()``/``to_json()``, so the message
    serialises exactly as the Messages API sent it. ``_request_id`` is the SDK's.
    """

    vertex_region: str | None = pydantic.Field(default=None, exclude=True)


def _request_id(response: httpx2.Response) -> str | None:
    headers = response.headers
    return headers.get("request-id") or headers.get("x-request-id")


def _answered(message: VertexMessage, request: VertexRequest) -> VertexMessage:
    message.vertex_region = request.region
    return message


def _typed(exc: anthropic.APIStatusError, request: VertexRequest) -> VertexAPIError:
    if isinstance(exc, VertexAPIError):
        return exc
    return error_from_response(exc.response, exc.body, project=request.project,
                               region=request.region, model=request.model)


class MessageStream:
    """The events of one streamed answer, as the SDK's ``RawMessageStreamEvent`` objects.

    Iterate it, preferably in a ``with`` block so the connection is released early. Vertex's
    own ``vertex_event`` events are skipped; an ``error`` event raises a typed error.
    """

    def __init__(self, stream: anthropic.Stream[RawMessageStreamEvent],
                 request: VertexRequest) -> None:
        self._stream = stream
        self._request = request
        #: The HTTP response the events arrive on.
        self.response = stream.response
        #: The endpoint that answered.
        self.region = request.region
        #: The request id Vertex sent, if any.
        self.request_id = _request_id(stream.response)

    def __iter__(self) -> Iterator[RawMessageStreamEvent]:
        try:
            for event in self._stream:
                if getattr(event, "type", None) in STREAM_EVENT_TYPES:
                    yield event
        except anthropic.APIStatusError as exc:
            raise _typed(exc, self._request) from exc

    def close(self) -> None:
        """Release the connection."""
        self._stream.close()

    def __enter__(self) -> MessageStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncMessageStream:
    """The async form of :class:`MessageStream`."""

    def __init__(self, stream: anthropic.AsyncStream[RawMessageStreamEvent],
                 request: VertexRequest) -> None:
        self._stream = stream
        self._request = request
        #: The HTTP response the events arrive on.
        self.response = stream.response
        #: The endpoint that answered.
        self.region = request.region
        #: The request id Vertex sent, if any.
        self.request_id = _request_id(stream.response)

    async def __aiter__(self) -> AsyncIterator[RawMessageStreamEvent]:
        try:
            async for event in self._stream:
                if getattr(event, "type", None) in STREAM_EVENT_TYPES:
                    yield event
        except anthropic.APIStatusError as exc:
            raise _typed(exc, self._request) from exc

    async def close(self) -> None:
        """Release the connection."""
        await self._stream.close()

    async def __aenter__(self) -> AsyncMessageStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class VertexClient:
    """Calls Claude on Vertex AI with Messages API parameters.

    One instance holds one sync connection pool and one async pool per event loop, built on
    first use and reused by every call. Build it from :func:`~claude_vertex.resolve_settings`::

        client = VertexClient(resolve_settings(model="claude-sonnet-4-5"))
        message = client.create({"model": "claude-sonnet-4-5", "max_tokens": 256,
                                 "messages": [{"role": "user", "content": "Hey Claude!"}]})
    """

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.max_retries = max_retries
        self.default_headers = dict(default_headers or {})
        self._lock = threading.Lock()
        self._sync: SyncTransport | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncTransport] = (
            weakref.WeakKeyDictionary()
        )
        self._counter: VertexClient | None = None

    def __repr__(self) -> str:
        return f"VertexClient({self.settings!r})"

    @classmethod
    def shared(
        cls,
        settings: Settings,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
    ) -> VertexClient:
        """The process-wide client for these settings and options, created on first use.

        Model objects of the adapters call this, so every instance with equal settings shares
        one connection pool (and one token provider) however many instances exist.
        """
        key = (settings, timeout, max_retries, tuple(sorted((default_headers or {}).items())))
        with _SHARED_LOCK:
            client = _SHARED.get(key)
            if client is None:
                client = _SHARED[key] = cls(settings, timeout=timeout, max_retries=max_retries,
                                            default_headers=default_headers)
        return client

    # -- transports ----------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        return {"timeout": self.timeout, "max_retries": self.max_retries,
                "default_headers": self.default_headers or None}

    def _sync_transport(self) -> SyncTransport:
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    self._sync = SyncTransport(self.settings, **self._options())
        return self._sync

    def _async_transport(self) -> AsyncTransport:
        loop = asyncio.get_running_loop()
        transport = self._async.get(loop)
        if transport is None:
            with self._lock:
                transport = self._async.get(loop)
                if transport is None:
                    transport = AsyncTransport(self.settings, **self._options())
                    self._async[loop] = transport
        return transport

    def _count_tokens_client(self) -> VertexClient:
        """This client, or one for the nearest region that serves count-tokens."""
        region = count_tokens_region(self.settings.region)
        if region == self.settings.region:
            return self
        if self._counter is None:
            with self._lock:
                if self._counter is None:
                    self._counter = VertexClient(
                        self.settings.for_region(region), timeout=self.timeout,
                        max_retries=self.max_retries, default_headers=self.default_headers)
        return self._counter

    def close(self) -> None:
        """Close the sync connection pools (async pools close with their event loop)."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None
        if self._counter is not None:
            self._counter.close()

    def __enter__(self) -> VertexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------
    def request_for(
        self, params: Mapping[str, Any], *, route: Route | None = None, betas: Iterable[str] = ()
    ) -> VertexRequest:
        """The Vertex request these settings send for ``params`` (see :func:`build_request`)."""
        return build_request(params, project=self.settings.project, region=self.settings.region,
                             route=route, betas=betas,
                             anthropic_version=self.settings.anthropic_version)

    def create(self, params: Mapping[str, Any], *, betas: Iterable[str] = (),
               timeout: float | None = None) -> VertexMessage:
        """Send one non-streaming Messages API call; the answer is an SDK ``Message``."""
        request = self.request_for(params, route="create", betas=betas)
        try:
            return _answered(self._sync_transport().post(
                request.path, body=request.body, cast_to=VertexMessage,
                options=request_options(request.headers, timeout)), request)
        except anthropic.APIStatusError as exc:
            raise _typed(exc, request) from exc

    def stream(self, params: Mapping[str, Any], *, betas: Iterable[str] = (),
               timeout: float | None = None) -> MessageStream:
        """Send one streaming call; the answer's events arrive as the result is iterated."""
        request = self.request_for(params, route="stream", betas=betas)
        try:
            raw = self._sync_transport().post(
                request.path, body=request.body, cast_to=Message,
                options=request_options(request.headers, timeout), stream=True,
                stream_cls=anthropic.Stream[RawMessageStreamEvent])
        except anthropic.APIStatusError as exc:
            raise _typed(exc, request) from exc
        return MessageStream(raw, request)

    def count_tokens(self, params: Mapping[str, Any], *, betas: Iterable[str] = (),
                     timeout: float | None = None) -> int:
        """The number of input tokens ``params`` would use, from Vertex's count-tokens route.

        The global endpoint does not serve count-tokens, so the count goes to the nearest
        region that does (see :func:`~claude_vertex.endpoints.count_tokens_region`).
        """
        client = self._count_tokens_client()
        request = client.request_for(params, route="count_tokens", betas=betas)
        try:
            counted = client._sync_transport().post(
                request.path, body=request.body, cast_to=MessageTokensCount,
                options=request_options(request.headers, timeout))
        except anthropic.APIStatusError as exc:
            raise _typed(exc, request) from exc
        return counted.input_tokens

    async def acreate(self, params: Mapping[str, Any], *, betas: Iterable[str] = (),
                      timeout: float | None = None) -> VertexMessage:
        """The async form of :meth:`create`."""
        request = self.request_for(params, route="create", betas=betas)
        try:
            return _answered(await self._async_transport().post(
                request.path, body=request.body, cast_to=VertexMessage,
                options=request_options(request.headers, timeout)), request)
        except anthropic.APIStatusError as exc:
            raise _typed(exc, request) from exc

    async def astream(self, params: Mapping[str, Any], *, betas: Iterable[str] = (),
                      timeout: float | None = None) -> AsyncMessageStream:
        """The async form of :meth:`stream`."""
        request = self.request_for(params, route="stream", betas=betas)
        try:
            raw = await self._async_transport().post(
                request.path, body=request.body, cast_to=Message,
                options=request_options(request.headers, timeout), stream=True,
                stream_cls=anthropic.AsyncStream[RawMessageStreamEvent])
        except anthropic.APIStatusError as exc:
            raise _typed(exc, request) from exc
        return AsyncMessageStream(raw, request)

    async def acount_tokens(self, params: Mapping[str, Any], *, betas: Iterable[str] = (),
                            timeout: float | None = None) -> int:
        """The async form of :meth:`count_tokens`."""
        client = self._count_tokens_client()
        request = client.request_for(params, route="count_tokens", betas=betas)
        try:
            counted = await client._async_transport().post(
                request.path, body=request.body, cast_to=MessageTokensCount,
                options=request_options(request.headers, timeout))
        except anthropic.APIStatusError as exc:
            raise _typed(exc, request) from exc
        return counted.input_tokens


_SHARED: dict[tuple[Any, ...], VertexClient] = {}
_SHARED_LOCK = threading.Lock()
