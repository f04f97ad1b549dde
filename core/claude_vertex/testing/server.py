"""The emulator's HTTP plumbing: a threaded loopback server, request reading, reply writing.

A stdlib ``ThreadingHTTPServer`` speaks HTTP/1.1 with keep-alive. Every accepted socket gets
``TCP_NODELAY`` and every non-streaming answer goes out in one write (head and body together),
so that keep-alive calls do not stall on delayed ACKs; streams use chunked transfer encoding,
one SSE event per chunk, written as the reply's events are made; a file reply is copied from
disk in pieces. Bodies are read whole, up to :data:`MAX_BODY_BYTES`, except where the
responder asks for them as a stream (Cloud Storage uploads, which may be of any size). What to
answer is the :class:`Responder`'s business.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Protocol

from .error_bodies import anthropic_error
from .replies import Answer, FileReply, Reply, StreamReply
from .request_log import BodyStream

__all__ = ["MAX_BODY_BYTES", "EmulatorServer", "Responder"]

#: The largest request body read whole (Anthropic's limit for the Messages API); streamed
#: bodies (uploads) have no limit.
MAX_BODY_BYTES = 32 * 1024 * 1024
#: The size of the pieces a file reply is sent in.
_FILE_PIECE_BYTES = 1 << 20
#: Reason phrases of statuses the ``http`` module does not name.
_EXTRA_PHRASES = {529: "Overloaded"}


class Responder(Protocol):
    """What the server asks for the answer to each request."""

    def streams_body(self, method: str, path: str) -> bool:
        """Whether the request's body goes to :meth:`serving` unread, as a stream."""
        ...

    def serving(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        raw_body: bytes,
        stream: BodyStream | None = None,
    ) -> AbstractContextManager[Answer]:
        """The answer to one request, held until the ``with`` block has written it."""
        ...


class EmulatorServer(ThreadingHTTPServer):
    """A threaded HTTP/1.1 server on ``address`` whose handler asks ``responder`` for answers."""

    daemon_threads = True
    # Hundreds of clients may connect at once (load tests, benchmarks); the stdlib default
    # backlog of 5 would reset their connections.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], responder: Responder) -> None:
        self.responder = responder
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without looking up the host's FQDN (``HTTPServer`` would; it can stall)."""
        TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection, set ``TCP_NODELAY`` on it and track it until it closes."""
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        """Close a connection and stop tracking it."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End the keep-alive connections still open, so no thread serves after a stop."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Report a handler's error, unless the client merely went away."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorServer

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the emulator records requests instead of logging them."""

    def _serve(self) -> None:
        responder = self.server.responder
        stream = BodyStream(self._body_parts())
        streamed = responder.streams_body(self.command, self.path)
        raw = b"" if streamed else stream.read(MAX_BODY_BYTES)
        if raw is None:
            self.close_connection = True
            error = anthropic_error(
                "request_too_large", "Request exceeds the maximum allowed number of bytes."
            )
            self._write(Reply.json(413, error))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = stream if streamed else None
        with responder.serving(self.command, self.path, headers, raw, body) as answer:
            try:
                stream.drain()  # what the answer did not read, so the next request starts clean
                self._write_answer(answer)
            except (ConnectionError, TimeoutError):
                self.close_connection = True
            finally:
                if isinstance(answer, FileReply):
                    answer.file.close()

    def _write_answer(self, answer: Answer) -> None:
        if isinstance(answer, StreamReply):
            self._write_stream(answer)
        elif isinstance(answer, FileReply):
            self._write_file(answer)
        else:
            self._write(answer)

    def _body_parts(self) -> Iterator[bytes]:
        if "chunked" not in self.headers.get("transfer-encoding", "").lower():
            remaining = int(self.headers.get("content-length") or 0)
            while remaining > 0:
                part = self.rfile.read(min(remaining, 1 << 20))
                if not part:
                    return
                remaining -= len(part)
                yield part
            return
        while True:
            size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield self.rfile.read(size)
            self.rfile.readline(1024)

    def _head(self, status: int, headers: Sequence[tuple[str, str]]) -> bytes:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = _EXTRA_PHRASES.get(status, "Unknown")
        lines = [f"HTTP/1.1 {status} {phrase}", "Server: claude-vertex-emulator"]
        lines += [f"{name}: {value}" for name, value in headers]
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _write(self, reply: Reply) -> None:
        headers = [
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
            *reply.headers,
        ]
        self.wfile.write(self._head(reply.status, headers) + reply.body)

    def _write_file(self, reply: FileReply) -> None:
        headers = [
            ("Content-Type", reply.content_type),
            ("Content-Length", str(reply.length)),
            *reply.headers,
        ]
        self.wfile.write(self._head(reply.status, headers))
        remaining = reply.length
        while remaining > 0:
            piece = reply.file.read(min(remaining, _FILE_PIECE_BYTES))
            if not piece:  # the file is shorter than promised: the client sees a short body
                self.close_connection = True
                return
            self.wfile.write(piece)
            remaining -= len(piece)

    def _write_stream(self, reply: StreamReply) -> None:
        headers = [
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("Transfer-Encoding", "chunked"),
            *reply.headers,
        ]
        self.wfile.write(self._head(200, headers))
        for event in reply.events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
        if reply.ending == "dropped":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(b"0\r\n\r\n")
