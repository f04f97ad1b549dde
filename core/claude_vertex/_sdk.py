"""The one place that touches the anthropic SDK's internals.

The SDK's Vertex clients are subclassed to take tokens from the shared
:class:`~claude_vertex.credentials.TokenProvider` (instead of refreshing per client, without a
lock) and to keep every attempt within its call's deadline; the SDK's own retries are off, as
:mod:`claude_vertex.attempts` makes every attempt. The hooks, ``_prepare_options`` and
``_prepare_request``, are the SDK's documented extension points for subclasses; the httpx
client is the SDK's own (``SyncHttpxClientWrapper``, with its defaults), given a response hook
and one TLS context for the process. The SDK's private modules are imported here and nowhere
else (ruff's banned-api rule enforces it). If a future SDK renames them, this module is all
that changes.
"""

from __future__ import annotations

import functools
import json
import logging
import ssl
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import httpx2
import pydantic
from anthropic import (
    AnthropicError,
    AnthropicVertex,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncAnthropicVertex,
    AsyncStream,
    NotGiven,
    Omit,
    Stream,
)
from anthropic import __version__ as anthropic_version
from anthropic._base_client import (
    AsyncAPIClient,
    AsyncHttpxClientWrapper,
    BaseClient,
    SyncAPIClient,
    SyncHttpxClientWrapper,
    build_headers,
)
from anthropic._constants import RAW_RESPONSE_HEADER
from anthropic._models import FinalRequestOptions, add_response_ids, construct_type
from anthropic._response import APIResponse, AsyncAPIResponse
from anthropic._streaming import extract_stream_chunk_type
from anthropic._types import RequestOptions
from anthropic._utils._json import openapi_dumps
from anthropic._utils._prepare import prepare_request_data
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import Message, RawMessageStreamEvent

from ._version import __version__
from .credentials import TokenProvider, auth_headers
from .deadlines import current_deadline
from .errors import ClaudeVertexError, MalformedResponseError
from .message_parsing import AsyncEventSource, EventSource, event_adapter, parse_answer
from .settings import Settings

__all__ = [
    "UNREADABLE",
    "AsyncEventStream",
    "AsyncTransport",
    "EventStream",
    "RequestOptions",
    "SdkAccumulation",
    "SdkCall",
    "SyncTransport",
    "answer_request_id",
    "asdk_call",
    "construct_event",
    "idle_async_http_client",
    "idle_http_client",
    "request_options",
    "sdk_call",
    "stream_event_type",
    "unreadable",
]

_Model = TypeVar("_Model", bound=pydantic.BaseModel)

#: What reading an answer that is not the JSON expected raises: ``JSONDecodeError`` and
#: ``UnicodeDecodeError`` (both ``ValueError``), ``RecursionError`` for JSON nested too deep,
#: ``TypeError``, ``AttributeError`` and ``LookupError`` for JSON of another shape.
UNREADABLE = (ValueError, RecursionError, TypeError, AttributeError, LookupError)


def unreadable(response: httpx2.Response, exc: BaseException) -> MalformedResponseError:
    """The typed error for an answer whose reading raised ``exc`` (one of ``UNREADABLE``)."""
    what = {RecursionError: "JSON nested too deep", UnicodeDecodeError: "invalid UTF-8"}
    return MalformedResponseError(
        what.get(type(exc), f"{type(exc).__name__} while parsing it"), response=response
    )


#: The most bytes read of a whole answer (JSON), of an error answer, and of one stream event.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
MAX_ERROR_BYTES = 1024 * 1024
MAX_EVENT_BYTES = 8 * 1024 * 1024


class _Meter:
    """Counts the bytes of one response body and refuses it past its limit.

    A stream's limit is per event (the bytes since the last blank line, approximately), so
    a long answer streams in full while a single endless event is cut off.
    """

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self.per_event = "text/event-stream" in response.headers.get("content-type", "")
        if response.status_code >= 400:
            self.limit, self.per_event = MAX_ERROR_BYTES, False
        else:
            self.limit = MAX_EVENT_BYTES if self.per_event else MAX_ANSWER_BYTES
        self.size = 0

    def count(self, chunk: bytes) -> bytes:
        if self.per_event:
            cut = max(chunk.rfind(b"\n\n"), chunk.rfind(b"\n\r\n"))
            self.size = len(chunk) - cut if cut >= 0 else self.size + len(chunk)
        else:
            self.size += len(chunk)
        if self.size > self.limit:
            what = "one stream event" if self.per_event else "the answer"
            raise MalformedResponseError(
                f"{what} is over {self.limit:,} bytes", response=self.response
            )
        return chunk


class _CappedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, meter: _Meter) -> None:
        self._inner, self._meter = inner, meter

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            yield self._meter.count(chunk)

    def close(self) -> None:
        self._inner.close()


class _AsyncCappedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, meter: _Meter) -> None:
        self._inner, self._meter = inner, meter

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield self._meter.count(chunk)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _cap(response: httpx2.Response) -> None:
    """A response hook: the body is read through a :class:`_Meter`."""
    stream = response.stream
    if isinstance(stream, httpx2.SyncByteStream):
        response.stream = _CappedStream(stream, _Meter(response))


async def _acap(response: httpx2.Response) -> None:
    """The async form of :func:`_cap`."""
    stream = response.stream
    if isinstance(stream, httpx2.AsyncByteStream):
        response.stream = _AsyncCappedStream(stream, _Meter(response))


def _raw(options: RequestOptions) -> RequestOptions:
    """``options`` asking the SDK for the response, to be parsed by :func:`_checked`."""
    headers = {**(options.get("headers") or {}), RAW_RESPONSE_HEADER: "raw"}
    return cast("RequestOptions", {**options, "headers": headers})


def _checked(parsed: object, response: httpx2.Response, cast_to: type[_Model]) -> _Model:
    """``parsed`` if it is a ``cast_to`` holding every required field, else a typed error."""
    if not isinstance(parsed, cast_to):
        raise MalformedResponseError("it is not a JSON object", response=response)
    missing = [
        name
        for name, info in cast_to.model_fields.items()
        if info.is_required() and name not in parsed.model_fields_set
    ]
    if missing:
        raise MalformedResponseError(f"it lacks {', '.join(missing)}", response=response)
    return parsed


log = logging.getLogger("claude_vertex")

#: Headers whose values are credentials.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-goog-api-key"})


def redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with every credential value replaced, for logs."""
    return {
        name: "[redacted]" if name.lower() in SECRET_HEADERS else value
        for name, value in headers.items()
    }


#: The first-party routes the SDK's Vertex hook rewrites; requests built by
#: :func:`~claude_vertex.transform.build_request` never use them.
_FIRST_PARTY_PREFIX = "/v1/messages"


def _is_vertex_request(options: FinalRequestOptions) -> bool:
    """Whether ``options`` already is a Vertex request (its path, and its body's version)."""
    body = options.json_data
    return not options.url.startswith(_FIRST_PARTY_PREFIX) and (
        not isinstance(body, dict) or "anthropic_version" in body
    )


def _bound_response(response: httpx2.Response) -> None:
    """Response hook: the bytes of a response stop at the deadline of the call that asked."""
    deadline = current_deadline()
    if deadline is not None:
        deadline.bound(response)


async def _abound_response(response: httpx2.Response) -> None:
    """The async client's form of :func:`_bound_response`."""
    _bound_response(response)


def _token_wait() -> float | None:
    """How long the running call may wait for a token: what is left of its deadline."""
    deadline = current_deadline()
    return None if deadline is None else deadline.left()


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The TLS context of every connection pool of the process (httpx's default one).

    Each context holds the parsed CA bundle, most of a megabyte of native memory that the
    allocator seldom returns: one per pool made memory grow with every client ever made
    (one per static token, say), although the clients themselves were freed.
    """
    return httpx2.create_ssl_context()


def tls_context_loaded() -> bool:
    """Whether :func:`tls_context` has been made (so getting it costs nothing)."""
    return tls_context.cache_info().currsize > 0


class _Identity:
    """What both transports add to the SDK: who calls (user agent), as whom (shared token)."""

    _tokens: TokenProvider

    @property
    def user_agent(self) -> str:
        return f"claude-vertex/{__version__} anthropic-python/{anthropic_version}"

    def _authorize(self, request: httpx2.Request, token: str) -> None:
        request.headers.update(auth_headers(self._tokens, token))
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "claude_vertex: %s %s headers=%s",
                request.method,
                request.url,
                redacted_headers(request.headers),
            )


#: The per-attempt headers the SDK's ``_build_headers`` adds under its default headers.
_ATTEMPT_HEADERS = ("x-stainless-timeout", "x-stainless-retry-count", "x-stainless-read-timeout")
#: How many request URLs a transport keeps parsed (one per model and route it has called).
_URLS_KEPT = 256
#: The plain JSON encoder of request bodies: the SDK's settings, without its fallbacks.
_PLAIN_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_body(body: object) -> bytes:
    """``body`` as the SDK's ``post`` would put it on the wire.

    Plain JSON data (what the core's transform builds) is encoded directly; anything else
    (pydantic models, dates, iterables, omitted values, file inputs) is prepared and encoded
    by the SDK itself.
    """
    try:
        return _PLAIN_JSON.encode(body).encode()
    except (TypeError, ValueError):
        return openapi_dumps(prepare_request_data(body, location="body"))


def _timeout_extension(timeout: object) -> dict[str, float | None]:
    """The ``timeout`` extension of a request for ``timeout`` (as httpx's ``build_request``)."""
    if isinstance(timeout, httpx2.Timeout):
        return timeout.as_dict()
    return httpx2.Timeout(cast(Any, timeout)).as_dict()


class _WireRequests:
    """What both transports need to send a request themselves, exactly as the SDK's ``post``.

    The fast path skips the SDK's per-call machinery (request options and their copies, two
    URL parses, header folding, response wrappers) but sends what it would: the same URL,
    headers (the httpx client's, then the SDK's per-attempt and default headers, then the
    call's) and JSON body, on the same pooled httpx client, with its hooks (deadline, size
    caps) and the same transport errors.
    """

    #: Whether calls take the fast path (see :meth:`_use_fast_path`).
    fast: bool

    def _use_fast_path(self, wanted: bool) -> None:
        sdk = cast(BaseClient[Any, Any], self)
        # Shapes the fast path knows: no middleware, no idempotency header, no custom auth.
        self.fast = (
            wanted
            and not getattr(sdk, "_middleware", ())
            and sdk._idempotency_header is None
            and sdk.custom_auth is None
        )
        self._urls: dict[str, tuple[httpx2.URL, dict[str, Any]]] = {}

    @functools.cached_property
    def _base_headers(self) -> tuple[httpx2.Headers, tuple[str, ...]]:
        """The httpx client's headers folded with the SDK's layers; the attempt headers to set.

        The per-attempt headers go in first with stand-in values, so every header keeps the
        place the SDK's folding gives it; those the default headers override are not set again.
        """
        sdk = cast(BaseClient[Any, Any], self)
        placeholders = dict.fromkeys(_ATTEMPT_HEADERS, "")
        folded, _ = build_headers(placeholders, sdk.default_headers, sdk._custom_headers)
        merged = httpx2.Headers(sdk._client.headers)
        merged.update(folded)
        defaults = {name.lower() for name in (*sdk.default_headers, *sdk._custom_headers)}
        return merged, tuple(name for name in _ATTEMPT_HEADERS if name not in defaults)

    @functools.cached_property
    def _base_items(self) -> list[tuple[bytes, bytes, str]]:
        """The folded headers as sent: name, value, and the name in lowercase."""
        base, _ = self._base_headers
        return [(name, value, name.decode("latin-1").lower()) for name, value in base.raw]

    def _url(self, path: str) -> tuple[httpx2.URL, dict[str, Any]]:
        """The URL of ``path`` (as the SDK merges it with the base URL) and its extensions."""
        known = self._urls.get(path)
        if known is None:
            url = cast(BaseClient[Any, Any], self)._prepare_url(path)
            extensions: dict[str, Any] = {}
            if "_" in url.host:  # as the SDK does (httpx's SNI with underscores)
                extensions["sni_hostname"] = url.host.replace("_", "-")
            if len(self._urls) >= _URLS_KEPT:
                self._urls.clear()
            known = self._urls[path] = (url, extensions)
        return known

    def _headers(self, options: RequestOptions) -> list[tuple[bytes, bytes]] | httpx2.Headers:
        """The headers of one attempt: the folded ones, its timeouts, then the call's own."""
        base, attempt_headers = self._base_headers
        timeout = options.get("timeout")
        read = timeout.read if isinstance(timeout, httpx2.Timeout) else timeout
        values = {
            "x-stainless-timeout": str(read if isinstance(timeout, httpx2.Timeout) else timeout),
            "x-stainless-retry-count": "0",
            "x-stainless-read-timeout": None if read is None else str(read),
        }
        extra = options.get("headers") or {}
        if not extra and read is not None:  # the usual call: values replaced in place
            return [
                (name, values[key].encode() if key in attempt_headers else value)  # type: ignore[union-attr]
                for name, value, key in self._base_items
            ]
        headers = base.copy()
        for name in attempt_headers:
            value = values[name]
            if value is None:
                del headers[name]
            else:
                headers[name] = value
        if extra:
            added, _ = build_headers(
                {name: headers[name] for name in extra if name in headers}, extra
            )
            headers.update(added)
        return headers

    def _wire_request(self, path: str, body: object, options: RequestOptions) -> httpx2.Request:
        """The request the SDK's ``post`` would send for ``path``, ``body`` and ``options``."""
        url, extensions = self._url(path)
        timeout = options.get("timeout")
        request = httpx2.Request(
            "POST",
            url,
            headers=self._headers(options),
            content=json_body(body),
            extensions={**extensions, "timeout": _timeout_extension(timeout)},
        )
        cookies = cast(BaseClient[Any, Any], self)._client.cookies
        if cookies.jar:
            cookies.set_cookie_header(request)
        return request

    def _status_error(self, response: httpx2.Response) -> APIStatusError:
        return cast(BaseClient[Any, Any], self)._make_status_error_from_response(response)

    def _answer(self, response: httpx2.Response, cast_to: type[_Model]) -> _Model:
        """A whole answer's model: validated from its bytes, else parsed by the SDK."""
        parsed = parse_answer(response.content, cast_to)
        if parsed is None:
            raw = APIResponse(
                raw=response,
                cast_to=cast_to,
                client=cast(BaseClient[Any, Any], self),
                stream=False,
                stream_cls=None,
                options=FinalRequestOptions.construct(method="post", url=str(response.url)),
            )
            return _parsed_answer(raw.parse, response, cast_to)
        add_response_ids(
            cast(Any, parsed),
            request_id=response.headers.get("request-id"),
            workspace_id=response.headers.get("anthropic-workspace-id"),
        )
        return parsed

    def _sdk_event(self, response: httpx2.Response, event_type: Any) -> Callable[[object], Any]:
        """What the SDK's stream makes of one event's decoded JSON."""
        sdk = cast(BaseClient[Any, Any], self)

        def parse(data: object) -> Any:
            return sdk._process_response_data(data=data, cast_to=event_type, response=response)

        return parse

    def _stream_error(self, response: httpx2.Response) -> Callable[[str], Exception]:
        """The error the SDK's stream raises for an ``error`` event with this data."""
        sdk = cast(BaseClient[Any, Any], self)

        def error(data: str) -> Exception:
            body: object = data
            try:
                body = json.loads(data)
                message = f"{body}"
            except Exception:
                message = data or f"Error code: {response.status_code}"
            return sdk._make_status_error(message, body=body, response=response)

        return error


def _parsed_answer(
    parse: Callable[[], object], response: httpx2.Response, cast_to: type[_Model]
) -> _Model:
    """``parse()``'s answer, checked to be a ``cast_to``; reading failures typed."""
    try:
        parsed = parse()
    except ClaudeVertexError:
        raise
    except UNREADABLE as exc:
        raise unreadable(response, exc) from None
    return _checked(parsed, response, cast_to)


#: The SDK's telemetry headers: the platform it runs on, and its own retry loop's count and
#: timeouts. The transports leave them out of every request: Vertex does not read them, the
#: core's failover (not the SDK's retries) makes the attempts, so the count and timeouts they
#: would report are wrong, and fewer headers make a call measurably cheaper. The user agent
#: still names the SDK and its version; a caller's ``default_headers`` may set any of them.
SDK_TELEMETRY_HEADERS = (
    "x-stainless-lang",
    "x-stainless-package-version",
    "x-stainless-os",
    "x-stainless-arch",
    "x-stainless-runtime",
    "x-stainless-runtime-version",
    "x-stainless-async",
    "x-stainless-timeout",
    "x-stainless-retry-count",
    "x-stainless-read-timeout",
)


def _without_telemetry(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` for the SDK client, its ``default_headers`` leaving out the telemetry."""
    headers = dict.fromkeys(SDK_TELEMETRY_HEADERS, Omit())
    headers.update(kwargs.get("default_headers") or {})
    return {**kwargs, "default_headers": headers}


class SyncTransport(_Identity, _WireRequests, AnthropicVertex):
    """``AnthropicVertex`` with the shared token provider, bounded by each call's deadline.

    With ``fast``, answers and streams take the fast path (see
    :mod:`claude_vertex.message_parsing`) where the SDK's shapes allow.
    """

    def __init__(self, settings: Settings, *, fast: bool = False, **kwargs: Any) -> None:
        super().__init__(
            region=settings.region,
            project_id=settings.project,
            base_url=settings.base_url,
            http_client=SyncHttpxClientWrapper(
                base_url=settings.base_url,
                verify=tls_context(),
                event_hooks={"response": [_bound_response]},
            ),
            **_without_telemetry(kwargs),
        )
        self._tokens = settings.tokens
        self._client.event_hooks["response"].append(_cap)
        self._use_fast_path(fast)

    def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        # The SDK's Vertex hook deep-copies every attempt's options, body included, so it can
        # rewrite first-party routes in place; a request of this package already has its
        # Vertex path and anthropic_version and is never mutated, so the copy (a tenth of a
        # millisecond for a small prompt, milliseconds for a long conversation) is skipped.
        if _is_vertex_request(options):
            return options
        return super()._prepare_options(options)

    def _prepare_request(self, request: httpx2.Request) -> None:
        self._authorize(request, self._tokens.token(timeout=_token_wait()))

    def _send(
        self, path: str, body: object, options: RequestOptions, *, stream: bool
    ) -> httpx2.Response:
        """Send as the SDK's ``post`` would; a successful response, else the SDK's error."""
        request = self._wire_request(path, body, options)
        self._prepare_request(request)
        client = self._client
        try:
            response = client.send(request, stream=stream)
        except httpx2.TimeoutException as err:
            raise APITimeoutError(request=request) from err
        except AnthropicError:
            raise
        except Exception as err:
            raise APIConnectionError(request=request) from err
        if not response.is_success:
            if not response.is_closed:
                response.read()
            raise self._status_error(response) from None
        return response

    def post_checked(
        self, path: str, *, body: object, cast_to: type[_Model], options: RequestOptions
    ) -> _Model:
        """``post`` for a JSON answer: anything but a ``cast_to`` is a typed error."""
        if self.fast:
            return self._answer(self._send(path, body, options, stream=False), cast_to)
        # With the raw-response header the SDK returns the response unparsed.
        raw = cast(
            "APIResponse[_Model]",
            self.post(path, body=body, cast_to=cast_to, options=_raw(options)),
        )
        return _parsed_answer(raw.parse, raw.http_response, cast_to)

    def post_stream(
        self, path: str, *, body: object, options: RequestOptions, event_type: Any
    ) -> Stream[Any] | EventSource:
        """``post`` of a streaming call: its events, of ``event_type``, once they arrive."""
        if self.fast and event_adapter(event_type) is not None:
            response = self._send(path, body, options, stream=True)
            return EventSource(
                response,
                event_type,
                self._sdk_event(response, event_type),
                self._stream_error(response),
            )
        stream = self.post(
            path,
            body=body,
            cast_to=Message,
            options=options,
            stream=True,
            stream_cls=sync_stream_cls(event_type),
        )
        return cast("Stream[Any]", stream)


class AsyncTransport(_Identity, _WireRequests, AsyncAnthropicVertex):
    """``AsyncAnthropicVertex`` with the shared token provider, bounded by each call's deadline."""

    def __init__(self, settings: Settings, *, fast: bool = False, **kwargs: Any) -> None:
        super().__init__(
            region=settings.region,
            project_id=settings.project,
            base_url=settings.base_url,
            http_client=AsyncHttpxClientWrapper(
                base_url=settings.base_url,
                verify=tls_context(),
                event_hooks={"response": [_abound_response]},
            ),
            **_without_telemetry(kwargs),
        )
        self._tokens = settings.tokens
        self._client.event_hooks["response"].append(_acap)
        self._use_fast_path(fast)

    async def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        # See SyncTransport._prepare_options.
        if _is_vertex_request(options):
            return options
        return await super()._prepare_options(options)

    async def _prepare_request(self, request: httpx2.Request) -> None:
        self._authorize(request, await self._tokens.atoken(timeout=_token_wait()))

    async def _send(
        self, path: str, body: object, options: RequestOptions, *, stream: bool
    ) -> httpx2.Response:
        """The async form of :meth:`SyncTransport._send`."""
        request = self._wire_request(path, body, options)
        await self._prepare_request(request)
        client = self._client
        try:
            response = await client.send(request, stream=stream)
        except httpx2.TimeoutException as err:
            raise APITimeoutError(request=request) from err
        except AnthropicError:
            raise
        except Exception as err:
            raise APIConnectionError(request=request) from err
        if not response.is_success:
            if not response.is_closed:
                await response.aread()
            raise self._status_error(response) from None
        return response

    async def post_checked(
        self, path: str, *, body: object, cast_to: type[_Model], options: RequestOptions
    ) -> _Model:
        """The async form of :meth:`SyncTransport.post_checked`."""
        if self.fast:
            return self._answer(await self._send(path, body, options, stream=False), cast_to)
        raw = cast(
            "AsyncAPIResponse[_Model]",
            await self.post(path, body=body, cast_to=cast_to, options=_raw(options)),
        )
        try:
            parsed = await raw.parse()
        except ClaudeVertexError:
            raise
        except UNREADABLE as exc:
            raise unreadable(raw.http_response, exc) from None
        return _checked(parsed, raw.http_response, cast_to)

    async def post_stream(
        self, path: str, *, body: object, options: RequestOptions, event_type: Any
    ) -> AsyncStream[Any] | AsyncEventSource:
        """The async form of :meth:`SyncTransport.post_stream`."""
        if self.fast and event_adapter(event_type) is not None:
            response = await self._send(path, body, options, stream=True)
            return AsyncEventSource(
                response,
                event_type,
                self._sdk_event(response, event_type),
                self._stream_error(response),
            )
        return await self.post(
            path,
            body=body,
            cast_to=Message,
            options=options,
            stream=True,
            stream_cls=async_stream_cls(event_type),
        )


@functools.cache
def sync_stream_cls(event_type: Any) -> type[Stream[Any]]:
    """The SDK's stream class for events of ``event_type`` (made once per type)."""
    return Stream[event_type]


@functools.cache
def async_stream_cls(event_type: Any) -> type[AsyncStream[Any]]:
    """The async form of :func:`sync_stream_cls`."""
    return AsyncStream[event_type]


def answer_request_id(answer: pydantic.BaseModel) -> str | None:
    """The request id the SDK recorded on a parsed answer (Vertex's ``request-id`` header)."""
    request_id = getattr(answer, "_request_id", None)
    return request_id if isinstance(request_id, str) else None


def request_options(headers: Mapping[str, str], timeout: float | httpx2.Timeout) -> RequestOptions:
    """Per-call options for the SDK's ``post``: extra headers and the timeout."""
    return cast("RequestOptions", {"headers": dict(headers), "timeout": timeout})


# --------------------------------------------------------------------------- the SDK's parsing
# What the SDK itself makes of stream events, for tests that hold the package's own parsing
# to it (an SDK upgrade that parses differently fails them).


def construct_event(value: object) -> RawMessageStreamEvent:
    """A stream event built from its JSON as the SDK's stream builds it (no validation)."""
    return cast(RawMessageStreamEvent, construct_type(type_=RawMessageStreamEvent, value=value))


class SdkAccumulation:
    """The SDK's own accumulation of stream events into a message (its ``MessageStream``'s)."""

    def __init__(self) -> None:
        #: The message so far; ``None`` before ``message_start``.
        self.snapshot: Message | None = None
        self._json_bufs: dict[int, bytes] = {}

    def feed(self, event: RawMessageStreamEvent) -> None:
        """Add one event to :attr:`snapshot`."""
        self.snapshot = accumulate_event(
            event=event, current_snapshot=cast(Any, self.snapshot), json_bufs=self._json_bufs
        )


# --------------------------------------------------------------------------- the drop-in clients
# What claude_vertex.AnthropicVertex and AsyncAnthropicVertex need of the SDK: the call a
# resource method made of its arguments, the event type a stream asked for, and SDK streams
# whose events come from the core's streams.


@dataclass(frozen=True)
class SdkCall:
    """What one of the SDK's resource methods asked its client's ``post`` for, prepared."""

    #: The JSON body (``extra_body`` merged in, omitted values dropped), ``model`` included.
    body: dict[str, Any]
    #: The per-call headers with a value (``extra_headers`` and the method's own).
    headers: dict[str, str]
    #: The per-call timeout; ``None``: the client's.
    timeout: float | httpx2.Timeout | None
    #: What turns the parsed answer into what the method returns (``parse`` gives one).
    post_parser: Callable[[Any], Any] | None
    #: True for ``with_raw_response`` and ``with_streaming_response`` calls.
    raw: bool


def _final_options(path: str, body: object, options: RequestOptions) -> FinalRequestOptions:
    return FinalRequestOptions.construct(method="post", url=path, json_data=body, **options)


def _call_of(options: FinalRequestOptions) -> SdkCall:
    body = options.json_data
    if not isinstance(body, dict):
        raise TypeError(f"expected a JSON object as the request body, not {type(body).__name__}")
    given = options.headers if isinstance(options.headers, Mapping) else {}
    headers = {name: value for name, value in given.items() if isinstance(value, str)}
    timeout = None if isinstance(options.timeout, NotGiven) else options.timeout
    parser = None if isinstance(options.post_parser, NotGiven) else options.post_parser
    return SdkCall(body, headers, timeout, parser, raw=bool(headers.pop(RAW_RESPONSE_HEADER, "")))


def sdk_call(client: SyncAPIClient, path: str, body: object, options: RequestOptions) -> SdkCall:
    """The call a sync resource method made, prepared as the SDK prepares it for the wire."""
    return _call_of(client._copy_and_prepare(_final_options(path, body, options)))


async def asdk_call(
    client: AsyncAPIClient, path: str, body: object, options: RequestOptions
) -> SdkCall:
    """The async form of :func:`sdk_call` (file inputs are read without blocking)."""
    return _call_of(await client._copy_and_prepare(_final_options(path, body, options)))


def stream_event_type(stream_cls: type | None) -> Any:
    """The event type of ``Stream[T]``/``AsyncStream[T]`` (``RawMessageStreamEvent`` if none)."""
    if stream_cls is None:
        return RawMessageStreamEvent
    return extract_stream_chunk_type(stream_cls)


def idle_http_client() -> SyncHttpxClientWrapper:
    """An httpx client for the drop-in SDK client's base class, which never sends on it.

    The requests go through the core's pools; this one shares their TLS context, so making
    it costs no CA bundle.
    """
    return SyncHttpxClientWrapper(verify=tls_context())


def idle_async_http_client() -> AsyncHttpxClientWrapper:
    """The async form of :func:`idle_http_client`."""
    return AsyncHttpxClientWrapper(verify=tls_context())


class EventStream(Stream[Any]):
    """An SDK ``Stream`` whose events come from one of the core's streams.

    The SDK's consumers (its ``MessageStream``, frameworks reading ``Stream`` objects)
    iterate it, read ``response`` and close it; iteration, end and breaks are the core
    stream's (a broken or truncated stream raises ``StreamInterruptedError``).
    """

    def __init__(
        self, events: Iterable[Any], response: httpx2.Response, close: Callable[[], None]
    ) -> None:
        # Not the SDK's __init__: there are no bytes to decode here.
        self.response = response
        self._options = None
        self._events = events
        self._close = close

    def __stream__(self) -> Iterator[Any]:
        yield from self._events

    def close(self) -> None:
        """Release the connection."""
        self._close()


class AsyncEventStream(AsyncStream[Any]):
    """The async form of :class:`EventStream`."""

    def __init__(
        self,
        events: AsyncIterable[Any],
        response: httpx2.Response,
        close: Callable[[], Awaitable[None]],
    ) -> None:
        self.response = response
        self._options = None
        self._events = events
        self._close = close

    async def __stream__(self) -> AsyncIterator[Any]:
        async for event in self._events:
            yield event

    async def close(self) -> None:
        """Release the connection."""
        await self._close()
