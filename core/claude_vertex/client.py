"""Sending Messages API calls to Vertex AI on the anthropic SDK's Vertex clients.

:class:`VertexClient` is what the adapters call: ``create``, ``stream`` and ``count_tokens``
with Messages API parameters, sync and async. Under it, the SDK's ``AnthropicVertex`` and
``AsyncAnthropicVertex`` provide connection pools, SSE parsing and the response types; this
module holds the client's pools (one per endpoint host, and per event loop), the streams that
never repeat content, and the three routes. Each call's attempts, failover along the endpoint
plan with backoff and circuit breakers (4xx other than 408 and 429 are never retried), and
the typed errors of failed attempts are :mod:`claude_vertex.attempts`'.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import httpx2
import pydantic
from anthropic.types import Message, MessageTokensCount, RawMessageStreamEvent
from anthropic.types.beta import BetaMessage

from ._sdk import (
    UNREADABLE,
    AsyncTransport,
    RequestOptions,
    SyncTransport,
    answer_request_id,
    request_options,
    tls_context,
    tls_context_loaded,
    unreadable,
)
from .attempts import Attempts, classify
from .call_policy import apply_call_policy
from .deadlines import current_deadline
from .errors import (
    ClaudeVertexError,
    MalformedResponseError,
    StreamInterruptedError,
    StreamOrderError,
)
from .failover import RetryPolicy
from .loop_shutdown import on_loop_shutdown
from .message_parsing import fast_path_enabled
from .settings import Settings
from .transform import Route, VertexRequest, build_request

__all__ = [
    "AsyncMessageStream",
    "MessageStream",
    "VertexBetaMessage",
    "VertexClient",
    "VertexMessage",
    "blocks_started_after",
    "read_answer",
]

DEFAULT_TIMEOUT = httpx2.Timeout(600.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
#: How many clients :meth:`VertexClient.shared` keeps. Past it, the least recently used is
#: dropped and closes its connection pools once no call or stream of it is in progress.
SHARED_CLIENTS_MAX = 64

#: Stream event types of the Messages API; anything else (``vertex_event``) is skipped.
STREAM_EVENT_TYPES = frozenset(
    {
        "message_start",
        "message_delta",
        "message_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    }
)


#: Events read (and dropped) after ``message_stop`` before the stream is closed instead.
MAX_EVENTS_AFTER_STOP = 16


def blocks_started_after(event_type: str, index: object, started: int) -> int:
    """How many content blocks have started after a block event, ``started`` having before.

    Blocks start in turn (index 0, 1, 2...); a delta or stop names a block that started.

    Raises:
        StreamOrderError: the event breaks that order (a stream no Vertex endpoint sends).
    """
    if event_type == "content_block_start":
        if type(index) is int and index == started:
            return started + 1
        problem = f"block {index!r} starts after {started} block(s)"
    elif type(index) is int and 0 <= index < started:
        return started
    else:
        problem = f"a {event_type} names block {index!r}, but {started} block(s) started"
    raise StreamOrderError(
        f"The stream's events are out of order: {problem}. Vertex does not send such streams; "
        "check base_url and the network path, and call again."
    )


class _ServedAnswer:
    """What an answer of this package adds to the SDK's message: as which request it came."""

    @property
    def request_id(self) -> str | None:
        """The request id Vertex sent with the answer (its ``request-id`` header), if any."""
        return answer_request_id(cast(pydantic.BaseModel, self))


class VertexMessage(_ServedAnswer, Message):
    """An ``anthropic.types.Message`` that also says where and as which request it was answered.

    ``vertex_region`` and ``request_id`` are not in ``model_dump()``/``to_json()``, so the
    message serialises exactly as the Messages API sent it.
    """

    vertex_region: str | None = pydantic.Field(default=None, exclude=True)


class VertexBetaMessage(_ServedAnswer, BetaMessage):
    """The beta form of :class:`VertexMessage`: an ``anthropic.types.beta.BetaMessage``."""

    vertex_region: str | None = pydantic.Field(default=None, exclude=True)


_T = TypeVar("_T")
#: The answers :meth:`VertexClient.create_as` parses into.
_Answer = TypeVar("_Answer", bound="VertexMessage | VertexBetaMessage")
#: The counts :meth:`VertexClient.count_tokens_as` parses into.
_Count = TypeVar("_Count", bound=pydantic.BaseModel)


def _unconverted(exc: Exception, response: httpx2.Response | None) -> ClaudeVertexError | None:
    """The typed error for an adapter's conversion failing with ``exc``; None: not ours.

    An answer of the wrong shape or types makes a conversion raise ``AttributeError``,
    ``TypeError``, ``ValueError``, ``KeyError``...; the original stays the ``__cause__``.
    """
    if isinstance(exc, ClaudeVertexError):
        return exc
    if not isinstance(exc, UNREADABLE):
        return None
    error = MalformedResponseError(
        f"{type(exc).__name__} while converting it (a field of the wrong shape or type)",
        response=response,
    )
    error.__cause__ = exc
    return error


def read_answer(convert: Callable[[VertexMessage], _T], message: VertexMessage) -> _T:
    """``convert(message)``: an adapter's conversion of a non-streamed answer, typed.

    Raises:
        MalformedResponseError: the answer has a field of the wrong shape or type, so the
            conversion failed.
    """
    try:
        return convert(message)
    except Exception as exc:
        error = _unconverted(exc, None)
        if error is None or error is exc:
            raise
        raise error from exc


def _request_id(response: httpx2.Response) -> str | None:
    headers = response.headers
    return headers.get("request-id") or headers.get("x-request-id")


_CONTENT_DELTAS = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "input_json_delta": "partial_json",
    "citations_delta": None,
    "signature_delta": None,
}


def _delta_chars(delta: Any) -> int:
    attr = _CONTENT_DELTAS.get(delta.type)
    return len(getattr(delta, attr, "") or "") if attr else 0


def _content_chars(event: RawMessageStreamEvent) -> int:
    return _delta_chars(event.delta) if event.type == "content_block_delta" else 0


class _SyncSource(Protocol):
    """Where a stream's events come from: the SDK's ``Stream``, or the fast path's."""

    response: httpx2.Response

    def close(self) -> None: ...


class _AsyncSource(Protocol):
    """The async form of :class:`_SyncSource`."""

    response: httpx2.Response

    async def close(self) -> None: ...


class _StreamTally:
    """What a stream has handed to its caller, for the error if it breaks."""

    def __init__(self, request: VertexRequest) -> None:
        self.request = request
        self.events = 0
        self.chars = 0
        self.finished = False
        #: Content blocks started so far (see :func:`blocks_started_after`).
        self.blocks = 0

    def count(self, event: RawMessageStreamEvent) -> RawMessageStreamEvent:
        self.check(event)
        self.events += 1
        self.chars += _content_chars(event)
        self.finished = self.finished or event.type == "message_stop"
        return event

    def check(self, event: RawMessageStreamEvent) -> None:
        """Refuse an event that breaks the order of content blocks."""
        if event.type == "message_start":
            self.blocks = len(event.message.content or ())
        elif event.type in ("content_block_start", "content_block_delta", "content_block_stop"):
            self.blocks = blocks_started_after(event.type, event.index, self.blocks)

    def broken(self, cause: BaseException | None) -> StreamInterruptedError:
        what = (
            f"{type(cause).__name__}: {cause}"
            if cause is not None
            else "the stream ended before message_stop"
        )
        return StreamInterruptedError(
            f"The stream from Vertex AI region {self.request.region!r} broke after "
            f"{self.events} events ({self.chars} characters of content) had reached the "
            f"caller, so it was not retried ({what}). Call again to start over.",
            events_received=self.events,
            content_chars=self.chars,
            region=self.request.region,
        )

    def typed(self, exc: Exception, response: httpx2.Response) -> BaseException:
        if isinstance(exc, UNREADABLE) and not isinstance(exc, ClaudeVertexError):
            return unreadable(response, exc)
        try:
            return classify(exc, self.request).error
        except Exception as other:  # not a transport error: pass it on unchanged
            return other


class MessageStream:
    """The events of one streamed answer, as the SDK's ``RawMessageStreamEvent`` objects.

    Iterate it, preferably in a ``with`` block so the connection is released early. Vertex's
    own ``vertex_event`` events are skipped. Once events have reached the caller, a broken
    stream raises :class:`~claude_vertex.StreamInterruptedError` (never a silent retry), also
    when the stream ends without ``message_stop``.
    """

    def __init__(
        self,
        stream: _SyncSource,
        events: Iterator[RawMessageStreamEvent],
        first: RawMessageStreamEvent,
        request: VertexRequest,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._stream = stream
        self._on_close = on_close
        self._events = events
        self._first: RawMessageStreamEvent | None = first
        self._tally = _StreamTally(request)
        #: The HTTP response the events arrive on.
        self.response = stream.response
        #: The endpoint that answered.
        self.region = request.region
        #: The request id Vertex sent, if any.
        self.request_id = _request_id(stream.response)

    def __iter__(self) -> Iterator[RawMessageStreamEvent]:
        tally = self._tally
        try:
            if self._first is not None:
                first, self._first = self._first, None
                yield tally.count(first)
            # The per-event work is inlined (few helper calls): it runs for every token.
            for event in () if tally.finished else self._events:
                kind = getattr(event, "type", None)
                if kind not in STREAM_EVENT_TYPES:  # Vertex's vertex_event, pings
                    continue
                if event.type == "content_block_delta":
                    tally.blocks = blocks_started_after(kind, event.index, tally.blocks)
                    tally.chars += _delta_chars(event.delta)
                else:
                    tally.check(event)
                tally.events += 1
                if kind == "message_stop":
                    tally.finished = True
                    yield event
                    break
                yield event
        except Exception as exc:
            cause = tally.typed(exc, self.response)
            raise tally.broken(cause) from cause
        if not tally.finished:
            raise tally.broken(None)
        self._drain()

    def converted(self, convert: Callable[[RawMessageStreamEvent], _T | None]) -> Iterator[_T]:
        """What ``convert`` (an adapter's conversion) makes of each event, ``None`` left out.

        A conversion failing on an event of the wrong shape or type (``AttributeError``,
        ``TypeError``, ``ValueError``...) or raising a :class:`ClaudeVertexError` ends the
        stream like a break: :class:`StreamInterruptedError`, caused by that error (a
        :class:`MalformedResponseError` for the built-in exceptions).
        """
        for event in self:
            try:
                result = convert(event)
            except Exception as exc:
                cause = _unconverted(exc, self.response)
                if cause is None:
                    raise
                raise self._tally.broken(cause) from cause
            if result is not None:
                yield result

    def _drain(self) -> None:
        """Drop what follows ``message_stop``, the answer being complete.

        The end of the body is read so the connection can be reused; if events keep coming
        (or the read fails) the connection is closed instead.
        """
        try:
            extra = sum(1 for _ in itertools.islice(self._events, MAX_EVENTS_AFTER_STOP + 1))
        except Exception:
            extra = MAX_EVENTS_AFTER_STOP + 1
        if extra > MAX_EVENTS_AFTER_STOP:
            self.close()

    def close(self) -> None:
        """Release the connection."""
        on_close, self._on_close = self._on_close, None
        try:
            self._stream.close()
        finally:
            if on_close is not None:
                on_close()

    def __enter__(self) -> MessageStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncMessageStream:
    """The async form of :class:`MessageStream`."""

    def __init__(
        self,
        stream: _AsyncSource,
        events: AsyncIterator[RawMessageStreamEvent],
        first: RawMessageStreamEvent,
        request: VertexRequest,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._stream = stream
        self._on_close = on_close
        self._events = events
        self._first: RawMessageStreamEvent | None = first
        self._tally = _StreamTally(request)
        #: The HTTP response the events arrive on.
        self.response = stream.response
        #: The endpoint that answered.
        self.region = request.region
        #: The request id Vertex sent, if any.
        self.request_id = _request_id(stream.response)

    async def __aiter__(self) -> AsyncIterator[RawMessageStreamEvent]:
        tally = self._tally
        try:
            if self._first is not None:
                first, self._first = self._first, None
                yield tally.count(first)
            # The per-event work is inlined (few helper calls): it runs for every token.
            async for event in _no_events() if tally.finished else self._events:
                kind = getattr(event, "type", None)
                if kind not in STREAM_EVENT_TYPES:  # Vertex's vertex_event, pings
                    continue
                if event.type == "content_block_delta":
                    tally.blocks = blocks_started_after(kind, event.index, tally.blocks)
                    tally.chars += _delta_chars(event.delta)
                else:
                    tally.check(event)
                tally.events += 1
                if kind == "message_stop":
                    tally.finished = True
                    yield event
                    break
                yield event
        except Exception as exc:
            cause = tally.typed(exc, self.response)
            raise tally.broken(cause) from cause
        if not tally.finished:
            raise tally.broken(None)
        await self._drain()

    async def converted(
        self, convert: Callable[[RawMessageStreamEvent], _T | None]
    ) -> AsyncIterator[_T]:
        """The async form of :meth:`MessageStream.converted`."""
        async for event in self:
            try:
                result = convert(event)
            except Exception as exc:
                cause = _unconverted(exc, self.response)
                if cause is None:
                    raise
                raise self._tally.broken(cause) from cause
            if result is not None:
                yield result

    async def _drain(self) -> None:
        """The async form of :meth:`MessageStream._drain`."""
        extra = 0
        try:
            async for _ in self._events:
                extra += 1
                if extra > MAX_EVENTS_AFTER_STOP:
                    break
        except Exception:
            extra = MAX_EVENTS_AFTER_STOP + 1
        if extra > MAX_EVENTS_AFTER_STOP:
            await self.close()

    async def close(self) -> None:
        """Release the connection."""
        on_close, self._on_close = self._on_close, None
        try:
            await self._stream.close()
        finally:
            if on_close is not None:
                on_close()

    async def __aenter__(self) -> AsyncMessageStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _first_event(
    events: Iterator[RawMessageStreamEvent], response: httpx2.Response
) -> RawMessageStreamEvent:
    """The first Messages API event of ``events`` (Vertex's own events are skipped)."""
    try:
        for event in events:
            if getattr(event, "type", None) in STREAM_EVENT_TYPES:
                return event
    except UNREADABLE as exc:
        if isinstance(exc, ClaudeVertexError):
            raise
        raise unreadable(response, exc) from None
    raise httpx2.RemoteProtocolError("the stream closed before its first event")


async def _afirst_event(
    events: AsyncIterator[RawMessageStreamEvent], response: httpx2.Response
) -> RawMessageStreamEvent:
    """The async form of :func:`_first_event`."""
    try:
        async for event in events:
            if getattr(event, "type", None) in STREAM_EVENT_TYPES:
                return event
    except UNREADABLE as exc:
        if isinstance(exc, ClaudeVertexError):
            raise
        raise unreadable(response, exc) from None
    raise httpx2.RemoteProtocolError("the stream closed before its first event")


async def _no_events() -> AsyncIterator[RawMessageStreamEvent]:
    """An async iterator of nothing (a stream whose first event was ``message_stop``)."""
    return
    yield  # pragma: no cover - makes this an async generator


@dataclass
class _Detached:
    """Connection pools taken out of a client's use, to be closed."""

    sync: list[SyncTransport]
    loops: list[tuple[asyncio.AbstractEventLoop, _AsyncPools]] = field(default_factory=list)

    def close(self) -> None:
        for transport in self.sync:
            transport.close()
        for loop, pools in self.loops:
            _close_on_loop(loop, list(pools.by_base_url.values()))


def _close_on_loop(loop: asyncio.AbstractEventLoop, transports: list[AsyncTransport]) -> None:
    """Close async pools on their own event loop, from any thread, if it still runs.

    The pools of a loop that no longer runs are left to the garbage collector, as
    :meth:`VertexClient.close` leaves those of closed loops.
    """
    if not transports or not loop.is_running():
        return

    async def close_all() -> None:
        for transport in transports:
            await transport.close()

    closing = close_all()
    try:
        asyncio.run_coroutine_threadsafe(closing, loop)
    except RuntimeError:  # the loop closed meanwhile
        closing.close()


@dataclass
class _AsyncPools:
    """The async pools of one event loop: by endpoint base URL, and by region for lookups.

    ``shutdown_hook`` (see :func:`~claude_vertex.loop_shutdown.on_loop_shutdown`) closes them
    on their loop when it shuts down; it is held here so that it stays armed while they live.
    """

    by_base_url: dict[str, AsyncTransport] = field(default_factory=dict)
    by_region: dict[str, AsyncTransport] = field(default_factory=dict)
    shutdown_hook: AsyncGenerator[None, None] | None = None

    async def close(self) -> None:
        """Close every pool (on their own loop); closing twice is harmless."""
        for transport in list(self.by_base_url.values()):
            await transport.close()


class VertexClient:
    """Calls Claude on Vertex AI with Messages API parameters.

    One instance holds one connection pool per endpoint host (and per event loop for async
    calls), built on first use and reused by every call. Each call follows its endpoint plan:
    retryable failures (429, 529, 503, other 5xx, connection errors) move to the next
    endpoint after a full-jitter backoff or the server's ``retry-after``, for at most
    ``max_retries + 1`` attempts within ``deadline`` seconds; a 401 refreshes the token once
    and retries once; other 4xx raise at once. Build it from
    :func:`~claude_vertex.resolve_settings`::

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
        deadline: float | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.max_retries = max_retries
        self.default_headers = dict(default_headers or {})
        policy = RetryPolicy(
            max_attempts=max_retries + 1, deadline=deadline if deadline is not None else 600.0
        )
        self._attempts = Attempts(settings, policy)
        self._lock = threading.Lock()
        # One pool per endpoint host (sync), and per host and event loop (async). A pool is
        # found by base URL when it is made, and by region on every call after, so a
        # region's settings and base URL are worked out once, not per attempt.
        self._sync: dict[str, SyncTransport] = {}
        self._sync_by_region: dict[str, SyncTransport] = {}
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _AsyncPools] = (
            weakref.WeakKeyDictionary()
        )
        self._uses = 0  # calls and open streams in progress
        self._retired = False  # dropped by shared(): close the pools after the last use
        #: Whether calls take the fast path (:mod:`claude_vertex.message_parsing`): answers
        #: and events parsed from their bytes into the SDK's types, equal to the SDK's own
        #: parsing. False on an anthropic SDK release the fast path does not know, or with
        #: ``CLAUDE_VERTEX_FAST_PATH=0``; calls then go through the SDK's ``post``.
        self.fast_path = fast_path_enabled()

    def __repr__(self) -> str:
        return f"VertexClient({self.settings!r})"

    @property
    def policy(self) -> RetryPolicy:
        """Attempts, backoff and deadline of every call."""
        return self._attempts.policy

    @classmethod
    def shared(
        cls,
        settings: Settings,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> VertexClient:
        """The process-wide client for these settings and options, created on first use.

        Model objects of the adapters call this, so every instance with equal settings shares
        one connection pool (and one token provider) however many instances exist. At most
        :data:`SHARED_CLIENTS_MAX` clients are kept (settings with a static ``access_token``
        differ for each token): past that the least recently used is dropped, and closes
        its pools once its calls and streams in progress end. A dropped client still works
        for whoever holds it, opening connections as it needs them.
        """
        key = (
            settings,
            tuple(timeout.as_dict().items()) if isinstance(timeout, httpx2.Timeout) else timeout,
            max_retries,
            tuple(sorted((default_headers or {}).items())),
            deadline,
        )
        with _SHARED_LOCK:
            client = _SHARED.get(key)
            if client is not None:
                _SHARED.move_to_end(key)
                return client
            client = _SHARED[key] = cls(
                settings,
                timeout=timeout,
                max_retries=max_retries,
                default_headers=default_headers,
                deadline=deadline,
            )
            dropped = [
                _SHARED.popitem(last=False)[1] for _ in range(len(_SHARED) - SHARED_CLIENTS_MAX)
            ]
        for old in dropped:
            old._retire()
        return client

    # -- transports ----------------------------------------------------------------------
    def _options(self) -> dict[str, Any]:
        # The SDK's own retries are off: the failover loop below makes every attempt.
        return {
            "timeout": self.timeout,
            "max_retries": 0,
            "default_headers": self.default_headers or None,
            "fast": self.fast_path,
        }

    def _sync_transport(self, region: str | None = None) -> SyncTransport:
        region = region or self.settings.region
        transport = self._sync_by_region.get(region)
        if transport is not None:
            return transport
        settings = self.settings.for_region(region)
        with self._lock:
            transport = self._sync.get(settings.base_url)
            if transport is None:
                transport = SyncTransport(settings, **self._options())
                self._sync[settings.base_url] = transport
            self._sync_by_region[region] = transport
        return transport

    async def _async_pool(self, region: str | None) -> AsyncTransport:
        """:meth:`_async_transport`, with the process's TLS context loaded off the loop.

        Loading it (parsing the CA bundle) takes about 0.1 s, once per process: on the loop it
        would stall every other task, and asyncio's debug mode reports it.
        """
        if not tls_context_loaded():
            await asyncio.to_thread(tls_context)
        return self._async_transport(region)

    def _async_transport(self, region: str | None = None) -> AsyncTransport:
        region = region or self.settings.region
        loop = asyncio.get_running_loop()
        pools = self._async.get(loop)
        transport = None if pools is None else pools.by_region.get(region)
        if transport is not None:
            return transport
        settings = self.settings.for_region(region)
        with self._lock:
            pools = self._async.get(loop)
            if pools is None:
                self._forget_closed_loops()
                pools = self._async[loop] = _AsyncPools()
                pools.shutdown_hook = on_loop_shutdown(functools.partial(self._shut_loop, pools))
            transport = pools.by_base_url.get(settings.base_url)
            if transport is None:
                transport = AsyncTransport(settings, **self._options())
                pools.by_base_url[settings.base_url] = transport
            pools.by_region[region] = transport
        return transport

    async def _shut_loop(self, pools: _AsyncPools) -> None:
        """Close a loop's pools as the loop shuts down (the loop's shutdown hook)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._async.get(loop) is pools:
                del self._async[loop]
        await pools.close()

    def _forget_closed_loops(self) -> None:
        """Drop the async pools of event loops that have closed (with ``_lock`` held).

        A pool's connections refer to their loop, so the weak keys alone never let a loop
        go; once dropped, loop and pool are garbage and their sockets close when collected.
        Loops ended by ``asyncio.run`` (or :class:`asyncio.Runner`) have had their pools
        closed already, by the shutdown hook set in :meth:`_async_transport`.
        """
        for loop in [loop for loop in self._async if loop.is_closed()]:
            del self._async[loop]

    def _detach_pools(self, *, every_loop: bool) -> _Detached:
        """Take the pools out of use (with ``_lock`` held); the next call makes new ones."""
        detached = _Detached(list(self._sync.values()))
        self._sync, self._sync_by_region = {}, {}
        self._forget_closed_loops()
        if every_loop:
            detached.loops, self._async = list(self._async.items()), weakref.WeakKeyDictionary()
        return detached

    def close(self) -> None:
        """Close the sync connection pools and drop the async pools of closed event loops.

        An async pool of a running loop stays in use; the next call from another loop, or
        ``close()``, drops it once its loop has closed.
        """
        with self._lock:
            detached = self._detach_pools(every_loop=False)
        detached.close()

    # -- uses (so a client dropped by shared() closes its pools when idle) -------------------
    def _begin_use(self) -> None:
        with self._lock:
            self._uses += 1

    def _end_use(self) -> None:
        with self._lock:
            self._uses -= 1
            detached = self._detach_pools(every_loop=True) if self._idle_retired() else None
        if detached is not None:
            detached.close()

    @contextmanager
    def _in_use(self) -> Iterator[None]:
        self._begin_use()
        try:
            yield
        finally:
            self._end_use()

    def _idle_retired(self) -> bool:
        return self._retired and self._uses == 0

    def _retire(self) -> None:
        """Dropped by :meth:`shared`: close every pool now if idle, else after the last use."""
        with self._lock:
            self._retired = True
            detached = self._detach_pools(every_loop=True) if self._idle_retired() else None
        if detached is not None:
            detached.close()

    def __enter__(self) -> VertexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------
    def request_for(
        self, params: Mapping[str, Any], *, route: Route | None = None, betas: Iterable[str] = ()
    ) -> VertexRequest:
        """The request these settings send first for ``params``.

        The call policy applies first (see :func:`~claude_vertex.call_policy.apply_call_policy`),
        then the transform (see :func:`build_request`).
        """
        return build_request(
            apply_call_policy(params, counting=route == "count_tokens"),
            project=self.settings.project,
            region=self.settings.region,
            route=route,
            betas=betas,
            anthropic_version=self.settings.anthropic_version,
        )

    def _per_call(
        self, target: VertexRequest, timeout: float | httpx2.Timeout | None
    ) -> RequestOptions:
        chosen = self.timeout if timeout is None else timeout
        deadline = current_deadline()  # the call's: no attempt may outlast it
        return request_options(target.headers, chosen if deadline is None else deadline.cap(chosen))

    def plan_for(self, request: VertexRequest) -> tuple[str, ...]:
        """The endpoints ``request`` may try, in order."""
        return self._attempts.plan_for(request)

    # -- the three routes ----------------------------------------------------------------
    def create(
        self, params: Mapping[str, Any], *, betas: Iterable[str] = (), timeout: float | None = None
    ) -> VertexMessage:
        """Send one non-streaming Messages API call; the answer is an SDK ``Message``.

        Retryable failures move along the endpoint plan (see :meth:`plan_for`).
        """
        return self.create_as(VertexMessage, params, betas=betas, timeout=timeout)

    def create_as(
        self,
        cast_to: type[_Answer],
        params: Mapping[str, Any],
        *,
        betas: Iterable[str] = (),
        timeout: float | httpx2.Timeout | None = None,
    ) -> _Answer:
        """:meth:`create`, parsing the answer into ``cast_to``.

        ``cast_to`` is :class:`VertexMessage` or :class:`VertexBetaMessage` (for the beta
        calls of the drop-in SDK clients).
        """

        def send(target: VertexRequest) -> _Answer:
            message = self._sync_transport(target.region).post_checked(
                target.path,
                body=target.body,
                cast_to=cast_to,
                options=self._per_call(target, timeout),
            )
            message.vertex_region = target.region
            return message

        request = self.request_for(params, route="create", betas=betas)
        return self._attempts.call(request, send, self._in_use())

    def stream(
        self,
        params: Mapping[str, Any],
        *,
        betas: Iterable[str] = (),
        timeout: float | httpx2.Timeout | None = None,
        event_type: Any = RawMessageStreamEvent,
    ) -> MessageStream:
        """Send one streaming call; returns once its first event has arrived.

        Failures before that move along the endpoint plan like :meth:`create`; later ones
        raise from the iteration (see :class:`MessageStream`). The events are the SDK's
        ``RawMessageStreamEvent`` objects, or of ``event_type`` (the drop-in SDK clients'
        beta calls ask for ``BetaRawMessageStreamEvent``).
        """

        def send(target: VertexRequest) -> MessageStream:
            raw = self._sync_transport(target.region).post_stream(
                target.path,
                body=target.body,
                options=self._per_call(target, timeout),
                event_type=event_type,
            )
            events = iter(raw)
            try:
                first = _first_event(events, raw.response)
            except BaseException:
                raw.close()
                raise
            self._begin_use()  # until the stream is closed
            return MessageStream(raw, events, first, target, on_close=self._end_use)

        request = self.request_for(params, route="stream", betas=betas)
        return self._attempts.call(request, send, self._in_use())

    def count_tokens(
        self, params: Mapping[str, Any], *, betas: Iterable[str] = (), timeout: float | None = None
    ) -> int:
        """The number of input tokens ``params`` would use, from Vertex's count-tokens route.

        The global endpoint does not serve count-tokens, so the count goes to the nearest
        region that does (see :func:`~claude_vertex.endpoints.count_tokens_region`).
        """
        counted = self.count_tokens_as(MessageTokensCount, params, betas=betas, timeout=timeout)
        return counted.input_tokens

    def count_tokens_as(
        self,
        cast_to: type[_Count],
        params: Mapping[str, Any],
        *,
        betas: Iterable[str] = (),
        timeout: float | httpx2.Timeout | None = None,
    ) -> _Count:
        """:meth:`count_tokens`, returning the whole answer parsed into ``cast_to``.

        ``cast_to`` is the SDK's ``MessageTokensCount`` or ``BetaMessageTokensCount``.
        """

        def send(target: VertexRequest) -> _Count:
            return self._sync_transport(target.region).post_checked(
                target.path,
                body=target.body,
                cast_to=cast_to,
                options=self._per_call(target, timeout),
            )

        request = self.request_for(params, route="count_tokens", betas=betas)
        return self._attempts.call(request, send, self._in_use())

    async def acreate(
        self, params: Mapping[str, Any], *, betas: Iterable[str] = (), timeout: float | None = None
    ) -> VertexMessage:
        """The async form of :meth:`create`."""
        return await self.acreate_as(VertexMessage, params, betas=betas, timeout=timeout)

    async def acreate_as(
        self,
        cast_to: type[_Answer],
        params: Mapping[str, Any],
        *,
        betas: Iterable[str] = (),
        timeout: float | httpx2.Timeout | None = None,
    ) -> _Answer:
        """The async form of :meth:`create_as`."""

        async def send(target: VertexRequest) -> _Answer:
            message = await (await self._async_pool(target.region)).post_checked(
                target.path,
                body=target.body,
                cast_to=cast_to,
                options=self._per_call(target, timeout),
            )
            message.vertex_region = target.region
            return message

        request = self.request_for(params, route="create", betas=betas)
        return await self._attempts.acall(request, send, self._in_use())

    async def astream(
        self,
        params: Mapping[str, Any],
        *,
        betas: Iterable[str] = (),
        timeout: float | httpx2.Timeout | None = None,
        event_type: Any = RawMessageStreamEvent,
    ) -> AsyncMessageStream:
        """The async form of :meth:`stream`."""

        async def send(target: VertexRequest) -> AsyncMessageStream:
            raw = await (await self._async_pool(target.region)).post_stream(
                target.path,
                body=target.body,
                options=self._per_call(target, timeout),
                event_type=event_type,
            )
            events = aiter(raw)
            try:
                first = await _afirst_event(events, raw.response)
            except BaseException:
                await raw.close()
                raise
            self._begin_use()  # until the stream is closed
            return AsyncMessageStream(raw, events, first, target, on_close=self._end_use)

        request = self.request_for(params, route="stream", betas=betas)
        return await self._attempts.acall(request, send, self._in_use())

    async def acount_tokens(
        self, params: Mapping[str, Any], *, betas: Iterable[str] = (), timeout: float | None = None
    ) -> int:
        """The async form of :meth:`count_tokens`."""
        counted = await self.acount_tokens_as(
            MessageTokensCount, params, betas=betas, timeout=timeout
        )
        return counted.input_tokens

    async def acount_tokens_as(
        self,
        cast_to: type[_Count],
        params: Mapping[str, Any],
        *,
        betas: Iterable[str] = (),
        timeout: float | httpx2.Timeout | None = None,
    ) -> _Count:
        """The async form of :meth:`count_tokens_as`."""

        async def send(target: VertexRequest) -> _Count:
            return await (await self._async_pool(target.region)).post_checked(
                target.path,
                body=target.body,
                cast_to=cast_to,
                options=self._per_call(target, timeout),
            )

        request = self.request_for(params, route="count_tokens", betas=betas)
        return await self._attempts.acall(request, send, self._in_use())


_SHARED: OrderedDict[tuple[Any, ...], VertexClient] = OrderedDict()
_SHARED_LOCK = threading.Lock()
