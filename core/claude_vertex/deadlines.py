"""The deadline of a call: one instant that bounds every wait of that call, bytes included.

A ``timeout`` bounds each connect and each read, so a server that keeps sending (pings after
``message_start``, a body one byte at a time) would keep a call alive for ever. A
:class:`Deadline` bounds the whole of it. :class:`~claude_vertex.VertexClient` runs each call
under :func:`call_deadline`; inside it the token provider waits no longer than what is left,
each attempt's timeouts are capped to what is left, and the bytes of every response, streamed
or not, stop with :class:`DeadlineExceeded` once the deadline has passed: at the deadline
itself, because one watchdog thread shuts the response's socket down then (a read blocked
on a silent server wakes up), and at the latest at the first byte after it otherwise.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import httpx2

__all__ = ["Deadline", "DeadlineExceeded", "call_deadline", "current_deadline"]

#: The shortest timeout an attempt gets, so one that starts just before the deadline fails
#: as a timeout rather than on a zero timeout's quirks.
_MIN_TIMEOUT = 0.05
#: The longest the watchdog sleeps between looks at its alarms.
_WATCHDOG_NAP = 1.0
#: How long the watchdog waits for a new alarm once none is armed before its thread ends:
#: back-to-back calls reuse one thread (starting one per call cost ~0.1 ms a call).
_IDLE_LINGER = 2.0


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
        network = response.extensions.get("network_stream")
        sock = network.get_extra_info("socket") if network is not None else None
        # socket.socket first: the Protocol's isinstance is slow (it runs on every call).
        alarm = (
            _WATCHDOG.arm(self.ends_at, sock)
            if isinstance(sock, (socket.socket, _Shuttable))
            else None
        )
        guard = _Guard(self, response.request, alarm)
        if isinstance(stream, httpx2.SyncByteStream):
            response.stream = _BoundedStream(stream, guard)
        elif isinstance(stream, httpx2.AsyncByteStream):
            response.stream = _AsyncBoundedStream(stream, guard)


class DeadlineExceeded(httpx2.ReadTimeout):
    """A call's deadline passed while a response was still arriving (a read timeout)."""

    def __init__(self, deadline: Deadline, request: httpx2.Request) -> None:
        super().__init__(f"the call's deadline of {deadline.seconds:g} s passed", request=request)
        self.deadline = deadline


@runtime_checkable
class _Shuttable(Protocol):
    """A socket (``socket.socket``, or asyncio's ``TransportSocket`` of an async stream)."""

    def shutdown(self, how: int, /) -> None: ...


def _shutdown(sock: _Shuttable) -> None:
    """End both directions of ``sock``: a read blocked on it, in any thread, returns."""
    if isinstance(sock, socket.socket):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # TLS too, without unwrapping it
    else:
        sock.shutdown(socket.SHUT_RDWR)


class _Alarm:
    """Shuts one socket down when fired, unless disarmed first (when its response closed)."""

    def __init__(self, sock: _Shuttable) -> None:
        self._sock: _Shuttable | None = sock
        self._lock = threading.Lock()

    @property
    def armed(self) -> bool:
        return self._sock is not None

    def disarm(self) -> None:
        with self._lock:
            self._sock = None

    def fire(self) -> None:
        # Under the lock: a response that closes meanwhile hands its connection back to the
        # pool only after disarm() returns, so no other request's socket is ever shut.
        with self._lock:
            sock, self._sock = self._sock, None
            if sock is not None:
                with contextlib.suppress(OSError):  # closed meanwhile
                    _shutdown(sock)


@dataclass
class _Watchdog:
    """One daemon thread that fires the alarms of responses whose deadline has come."""

    _alarms: list[tuple[float, int, _Alarm]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _wake: threading.Condition = field(default_factory=threading.Condition)
    _thread: threading.Thread | None = None
    #: How many alarms were ever armed (so an idle thread sees calls that came and went).
    _armed: int = 0

    def arm(self, ends_at: float, sock: _Shuttable) -> _Alarm:
        alarm = _Alarm(sock)
        with self._wake:
            self._armed += 1
            heapq.heappush(self._alarms, (ends_at, next(self._order), alarm))
            if self._thread is None:
                self._start()
            if self._alarms[0][2] is alarm:  # the earliest now: the thread sleeps too long
                self._wake.notify()
        return alarm

    def _start(self) -> None:
        thread = threading.Thread(target=self._run, name="claude-vertex-deadlines", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # at the thread limit: the deadline is checked per chunk only
            return
        self._thread = thread

    def _run(self) -> None:
        while self._step():
            pass

    def _prune(self) -> None:
        """Drop the alarms of responses that closed (with ``_wake`` held)."""
        self._alarms = [entry for entry in self._alarms if entry[2].armed]
        heapq.heapify(self._alarms)

    def _step(self) -> bool:
        """Fire the earliest alarm if due, else sleep; False once none is armed (thread ends).

        Alarms of closed responses are dropped at every step, at least once a second, so
        they do not pile up until due, and the thread ends once no alarm has been armed for
        :data:`_IDLE_LINGER` seconds after the last response.
        """
        with self._wake:
            self._prune()
            if not self._alarms:
                armed_before = self._armed
                self._wake.wait(_IDLE_LINGER)  # arm() wakes it
                if self._armed != armed_before:
                    return True  # calls go on (their alarms may be disarmed already)
                self._thread = None  # arm() starts another
                return False
            due, _, alarm = self._alarms[0]
            wait = due - time.monotonic()
            if wait > 0:
                self._wake.wait(min(wait, _WATCHDOG_NAP))
                return True
            heapq.heappop(self._alarms)
        alarm.fire()
        return True


_WATCHDOG = _Watchdog()


@dataclass(frozen=True)
class _Guard:
    """What a bounded response stream checks: its deadline, and whether its alarm fired."""

    deadline: Deadline
    request: httpx2.Request
    alarm: _Alarm | None

    def check(self) -> None:
        """Raise :class:`DeadlineExceeded` if the deadline has passed."""
        if self.deadline.passed():
            raise DeadlineExceeded(self.deadline, self.request)

    def reason(self, exc: Exception) -> Exception:
        """The error to raise for ``exc``: the deadline's, if it is why the read ended."""
        return DeadlineExceeded(self.deadline, self.request) if self.deadline.passed() else exc

    def close(self) -> None:
        if self.alarm is not None:
            self.alarm.disarm()


class _BoundedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, guard: _Guard) -> None:
        self._inner, self._guard = inner, guard

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                self._guard.check()
                yield chunk
        except DeadlineExceeded:
            raise
        except Exception as exc:  # a socket shut at the deadline fails as a broken read
            reason = self._guard.reason(exc)
            if reason is exc:
                raise
            raise reason from exc

    def close(self) -> None:
        self._guard.close()
        self._inner.close()


class _AsyncBoundedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, guard: _Guard) -> None:
        self._inner, self._guard = inner, guard

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                self._guard.check()
                yield chunk
        except DeadlineExceeded:
            raise
        except Exception as exc:  # a socket shut at the deadline fails as a broken read
            reason = self._guard.reason(exc)
            if reason is exc:
                raise
            raise reason from exc

    async def aclose(self) -> None:
        self._guard.close()
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
