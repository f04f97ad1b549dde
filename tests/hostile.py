"""A small hostile HTTP server on loopback: it answers every request with scripted bytes.

Where the emulator plays a well-behaved Vertex, this server plays a broken or malicious one
(or a broken token endpoint): HTML with a 200, invalid UTF-8, JSON nested 10,000 deep, huge
bodies, streams whose events make no sense. It listens on 127.0.0.1 only, serves at most
``max_requests`` requests, and shuts itself down after ``lifetime`` seconds in any case.
A reply may stall (:attr:`Scripted.pause`); closing the server ends every stalled reply.

The module also holds the catalogue of hostile replies the tests share (:data:`UNREADABLE`,
:data:`UNREADABLE_STREAMS`, :data:`OUT_OF_ORDER`, :func:`huge`, :func:`stall`).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal


@dataclass(frozen=True)
class Scripted:
    """One reply: a status, headers, and the body as chunks (sent one by one, flushed).

    ``pause`` seconds pass before the head and before every chunk: a reply that stalls.
    """

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    chunks: Sequence[bytes] = ()
    pause: float = 0.0

    @classmethod
    def body(
        cls, body: bytes, content_type: str = "application/json", status: int = 200, **headers: str
    ) -> Scripted:
        """A whole body of ``content_type``."""
        return cls(status, {"content-type": content_type, **headers}, (body,))

    @classmethod
    def json(cls, data: object, status: int = 200, **headers: str) -> Scripted:
        """A JSON body."""
        return cls.body(json.dumps(data).encode(), status=status, **headers)

    @classmethod
    def events(cls, *events: Mapping[str, Any] | bytes) -> Scripted:
        """A 200 server-sent-event stream: each dict is one event named after its ``type``."""
        return cls(200, {"content-type": "text/event-stream"}, [_sse(e) for e in events])


def _sse(event: Mapping[str, Any] | bytes) -> bytes:
    if isinstance(event, bytes):
        return event
    return f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def message_start(model: str = "claude-sonnet-4-5-20250929") -> dict[str, Any]:
    """A ``message_start`` event with no content yet."""
    return {
        "type": "message_start",
        "message": {
            "id": "msg_hostile",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    }


def text_block(index: int, text: str) -> list[dict[str, Any]]:
    """The start, one delta and the stop of a text block."""
    start = {"type": "text", "text": ""}
    delta = {"type": "text_delta", "text": text}
    return [
        {"type": "content_block_start", "index": index, "content_block": start},
        {"type": "content_block_delta", "index": index, "delta": delta},
        {"type": "content_block_stop", "index": index},
    ]


def message_end() -> list[dict[str, Any]]:
    """``message_delta`` (end_turn) and ``message_stop``."""
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 2},
        },
        {"type": "message_stop"},
    ]


def message(text: str = "Hello!") -> dict[str, Any]:
    """A complete non-streamed answer."""
    return {
        "id": "msg_hostile",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }


# --------------------------------------------------------------------------- the catalogue

DEEP = b"[" * 10_000 + b"]" * 10_000

#: Bodies of a 200 that are not a Messages API answer.
UNREADABLE = {
    "html": Scripted.body(b"<html><body>Sign in to the Wi-Fi</body></html>", "text/html"),
    "invalid utf-8": Scripted.body(b'{"id": "msg_\xff\xfe", "type": "message"}'),
    "json 10,000 deep": Scripted.body(DEEP),
    "json of another shape": Scripted.json({"hello": "world"}),
    "json null": Scripted.json(None),
}

#: Streams whose events cannot be read.
UNREADABLE_STREAMS = {
    "html": Scripted.body(b"<html><body>Sign in</body></html>", "text/html"),
    "invalid utf-8": Scripted.events(b'event: message_start\ndata: {"type": "\xff"}\n\n'),
    "json 10,000 deep": Scripted.events(b"event: message_start\ndata: " + DEEP + b"\n\n"),
    "deep json after content": Scripted.events(
        message_start(), *text_block(0, "Hi"), b"event: message_delta\ndata: " + DEEP + b"\n\n"
    ),
}


def _start(index: object) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": {"type": "text"}}


def _delta(index: object) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta"}}


#: Stream events out of order (each list goes between ``message_start`` and a good block).
OUT_OF_ORDER = {
    "a block starting at index 10**8": [_start(10**8)],
    "a delta for a block never started": [_delta(0)],
    "a stop for a block never started": [
        *text_block(0, "Hi"),
        {"type": "content_block_stop", "index": 1},
    ],
    "a block starting twice": [*text_block(0, "Hi"), _start(0)],
    "an index that is not a number": [_start("0")],
}


def out_of_order(events: Sequence[Mapping[str, Any]]) -> Scripted:
    """A stream that would be fine but for ``events`` right after ``message_start``."""
    return Scripted.events(message_start(), *events, *text_block(0, "Hi"), *message_end())


MEGABYTE = b"x" * 1024 * 1024


def huge(kind: Literal["error", "answer", "event"], megabytes: int) -> Scripted:
    """A reply ``megabytes`` long, sent a megabyte at a time.

    ``kind``: ``error`` (a 400 whose message is that long), ``answer`` (a 200 JSON body) or
    ``event`` (one stream event).
    """
    if kind == "error":
        head = b'{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "'
        return Scripted(
            400, {"content-type": "application/json"}, [head, *[MEGABYTE] * megabytes, b'"}}']
        )
    if kind == "answer":
        return Scripted(
            200, {"content-type": "application/json"}, [b'{"id": "', *[MEGABYTE] * megabytes]
        )
    return Scripted(
        200, {"content-type": "text/event-stream"}, [b"data: ", *[MEGABYTE] * megabytes]
    )


PING = {"type": "ping"}


def stall(
    kind: Literal["pings", "trickle", "hang"], seconds: float, interval: float = 0.25
) -> Scripted:
    """A reply that takes ``seconds`` and never finishes well, one piece per ``interval``.

    ``kind``: ``pings`` (``message_start``, then only pings), ``trickle`` (a JSON body one
    byte at a time) or ``hang`` (nothing at all until ``seconds`` have passed, then a 200
    of no body).
    """
    pieces = max(1, round(seconds / interval))
    if kind == "pings":
        return replace(Scripted.events(message_start(), *[PING] * pieces), pause=interval)
    if kind == "trickle":
        return Scripted(200, {"content-type": "application/json"}, [b" "] * pieces, interval)
    return Scripted(200, {"content-type": "application/json"}, (), seconds)


#: Picks the reply to a request on a path (for replies that depend on the route, or on chance).
Picker = Callable[[str], Scripted]


class HostileServer:
    """Answers request ``n`` with ``replies[n]`` (the last one once they run out).

    ``replies`` may instead be a function of the request's path, called for every request.
    Use it as a context manager; ``base_url`` is its ``/v1`` root and ``token_uri`` its
    token endpoint (every path gets the scripted replies). ``paths`` lists what was asked.
    """

    def __init__(
        self,
        replies: Iterable[Scripted] | Picker,
        *,
        lifetime: float = 30.0,
        max_requests: int = 100,
    ) -> None:
        self._pick: Picker | None = replies if callable(replies) else None
        self.replies = [] if callable(replies) else list(replies)
        self.paths: list[str] = []
        self._max_requests = max_requests
        self._lock = threading.Lock()
        #: Set when the server stops: stalled replies end at once.
        self.stopped = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._timer = threading.Timer(lifetime, self._server.shutdown)
        self._timer.daemon = True

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The Vertex base URL to point a client at."""
        return f"{self.url}/v1"

    @property
    def token_uri(self) -> str:
        """A token endpoint URL for a key file's ``token_uri``."""
        return f"{self.url}/token"

    def next_reply(self, path: str) -> Scripted | None:
        """The reply to the next request, or None once ``max_requests`` were served."""
        with self._lock:
            if len(self.paths) >= self._max_requests:
                return None
            self.paths.append(path)
            if self._pick is not None:
                return self._pick(path)
            return self.replies[min(len(self.paths), len(self.replies)) - 1]

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopped.set()
        self._timer.cancel()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], owner: HostileServer) -> None:
        super().__init__(address, _Handler)
        self.owner = owner


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 10  # a client that stops reading cannot hold a thread for long

    def do_POST(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        with contextlib.suppress(OSError):  # the client hung up: gave up on a stall, say
            self._reply()
        self.close_connection = True

    def _reply(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        reply = self.server.owner.next_reply(self.path)
        if reply is None or not self._waited(reply.pause):
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("connection", "close")
        self.end_headers()
        for chunk in reply.chunks:
            if not self._waited(reply.pause):
                return
            if chunk:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def _waited(self, pause: float) -> bool:
        """Wait ``pause`` seconds; False if the server stopped first (or had stopped)."""
        stopped = self.server.owner.stopped
        return not (stopped.wait(pause) if pause > 0 else stopped.is_set())

    def log_message(self, format: str, *args: Any) -> None:
        pass
