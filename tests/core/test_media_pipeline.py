"""The core's media pipeline: MediaSource sources of Messages API params, read and inlined."""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from claude_vertex import MediaError, MediaSource, aresolve_media, resolve_media, token_provider
from claude_vertex.media_types import MAX_IMAGE_BYTES
from claude_vertex.testing import VertexEmulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%test\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PNG_SOURCE = {"type": "base64", "media_type": "image/png", "data": b64(PNG)}
PDF_SOURCE = {"type": "base64", "media_type": "application/pdf", "data": b64(PDF)}


class Web:
    """Files on a loopback HTTP server; ``together`` holds each GET until that many are in."""

    def __init__(self, together: int = 1) -> None:
        self.files = {"/cat.png": (PNG, "image/png"), "/doc": (PDF, "application/pdf")}
        self.requests: list[str] = []
        barrier = threading.Barrier(together, timeout=5)
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                web.requests.append(self.path)
                barrier.wait()  # raises (and the read fails) unless the reads overlap
                body, kind = web.files.get(self.path, (b"missing", "text/plain"))
                self.send_response(200 if self.path in web.files else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def web() -> Iterator[Web]:
    server = Web()
    yield server
    server.close()


def user(*content: Any) -> dict[str, Any]:
    return {"role": "user", "content": list(content)}


def image(source: MediaSource, **extra: Any) -> dict[str, Any]:
    return {"type": "image", "source": source, **extra}


def document(source: MediaSource, **extra: Any) -> dict[str, Any]:
    return {"type": "document", "source": source, **extra}


def text(words: str) -> dict[str, Any]:
    return {"type": "text", "text": words}


def tool_turns(*content: Any) -> list[dict[str, Any]]:
    """A tool call and a user turn answering it with ``content``."""
    return [
        user(text("Look.")),
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "look", "input": {}}],
        },
        user({"type": "tool_result", "tool_use_id": "toolu_1", "content": list(content)}),
    ]


# --------------------------------------------------------------------------- raw bytes


def test_raw_bytes_are_encoded_once_into_a_base64_source() -> None:
    params = {"messages": [user(image(MediaSource(data=PNG)), text("What is this?"))]}
    resolved = resolve_media(params)
    assert resolved["messages"][0]["content"] == [
        {"type": "image", "source": PNG_SOURCE},
        text("What is this?"),
    ]


def test_raw_bytes_that_look_like_base64_are_not_decoded() -> None:
    # "QUJD" is the base64 of "ABC": bytes are sent as they are, never taken for base64.
    source = MediaSource(data=b"QUJD", media_type="text/plain")
    (block,) = resolve_media({"messages": [user(document(source))]})["messages"][0]["content"]
    assert block["source"] == {"type": "text", "media_type": "text/plain", "data": "QUJD"}
    (block,) = resolve_media({"messages": [user(image(MediaSource(data=PNG + b"QUJD")))]})[
        "messages"
    ][0]["content"]
    assert base64.b64decode(block["source"]["data"]) == PNG + b"QUJD"


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (PNG, None, "image/png"),
        (PDF, None, "application/pdf"),
        (PDF, "application/octet-stream", "application/pdf"),
        (b"plain words", None, "text/plain"),
        (b"anything", "image/jpg", "image/jpeg"),
    ],
)
def test_raw_bytes_take_their_declared_type_else_a_sniffed_one(
    data: bytes, declared: str | None, expected: str
) -> None:
    source = MediaSource(data=data, media_type=declared)
    (block,) = resolve_media({"messages": [user(document(source))]})["messages"][0]["content"]
    assert block["source"]["media_type"] == expected


def test_the_bytes_decide_image_or_document_and_images_drop_document_options() -> None:
    options = {"title": "Scan", "context": "from the archive", "citations": {"enabled": True}}
    cache = {"cache_control": {"type": "ephemeral"}}
    params = {
        "messages": [
            user(
                document(MediaSource(data=PNG), **options, **cache),
                image(MediaSource(data=PDF), **options),
            )
        ]
    }
    as_image, as_document = resolve_media(params)["messages"][0]["content"]
    assert as_image == {"type": "image", "source": PNG_SOURCE, **cache}
    assert as_document == {"type": "document", "source": PDF_SOURCE, **options}


def test_image_only_sources_refuse_other_media() -> None:
    params = {"messages": [user(text("Look:"), image(MediaSource(data=PDF, image_only=True)))]}
    with pytest.raises(MediaError, match=r"messages\[0\] \(user\), content\[1\] \(image\): .*"):
        resolve_media(params)


# --------------------------------------------------------------------------- error places


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"BM" + b"\x00" * 60, "'image/bmp'"),
        (PNG + b"\x00" * MAX_IMAGE_BYTES, f"{MAX_IMAGE_BYTES:,}"),
    ],
    ids=["type", "size"],
)
def test_errors_name_the_message_and_block(data: bytes, says: str) -> None:
    declared = "image/bmp" if data.startswith(b"BM") else None
    params = {
        "messages": [
            user(text("Hello")),
            {"role": "assistant", "content": "Hi."},
            user(text("Look:"), image(MediaSource(data=data, media_type=declared))),
        ]
    }
    with pytest.raises(MediaError) as caught:
        resolve_media(params)
    message = str(caught.value)
    assert message.startswith("messages[2] (user), content[1] (image): ")
    assert says in message


async def test_errors_in_tool_results_name_the_nested_block() -> None:
    params = {"messages": tool_turns(text("Here:"), document(MediaSource(data=b"\xff\xfe\x00")))}
    expected = r"^messages\[2\] \(user\), content\[0\] \(tool_result\), content\[1\] \(document\): "
    with pytest.raises(MediaError, match=expected):
        resolve_media(params)
    with pytest.raises(MediaError, match=expected):
        await aresolve_media(params)


def test_reading_errors_name_the_first_block_of_the_reference(web: Web) -> None:
    missing = MediaSource(f"{web.url}/missing.png")
    params = {"messages": [user(text("Look:"), image(missing), image(missing))]}
    with pytest.raises(MediaError, match=r"^messages\[0\] \(user\), content\[1\] \(image\): .*404"):
        resolve_media(params)
    assert web.requests == ["/missing.png"]


def test_system_prompts_take_no_media() -> None:
    params = {
        "system": [text("Be brief."), image(MediaSource(data=PNG))],
        "messages": [user(text("Hi"))],
    }
    with pytest.raises(MediaError, match=r"^system\[1\] \(image\): system prompts take text only"):
        resolve_media(params)


def test_bytes_are_checked_before_any_reference_is_read(web: Web) -> None:
    params = {
        "messages": [
            user(image(MediaSource(f"{web.url}/cat.png"))),
            {"role": "assistant", "content": "A cat."},
            user(image(MediaSource(data=b"not an image", media_type="image/tiff"))),
        ]
    }
    with pytest.raises(MediaError, match=r"^messages\[2\] \(user\), content\[0\] \(image\)"):
        resolve_media(params)
    assert web.requests == []


# --------------------------------------------------------------------------- references


def test_references_are_read_once_and_inlined_everywhere(web: Web) -> None:
    cat = MediaSource(f"{web.url}/cat.png")
    params = {
        "system": [text("Be brief.")],
        "messages": [
            *tool_turns(image(cat)),
            {"role": "assistant", "content": "A cat."},
            user(image(cat), document(MediaSource(f"{web.url}/doc"), title="Doc")),
        ],
        "max_tokens": 64,
    }
    before = copy.deepcopy(params)
    resolved = resolve_media(params)
    assert params == before  # the input is not changed
    assert sorted(web.requests) == ["/cat.png", "/doc"]
    assert resolved["system"] == params["system"]
    assert resolved["max_tokens"] == 64
    assert resolved["messages"][2]["content"][0]["content"] == [
        {"type": "image", "source": PNG_SOURCE}
    ]
    assert resolved["messages"][4]["content"] == [
        {"type": "image", "source": PNG_SOURCE},
        {"type": "document", "source": PDF_SOURCE, "title": "Doc"},
    ]


async def test_async_reads_references_concurrently() -> None:
    web = Web(together=2)  # each read waits for the other: sequential reads would fail
    try:
        params = {
            "messages": [
                user(
                    image(MediaSource(f"{web.url}/cat.png")),
                    document(MediaSource(f"{web.url}/doc")),
                    image(MediaSource(data=PNG)),
                )
            ]
        }
        resolved = await aresolve_media(params)
    finally:
        web.close()
    assert [b["source"] for b in resolved["messages"][0]["content"]] == [
        PNG_SOURCE,
        PDF_SOURCE,
        PNG_SOURCE,
    ]


async def test_gs_references_are_read_with_the_callers_credentials(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    uri = vertex_emulator.put_object("my-bucket", "scan.pdf", PDF, "application/pdf")
    params = {"messages": [user(document(MediaSource(uri)))]}
    tokens = token_provider(vertex_key_file)
    for resolved in (
        resolve_media(params, tokens=tokens),
        await aresolve_media(params, tokens=tokens),
    ):
        assert resolved["messages"][0]["content"] == [{"type": "document", "source": PDF_SOURCE}]
    storage = [r for r in vertex_emulator.requests if r.route == "storage"]
    assert len(storage) == 2
    assert all(r.headers["authorization"].startswith("Bearer ") for r in storage)


async def test_local_files_only_from_the_named_directories(tmp_path: Path) -> None:
    allowed, other = tmp_path / "allowed", tmp_path / "other"
    allowed.mkdir()
    other.mkdir()
    (allowed / "scan.png").write_bytes(PNG)
    for reference in (allowed / "scan.png", (allowed / "scan.png").as_uri()):
        params = {"messages": [user(image(MediaSource(reference)))]}
        with pytest.raises(MediaError, match=r"^messages\[0\] .*local_media_dirs"):
            resolve_media(params)
        with pytest.raises(MediaError, match="local_media_dirs"):
            await aresolve_media(params)
        with pytest.raises(MediaError, match="not a readable regular file"):
            resolve_media(params, local_dirs=[other])
        for resolved in (
            resolve_media(params, local_dirs=[allowed]),
            await aresolve_media(params, local_dirs=[allowed]),
        ):
            assert resolved["messages"][0]["content"][0]["source"] == PNG_SOURCE


def test_params_without_deferred_sources_come_back_equal() -> None:
    params = {
        "messages": [user(text("Hi"), {"type": "image", "source": PNG_SOURCE})],
        "temperature": 0.5,
    }
    assert resolve_media(params) == params
    assert resolve_media({"messages": "not a list"}) == {"messages": "not a list"}


# --------------------------------------------------------------------------- MediaSource


@pytest.mark.parametrize(
    "arguments",
    [{}, {"reference": "https://x/y.png", "data": PNG}, {"reference": "x", "media_type": "a/b"}],
    ids=["neither", "both", "typed reference"],
)
def test_a_media_source_holds_a_reference_or_bytes(arguments: dict[str, Any]) -> None:
    with pytest.raises(MediaError, match="MediaSource"):
        MediaSource(**arguments)


def test_wrongly_typed_media_sources_are_refused() -> None:
    with pytest.raises(MediaError, match="not int"):
        MediaSource(42)  # type: ignore[arg-type]
    with pytest.raises(MediaError, match="must be bytes"):
        MediaSource(data="text")  # type: ignore[arg-type]


def test_the_repr_shows_neither_bytes_nor_a_urls_query() -> None:
    signed = MediaSource("https://storage.example/cat.png?X-Goog-Signature=s3cr3t")
    assert repr(signed) == "MediaSource(reference='https://storage.example/cat.png?...')"
    inline = MediaSource(data=PNG, media_type="image/png", image_only=True)
    assert repr(inline) == ("MediaSource(data=<40 bytes>, media_type='image/png', image_only=True)")
    data_url = MediaSource("data:image/png;base64," + b64(PNG))
    assert repr(data_url) == "MediaSource(reference='data:image/png;base64,...')"
