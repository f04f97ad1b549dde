"""The requests the emulator receives: as they arrive, while in flight, and as logged.

:class:`Incoming` is a request as read off the socket; :class:`RequestLog` counts the ones in
flight and keeps a :class:`RecordedRequest` of each answered one, in two logs (model routes,
token routes) that :meth:`RequestLog.reset` empties. An upload's body is not read into memory:
it arrives as a :class:`BodyStream`, and is logged without its bytes.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "INVALID_JSON",
    "BodyStream",
    "Incoming",
    "RecordedRequest",
    "RequestLog",
    "Route",
    "parse_json",
]

Route = Literal[
    "create",
    "stream",
    "count_tokens",
    "token",
    "iam",
    "storage",
    "batch",
    "model_config",
    "operation",
    "other",
]

#: What :func:`parse_json` returns for a body that is not JSON.
INVALID_JSON = object()


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator answered, as it arrived, with the status it got."""

    method: str
    #: The request target as sent (path and query).
    path: str
    #: Header names in lowercase.
    headers: dict[str, str]
    #: The parsed JSON body (the form fields as a dict on ``/token``); ``None`` if absent or
    #: not parseable.
    body: Any
    raw_body: bytes
    route: Route
    project: str | None
    region: str | None
    #: The model: from the URL, or from the body on count-tokens.
    model: str | None
    status: int


class BodyStream:
    """A request body still on the socket, read in pieces by iterating over it, once.

    Whatever the answer leaves unread is read and dropped by :meth:`drain`, so the connection
    stays usable for the next request.
    """

    def __init__(self, parts: Iterable[bytes]) -> None:
        self._parts = iter(parts)
        #: How many bytes have been read so far.
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for part in self._parts:
            self.size += len(part)
            yield part

    def read(self, limit: int) -> bytes | None:
        """The whole body if it is at most ``limit`` bytes, else ``None`` (read all the same)."""
        kept: list[bytes] = []
        for part in self:
            if self.size <= limit:
                kept.append(part)
        return b"".join(kept) if self.size <= limit else None

    def drain(self) -> None:
        """Read and drop the rest of the body."""
        for _ in self:
            pass


@dataclass(frozen=True)
class Incoming:
    """A request as it arrived: method, target, lowercase headers and the raw body."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    #: The emulator's reset count when the request arrived: a request that arrived before a
    #: reset (one still being answered slowly, say) stays out of the log the reset began.
    generation: int = 0
    #: An upload's body, not yet read (``raw_body`` is then empty).
    stream: BodyStream | None = None


def parse_json(raw: bytes) -> object:
    """The JSON value of a body; ``None`` if it is empty, :data:`INVALID_JSON` if not JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return INVALID_JSON


class RequestLog:
    """The emulator's request logs and its count of requests in flight. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._in_flight = 0
        self._requests: list[RecordedRequest] = []
        self._token_requests: list[RecordedRequest] = []

    @contextlib.contextmanager
    def arriving(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        raw_body: bytes,
        stream: BodyStream | None = None,
    ) -> Iterator[Incoming]:
        """The request, counted in :attr:`in_flight` until the ``with`` block ends."""
        with self._lock:
            self._in_flight += 1
            incoming = Incoming(method, path, headers, raw_body, self._generation, stream)
        try:
            yield incoming
        finally:
            with self._lock:
                self._in_flight -= 1

    def record(
        self,
        incoming: Incoming,
        route: Route,
        status: int,
        body: object,
        project: str | None = None,
        region: str | None = None,
        model: str | None = None,
    ) -> None:
        """Log the answered ``incoming``, unless it arrived before the last :meth:`reset`."""
        entry = RecordedRequest(
            incoming.method,
            incoming.path,
            incoming.headers,
            None if body is INVALID_JSON else body,
            incoming.raw_body,
            route,
            project,
            region,
            model,
            status,
        )
        with self._lock:
            if incoming.generation == self._generation:
                log = self._token_requests if route in ("token", "iam") else self._requests
                log.append(entry)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The model-route requests (and requests to unknown paths), in the order answered."""
        with self._lock:
            return list(self._requests)

    @property
    def token_requests(self) -> list[RecordedRequest]:
        """The requests to ``/token`` and IAM ``generateAccessToken``, in the order answered."""
        with self._lock:
            return list(self._token_requests)

    @property
    def in_flight(self) -> int:
        """How many requests have arrived and are not yet fully answered."""
        with self._lock:
            return self._in_flight

    def reset(self) -> None:
        """Empty both logs; requests still in flight will not be logged."""
        with self._lock:
            self._generation += 1
            self._requests.clear()
            self._token_requests.clear()
