"""A small hostile HTTP server on loopback: it answers every request with scripted bytes.

Where the emulator plays a well-behaved Vertex, this server plays a broken or malicious one
(or a broken token endpoint): HTML with a 200, invalid UTF-8, JSON nested 10,000 deep, huge
bodies, streams whose events make no sense. It listens on 127.0.0.1 only, serves at most
``max_requests`` requests, and shuts itself down after ``lifetime`` seconds in any case.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Scripted:
    """One reply: a status, headers, and the body as chunks (sent one by one, flushed)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    chunks: Sequence[bytes] = ()

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


class HostileServer:
    """Answers request ``n`` with ``replies[n]`` (the last one once they run out).

    Use it as a context manager; ``base_url`` is its ``/v1`` root and ``token_uri`` its
    token endpoint (every path gets the scripted replies). ``paths`` lists what was asked.
    """

    def __init__(
        self,
        replies: Iterable[Scripted],
        *,
        lifetime: float = 30.0,
        max_requests: int = 100,
    ) -> None:
        self.replies = list(replies)
        self.paths: list[str] = []
        self._max_requests = max_requests
        self._lock = threading.Lock()
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
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        reply = self.server.owner.next_reply(self.path)
        if reply is None:
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("connection", "close")
        self.end_headers()
        for chunk in _chunked(reply.chunks):
            self.wfile.write(chunk)
            self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _chunked(chunks: Sequence[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        if chunk:
            yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    yield b"0\r\n\r\n"
