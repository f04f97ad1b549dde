"""Images, documents and citations through ClaudeVertex: read client-side, sent as base64."""

from __future__ import annotations

import base64
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
)

from claude_vertex import MediaError, MediaSource, resolve_media
from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex.messages import to_messages_params
from tests.llama_index.support import PDF, PNG, MakeLLM

PNG_SOURCE = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(PNG).decode()}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A loopback web server over a temporary directory: (directory, base URL)."""
    root = tmp_path / "site"
    root.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root))
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def sent_blocks(emulator: VertexEmulator) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = emulator.requests[-1].body["messages"][0]["content"]
    return content


def ask(*blocks: Any) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[*blocks, TextBlock(text="What is this?")])]


def test_inline_image_bytes_are_sent_as_base64(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    make_llm().chat(ask(ImageBlock(image=PNG)))
    image, text = sent_blocks(vertex_emulator)
    assert image == {"type": "image", "source": PNG_SOURCE}
    assert text == {"type": "text", "text": "What is this?"}


def test_images_by_path_http_and_data_url_are_read_client_side(
    make_llm: MakeLLM,
    vertex_emulator: VertexEmulator,
    web_root: tuple[Path, str],
    tmp_path: Path,
) -> None:
    root, base = web_root
    (root / "chart.png").write_bytes(PNG)
    local = tmp_path / "local.png"
    local.write_bytes(PNG)
    data_url = "data:image/png;base64," + PNG_SOURCE["data"]
    make_llm(local_media_dirs=[tmp_path]).chat(
        ask(ImageBlock(path=local), ImageBlock(url=f"{base}/chart.png"), ImageBlock(url=data_url))
    )
    assert sent_blocks(vertex_emulator)[:3] == [{"type": "image", "source": PNG_SOURCE}] * 3


async def test_async_calls_read_cloud_storage_with_the_models_credentials(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    uri = vertex_emulator.put_object("claude-bucket", "scans/page.png", PNG, "image/png")
    await make_llm().achat(ask(ImageBlock(url=uri)))
    storage = [r for r in vertex_emulator.requests if r.route == "storage"]
    assert len(storage) == 1
    assert storage[0].headers["authorization"].startswith("Bearer ")
    assert sent_blocks(vertex_emulator)[0] == {"type": "image", "source": PNG_SOURCE}


def test_pdf_and_text_documents_are_sent_with_their_titles(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Claude runs on Vertex AI.")
    make_llm(local_media_dirs=[tmp_path]).chat(
        ask(
            DocumentBlock(data=PDF, title="Report"),
            DocumentBlock(path=notes, title="Notes"),
            DocumentBlock(data=b"# Heading\nMarkdown text.", document_mimetype="text/markdown"),
        )
    )
    pdf, text, markdown, _ = sent_blocks(vertex_emulator)
    assert pdf == {
        "type": "document",
        "title": "Report",
        "source": {
            "type": "base64",
            "media_type": "application/pdf",
            "data": base64.b64encode(PDF).decode(),
        },
    }
    assert text == {
        "type": "document",
        "title": "Notes",
        "source": {"type": "text", "media_type": "text/plain", "data": "Claude runs on Vertex AI."},
    }
    assert markdown["source"] == {
        "type": "text",
        "media_type": "text/plain",
        "data": "# Heading\nMarkdown text.",
    }


def test_unreadable_or_unsupported_media_fails_before_the_model_call(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, web_root: tuple[Path, str]
) -> None:
    llm = make_llm()
    with pytest.raises(MediaError, match="404"):
        llm.chat(ask(ImageBlock(url=f"{web_root[1]}/missing.png")))
    with pytest.raises(MediaError, match="does not read"):
        llm.chat(ask(ImageBlock(image=b"GIF-but-not-really", image_mimetype="image/tiff")))
    with pytest.raises(ValueError, match="AudioBlock"):
        llm.chat(ask(AudioBlock(audio=b"RIFF....WAVE", format="wav")))
    assert [r for r in vertex_emulator.requests if r.route != "storage"] == []


def test_citable_text_is_cited_in_the_answer(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    source = CitableBlock(
        title="Vertex facts",
        source="https://example.com/facts",
        content=[TextBlock(text="Claude runs on Vertex AI. It is fast.")],
    )
    response = make_llm().chat(ask(source))
    search_result = sent_blocks(vertex_emulator)[0]
    assert search_result == {
        "type": "search_result",
        "source": "https://example.com/facts",
        "title": "Vertex facts",
        "content": [{"type": "text", "text": "Claude runs on Vertex AI. It is fast."}],
        "citations": {"enabled": True},
    }
    citations = [b for b in response.message.blocks if isinstance(b, CitationBlock)]
    assert len(citations) == 1
    assert citations[0].cited_content == TextBlock(text="Claude runs on Vertex AI.")
    assert citations[0].source == "https://example.com/facts"
    assert citations[0].title == "Vertex facts"
    assert citations[0].additional_location_info == {
        "search_result_index": 0,
        "start_block_index": 0,
        "end_block_index": 1,
    }
    assert isinstance(response.message.blocks[0], TextBlock)
    assert "Claude runs on Vertex AI." in (response.message.content or "")


def test_streamed_citations_of_a_document_arrive_as_citation_blocks(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    source = CitableBlock(
        title="Report", source="report.pdf", content=[DocumentBlock(data=PDF, title="Report")]
    )
    *_, last = make_llm().stream_chat(ask(source))
    document = sent_blocks(vertex_emulator)[0]
    assert document["citations"] == {"enabled": True}
    assert document["title"] == "Report"
    (citation,) = [b for b in last.message.blocks if isinstance(b, CitationBlock)]
    assert citation.cited_content == TextBlock(text="The report covers Vertex AI.")
    assert citation.title == "Report"
    assert citation.additional_location_info == {
        "document_index": 0,
        "start_page_number": 1,
        "end_page_number": 2,
    }
    assert last.raw.content[-1].citations[0].type == "page_location"


def test_converting_blocks_never_reads_their_files(tmp_path: Path) -> None:
    """to_messages_params leaves a path for the core's pipeline, which applies the rules."""
    local = tmp_path / "local.png"
    local.write_bytes(PNG)
    params = to_messages_params(ask(ImageBlock(path=local))).as_params()
    image = params["messages"][0]["content"][0]
    assert image == {"type": "image", "source": MediaSource(local, image_only=True)}
    with pytest.raises(MediaError, match="local_media_dirs"):
        resolve_media(params)  # no local_dirs: the file is not read
    assert resolve_media(params, local_dirs=[tmp_path])["messages"][0]["content"][0] == {
        "type": "image",
        "source": PNG_SOURCE,
    }
