"""Builders for the LangChain adapter's tests: stream gathering, media served on loopback."""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import httpx2
import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage

MODEL = "claude-sonnet-4-5"
THINKING = {"type": "enabled", "budget_tokens": 1024}


def gather(chunks: Iterable[AIMessageChunk]) -> AIMessageChunk:
    """The sum of a stream's chunks, as LangChain adds them up."""
    full: AIMessageChunk | None = None
    for chunk in chunks:
        full = chunk if full is None else full + chunk
    assert full is not None
    return full


def as_chunks(stream: Iterable[BaseMessage]) -> list[AIMessageChunk]:
    """A stream's chunks, each checked to be an ``AIMessageChunk``.

    A model bound to tools is typed as a ``Runnable`` of ``AIMessage``; its stream yields chunks.
    """
    chunks = []
    for chunk in stream:
        assert isinstance(chunk, AIMessageChunk), chunk
        chunks.append(chunk)
    return chunks


def blocks(message: BaseMessage) -> list[dict[str, Any]]:
    """The content blocks of ``message``, checked to be a list of dicts."""
    content = message.content
    assert isinstance(content, list), content
    found = []
    for block in content:
        assert isinstance(block, dict), block
        found.append(block)
    return found


def block(message: BaseMessage, index: int = 0) -> dict[str, Any]:
    """Content block ``index`` of ``message``, checked to be a dict."""
    content = message.content
    assert isinstance(content, list), content
    found = content[index]
    assert isinstance(found, dict), found
    return found


def make_png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def make_pdf(text: str = "Dummy PDF file") -> bytes:
    """A valid one-page PDF showing ``text``."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class MediaServer:
    """Files over HTTP on loopback: ``put(path, data, content_type)``, then ``url(path)``."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        files, requests = self.files, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                found = files.get(self.path)
                body, kind = found if found else (b"not found", "text/plain")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def put(self, path: str, data: bytes, content_type: str) -> str:
        """Serve ``data`` at ``path``; returns its URL."""
        self.files[path] = (data, content_type)
        return self.url(path)

    def url(self, path: str) -> str:
        """The URL of ``path`` on this server."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def route_urls(monkeypatch: pytest.MonkeyPatch, routes: Mapping[str, str]) -> None:
    """Send requests for exactly these URLs (httpx and httpx2, sync and async) elsewhere.

    Other URLs are untouched. The request still goes over real HTTP, to the route's target.
    """

    def patch(module: Any, transport: type[Any], method: str) -> None:
        original = getattr(transport, method)

        def rerouted(self: Any, request: Any) -> Any:
            target = routes.get(str(request.url))
            if target is not None:
                headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
                request = module.Request(request.method, target, headers=headers)
            return original(self, request)

        monkeypatch.setattr(transport, method, rerouted)

    for module in (httpx, httpx2):
        patch(module, module.HTTPTransport, "handle_request")
        patch(module, module.AsyncHTTPTransport, "handle_async_request")
