"""Images and documents by reference are read client-side and sent as base64."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from claude_vertex import ConfigurationError, MediaError, aload_media, load_media, token_provider
from claude_vertex.media_types import MAX_FETCH_BYTES, MAX_IMAGE_BYTES, sniff_media_type
from claude_vertex.testing import VertexEmulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture
def web() -> Iterator[str]:
    """A loopback web server with a few files, standing in for the internet."""
    files = {
        "/cat.png": (PNG, "image/png"),
        "/doc": (PDF, "application/octet-stream"),
        "/page.html": (b"<html></html>", "text/html"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = files.get(self.path, (b"missing", "text/plain"))
            self.send_response(200 if self.path in files else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_data_url_becomes_a_base64_image_block() -> None:
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    media = load_media(url)
    assert media.block() == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(PNG).decode(),
        },
    }


def test_local_file_is_read_and_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "scan.bin"
    path.write_bytes(PDF)
    media = load_media(path, local_dirs=[tmp_path])
    assert media.media_type == "application/pdf"
    assert media.block()["type"] == "document"


def test_http_url_is_fetched_client_side(web: str) -> None:
    assert load_media(f"{web}/cat.png").media_type == "image/png"
    assert load_media(f"{web}/doc").media_type == "application/pdf"  # sniffed, not declared


def test_http_error_is_a_media_error(web: str) -> None:
    with pytest.raises(MediaError, match="HTTP 404"):
        load_media(f"{web}/nope.png")


def test_unsupported_type_is_refused(web: str) -> None:
    with pytest.raises(MediaError, match="does not read"):
        load_media(f"{web}/page.html")


def test_gs_object_is_read_with_the_callers_credentials(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    uri = vertex_emulator.put_object("my-bucket", "dir/cat image.png", PNG, "image/png")
    media = load_media(uri, tokens=token_provider(vertex_key_file))
    assert media.data == PNG
    (read,) = [r for r in vertex_emulator.requests if r.route == "storage"]
    assert read.path == "/storage/v1/b/my-bucket/o/dir%2Fcat%20image.png?alt=media"
    assert read.headers["authorization"].startswith("Bearer ")


def test_missing_gs_object_says_what_to_check(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    with pytest.raises(MediaError, match="objectViewer"):
        load_media("gs://my-bucket/none.png", tokens=token_provider(vertex_key_file))


async def test_async_gs_read(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    uri = vertex_emulator.put_object("my-bucket", "doc.pdf", PDF, "application/pdf")
    media = await aload_media(uri, tokens=token_provider(vertex_key_file))
    assert media.media_type == "application/pdf"


@pytest.mark.parametrize("uri", ["gs://UPPER/x.png", "gs://bucket", "gs://b/x?y=1"])
def test_malformed_gs_uris_are_refused(uri: str, vertex_key_file: Path) -> None:
    with pytest.raises(MediaError, match="Malformed"):
        load_media(uri, tokens=token_provider(vertex_key_file))


def test_oversized_image_is_refused_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(PNG + b"\x00" * MAX_IMAGE_BYTES)
    with pytest.raises(MediaError, match="at most"):
        load_media(path, local_dirs=[tmp_path])


@pytest.mark.parametrize("reference", ["ftp://x/y.png", "relative/path.png", "javascript:x"])
def test_unknown_schemes_are_refused(reference: str) -> None:
    with pytest.raises(MediaError, match="Cannot read"):
        load_media(reference)


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (PNG, None, "image/png"),
        (b"\xff\xd8\xff\xe0", "", "image/jpeg"),
        (b"GIF89a", "application/octet-stream", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", None, "image/webp"),
        (b"anything", "image/jpg", "image/jpeg"),
        (b"x", "text/plain; charset=utf-8", "text/plain"),
    ],
)
def test_media_type_sniffing(data: bytes, declared: str | None, expected: str) -> None:
    assert sniff_media_type(data, declared) == expected


def _refusal(reference: str | Path, **options: object) -> str:
    """The message of the MediaError reading ``reference`` raises, after the reference."""
    with pytest.raises(MediaError) as caught:
        load_media(reference, **options)  # type: ignore[arg-type]
    return str(caught.value).split("' is ", 1)[1]


def test_local_files_are_refused_by_default_whether_or_not_they_exist(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for Claude")
    refusals = {
        _refusal(reference)
        for reference in (
            secret,
            secret.as_uri(),
            tmp_path / "missing.txt",
            (tmp_path / "missing.txt").as_uri(),
            "file:///etc/passwd",
            "file:///dev/zero",
        )
    }
    assert len(refusals) == 1
    assert "local_media_dirs" in refusals.pop()


async def test_async_loads_refuse_local_files_by_default(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not for Claude")
    with pytest.raises(MediaError, match="local_media_dirs"):
        await aload_media(secret.as_uri())


def test_opted_in_directories_send_their_regular_files_only(tmp_path: Path) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    (allowed / "sub").mkdir(parents=True)
    outside.mkdir()
    (allowed / "sub" / "notes.txt").write_text("Claude may read this.")
    (outside / "secret.txt").write_text("not for Claude")
    os.mkfifo(allowed / "pipe.txt")  # opening it for reading would block forever
    (allowed / "zero.txt").symlink_to("/dev/zero")
    (allowed / "escape.txt").symlink_to(outside / "secret.txt")

    url = (allowed / "sub" / "notes.txt").as_uri()
    assert load_media(url, local_dirs=[allowed]).data == b"Claude may read this."
    refusals = {
        _refusal(reference, local_dirs=[allowed])
        for reference in (
            allowed / "pipe.txt",
            (allowed / "zero.txt").as_uri(),
            allowed / "escape.txt",
            outside / "secret.txt",
            allowed / "missing.txt",
            allowed / ".." / "outside" / "secret.txt",
            allowed / "sub",
        )
    }
    assert len(refusals) == 1  # the same words whether a path exists or not
    assert "not a readable regular file" in refusals.pop()


def test_local_files_are_capped_in_size(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as file:
        file.truncate(MAX_FETCH_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(MediaError, match="over"):
        load_media(big, local_dirs=[tmp_path])


def test_local_media_dirs_must_be_directories(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not a directory"):
        load_media("file:///etc/hostname", local_dirs=[tmp_path / "missing"])
