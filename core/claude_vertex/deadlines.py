"""The deadline of a call: one instant that bounds every wait of that call, bytes included.

A ``timeout`` bounds each connect and each read, so a server that keeps sending (pings after
``message_start``, a body one byte at a time) would keep a call alive for ever. A
:class:`Deadline` bounds the whole of it. :class:`~claude_vertex.VertexClient` runs each call
under :func:`call_deadline`; inside it the token provider waits no longer than what is left,
each attempt's timeouts are capped to what is left, and the bytes of every response, streamed
or not, stop with :class:`DeadlineExceeded` once the deadline has passed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpx2

__all__ = ["Deadline", "DeadlineExceeded", "call_deadline", "current_deadline"]

#: The shortest timeout an attempt gets, so one that starts just before the deadline fails
#: as a timeout rather than on a zero timeout's quirks.
_MIN_TIMEOUT = 0.05


@dataclass(frozen=True)
class Deadline:
    """``seconds`` from a start; ``ends_at`` is on the :func:`time.monotonic` clock."""

    seconds: float
    ends_at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self.ends_at - time.monotonic())

    def passed(self) -> bool:
        """Whether the deadline has passed."""
        return time.monotonic() >= self.ends_at

    def cap(self, timeout: float | httpx2.Timeout) -> httpx2.Timeout:
        """``timeout`` with no part (connect, read, write, pool) longer than what is left."""
        full = httpx2.Timeout(timeout)
        left = max(self.left(), _MIN_TIMEOUT)

        def capped(part: float | None) -> float:
            return left if part is None else min(part, left)

        return httpx2.Timeout(
            connect=capped(full.connect),
            read=capped(full.read),
            write=capped(full.write),
            pool=capped(full.pool),
        )

    def bound(self, response: httpx2.Response) -> None:
        """Make the bytes of ``response`` stop arriving once the deadline has passed."""
        stream = response.stream
        if isinstance(stream, httpx2.SyncByteStream):
            response.stream = _BoundedStream(stream, self, response.request)
        elif isinstance(stream, httpx2.AsyncByteStream):
            response.stream = _AsyncBoundedStream(stream, self, response.request)

    def check(self, request: httpx2.Request) -> None:
        """Raise :class:`DeadlineExceeded` if the deadline has passed."""
        if self.passed():
            raise DeadlineExceeded(self, request)


class DeadlineExceeded(httpx2.ReadTimeout):
    """A call's deadline passed while a response was still arriving (a read timeout)."""

    def __init__(self, deadline: Deadline, request: httpx2.Request) -> None:
        super().__init__(f"the call's deadline of {deadline.seconds:g} s passed", request=request)
        self.deadline = deadline


class _BoundedStream(httpx2.SyncByteStream):
    def __init__(
        self, inner: httpx2.SyncByteStream, deadline: Deadline, request: httpx2.Request
    ) -> None:
        self._inner, self._deadline, self._request = inner, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._deadline.check(self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncBoundedStream(httpx2.AsyncByteStream):
    def __init__(
        self, inner: httpx2.AsyncByteStream, deadline: Deadline, request: httpx2.Request
    ) -> None:
        self._inner, self._deadline, self._request = inner, deadline, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._deadline.check(self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


_CURRENT: ContextVar[Deadline | None] = ContextVar("claude_vertex_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the call running in this context, if any."""
    return _CURRENT.get()


@contextmanager
def call_deadline(seconds: float) -> Iterator[Deadline]:
    """Run the block as one call that must end within ``seconds``; yields its deadline."""
    deadline = Deadline.after(seconds)
    token = _CURRENT.set(deadline)
    try:
        yield deadline
    finally:
        _CURRENT.reset(token)
