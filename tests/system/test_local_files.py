"""Local files reach the wire only from directories the model names (``local_media_dirs``).

Message content often carries URLs that came from untrusted users, so both adapters refuse
``file://`` URLs (and LlamaIndex ``path=`` blocks) by default, in every shape they accept, before
any request; the refusal reads the same whether the file exists or not. With the opt-in, only
regular files inside the named directories are sent.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    CitableBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
)

from claude_vertex import ConfigurationError, MediaError
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex

MODEL = "claude-sonnet-4-5"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.4\n%local\n"


def langchain_shapes(png: Path, pdf: Path) -> dict[str, list[BaseMessage]]:
    """Every LangChain content shape that can name a local file."""
    image, document = png.as_uri(), pdf.as_uri()
    tool_call = {"id": "toolu_1", "name": "look", "args": {}}
    return {
        "image_url": [HumanMessage([{"type": "image_url", "image_url": {"url": image}}])],
        "image_url string": [HumanMessage([{"type": "image_url", "image_url": image}])],
        "image url": [HumanMessage([{"type": "image", "url": image}])],
        "image v0 url": [HumanMessage([{"type": "image", "source_type": "url", "url": image}])],
        "file url": [HumanMessage([{"type": "file", "url": document}])],
        "native image": [
            HumanMessage([{"type": "image", "source": {"type": "url", "url": image}}])
        ],
        "native document": [
            HumanMessage([{"type": "document", "source": {"type": "url", "url": document}}])
        ],
        "tool result": [
            HumanMessage("Look."),
            AIMessage("", tool_calls=[tool_call]),
            ToolMessage([{"type": "image", "url": image}], tool_call_id="toolu_1"),
        ],
    }


def llama_index_shapes(png: Path, pdf: Path) -> dict[str, list[ChatMessage]]:
    """Every LlamaIndex block that can name a local file."""

    def user(*blocks: Any) -> list[ChatMessage]:
        return [ChatMessage(role="user", blocks=[*blocks, TextBlock(text="What is this?")])]

    return {
        "image path": user(ImageBlock(path=png)),
        "image file url": user(ImageBlock(url=png.as_uri())),
        "document path": user(DocumentBlock(path=pdf)),
        "document file url": user(DocumentBlock(url=pdf.as_uri())),
        "citable document": user(
            CitableBlock(content=[DocumentBlock(path=pdf)], source="local", title="Local")
        ),
    }


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """A PNG and a PDF in a directory of their own."""
    directory = tmp_path / "media"
    directory.mkdir()
    (directory / "chart.png").write_bytes(PNG)
    (directory / "report.pdf").write_bytes(PDF)
    return directory / "chart.png", directory / "report.pdf"


def _refusal(call: Callable[[], object]) -> str:
    with pytest.raises(MediaError) as caught:
        call()
    return str(caught.value)


def _langchain_modes(
    chat: ChatClaudeVertex, messages: list[BaseMessage]
) -> list[Callable[[], Any]]:
    return [
        lambda: chat.invoke(messages),
        lambda: list(chat.stream(messages)),
        lambda: asyncio.run(chat.ainvoke(messages)),
        lambda: chat.get_num_tokens_from_messages(messages),
    ]


def _llama_index_modes(llm: ClaudeVertex, messages: list[ChatMessage]) -> list[Callable[[], Any]]:
    return [
        lambda: llm.chat(messages),
        lambda: list(llm.stream_chat(messages)),
        lambda: asyncio.run(llm.achat(messages)),
        lambda: llm.count_tokens(messages),
    ]


def test_no_local_file_reaches_the_wire_without_the_opt_in(
    place: dict[str, Any], vertex_emulator: VertexEmulator, files: tuple[Path, Path]
) -> None:
    png, pdf = files
    chat = ChatClaudeVertex(model=MODEL, **{**place, "credentials": str(place["credentials"])})
    llm = ClaudeVertex(MODEL, **place)
    calls: list[Callable[[], Any]] = []
    for lc_messages in langchain_shapes(png, pdf).values():
        calls += _langchain_modes(chat, lc_messages)
    for li_messages in llama_index_shapes(png, pdf).values():
        calls += _llama_index_modes(llm, li_messages)
    for call in calls:
        assert "local_media_dirs" in _refusal(call)
    assert vertex_emulator.requests == []


@pytest.mark.parametrize("opted_in", [False, True], ids=["no opt-in", "another directory"])
def test_the_refusal_does_not_say_whether_a_file_exists(
    place: dict[str, Any], files: tuple[Path, Path], tmp_path: Path, opted_in: bool
) -> None:
    png, _ = files
    directories = [str(tmp_path / "elsewhere")] if opted_in else []
    for directory in directories:
        Path(directory).mkdir()
    chat = ChatClaudeVertex(
        model=MODEL,
        **{**place, "credentials": str(place["credentials"])},
        local_media_dirs=directories,
    )
    llm = ClaudeVertex(MODEL, **place, local_media_dirs=directories)
    texts = set()
    for path in (png, png.with_name("missing.png"), Path("/etc/passwd"), Path("/dev/zero")):
        image = {"type": "image_url", "image_url": {"url": path.as_uri()}}
        # (LlamaIndex itself refuses a path= block whose file is missing: a file:// URL here.)
        block = ImageBlock(url=path.as_uri())
        for text in (
            _refusal(lambda: chat.invoke([HumanMessage([image])])),  # noqa: B023 - called now
            _refusal(lambda: llm.chat([ChatMessage(blocks=[block])])),  # noqa: B023
        ):
            texts.add(text.split("' is ", 1)[1])  # what follows the reference
    assert len(texts) == 1, texts


def test_opted_in_directories_send_their_files(
    place: dict[str, Any], vertex_emulator: VertexEmulator, files: tuple[Path, Path]
) -> None:
    png, pdf = files
    directories = [png.parent]
    chat = ChatClaudeVertex(
        model=MODEL,
        **{**place, "credentials": str(place["credentials"])},
        local_media_dirs=directories,
    )
    chat.invoke(langchain_shapes(png, pdf)["image_url"])
    llm = ClaudeVertex(MODEL, **place, local_media_dirs=directories)
    llm.chat(llama_index_shapes(png, pdf)["document path"])
    image = vertex_emulator.requests[0].body["messages"][0]["content"][0]
    document = vertex_emulator.requests[1].body["messages"][0]["content"][0]
    assert image["source"]["data"] == base64.b64encode(PNG).decode()
    assert document["source"]["data"] == base64.b64encode(PDF).decode()


def test_local_media_dirs_that_are_not_directories_are_refused_at_construction(
    place: dict[str, Any], tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing")
    with pytest.raises(ConfigurationError, match="not a directory"):
        ChatClaudeVertex(
            model=MODEL,
            **{**place, "credentials": str(place["credentials"])},
            local_media_dirs=[missing],
        )
    with pytest.raises(ConfigurationError, match="not a directory"):
        ClaudeVertex(MODEL, **place, local_media_dirs=[missing])
