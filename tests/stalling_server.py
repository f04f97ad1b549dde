"""A hostile loopback server for the time bounds: it stalls, pings and trickles, never finishes.

* ``POST /token`` waits for :attr:`StallingServer.gate` and then answers with
  :attr:`StallingServer.token`; without the gate (or a token) it answers nothing at all.
* ``POST ...:streamRawPredict`` sends ``message_start`` and then only ``ping`` events.
* ``POST ...:rawPredict`` and ``GET /media/...`` promise a large body and trickle one byte
  per :attr:`StallingServer.interval`.

It listens on 127.0.0.1 only. Every reply ends by itself after ``max_seconds`` (or when the
server stops), closing the connection without finishing the body.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import TracebackType
from typing import Any

from tests.hostile import message_start

PROMISED_BYTES = 1_000_000


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # HTTPServer's would look up the host's name
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])


def _sse(event: str, data: object) -> bytes:
    payload = f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
    return b"%x\r\n%s\r\n" % (len(payload), payload)


class StallingServer:
    """The hostile server; use it as a context manager."""

    def __init__(self, *, interval: float = 0.5, max_seconds: float = 12.0) -> None:
        self.interval = interval
        self.max_seconds = max_seconds
        #: Set it to let ``/token`` answer.
        self.gate = threading.Event()
        #: The access token ``/token`` hands out once the gate is open.
        self.token: str | None = None
        self.token_requests = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:port``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` of a Vertex client aimed here."""
        return self.url + "/v1"

    @property
    def token_uri(self) -> str:
        """The OAuth token endpoint."""
        return self.url + "/token"

    def __enter__(self) -> StallingServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------ replies
    def waited(self, started: float) -> bool:
        """Wait one interval; False once the reply must end."""
        if time.monotonic() - started > self.max_seconds:
            return False
        return not self._stop.wait(self.interval)

    def answer_token(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.token_requests += 1
        opened = self.gate.wait(self.max_seconds) and not self._stop.is_set()
        if not opened or self.token is None:
            handler.close_connection = True  # a hung endpoint: no answer at all
            return
        body = json.dumps(
            {"access_token": self.token, "expires_in": 3600, "token_type": "Bearer"}
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def ping_forever(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(_sse("message_start", message_start()))
        handler.wfile.flush()
        started = time.monotonic()
        while self.waited(started):
            handler.wfile.write(_sse("ping", {"type": "ping"}))
            handler.wfile.flush()
        handler.close_connection = True

    def trickle(self, handler: BaseHTTPRequestHandler, content_type: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(PROMISED_BYTES))
        handler.end_headers()
        started = time.monotonic()
        while self.waited(started):
            handler.wfile.write(b" ")
            handler.wfile.flush()
        handler.close_connection = True


def _handler_for(server: StallingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                if self.path == "/token":
                    server.answer_token(self)
                elif self.path.endswith(":streamRawPredict"):
                    server.ping_forever(self)
                else:
                    server.trickle(self, "application/json")
            except (ConnectionError, TimeoutError):
                self.close_connection = True

        def do_GET(self) -> None:
            try:
                server.trickle(self, "image/png")
            except (ConnectionError, TimeoutError):
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet."""

    return Handler
