"""What ChatClaudeVertex sends for each kind of LangChain content, checked on the wire.

Media given by reference (http(s) URLs, gs:// objects, data: URLs) arrives at Vertex as
base64 sources, since Vertex does not fetch URLs; the emulator rejects anything malformed.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from claude_vertex import MediaError
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex

from .support import MediaServer, make_pdf, make_png

PNG = make_png()
PNG_B64 = base64.b64encode(PNG).decode()
PDF = make_pdf("Quarterly report")
PDF_B64 = base64.b64encode(PDF).decode()
PNG_SOURCE = {"type": "base64", "media_type": "image/png", "data": PNG_B64}
PDF_SOURCE = {"type": "base64", "media_type": "application/pdf", "data": PDF_B64}


def sent(emulator: VertexEmulator) -> dict[str, Any]:
    """The body of the one model call made."""
    [call] = emulator.requests
    assert call.status == 200, call.body
    return dict(call.body)


def user_blocks(emulator: VertexEmulator) -> list[dict[str, Any]]:
    return list(sent(emulator)["messages"][-1]["content"])


def ask(*blocks: Any) -> HumanMessage:
    return HumanMessage([{"type": "text", "text": "Describe this."}, *blocks])


# --------------------------------------------------------------------------- images


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        {"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/png"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
        {"type": "image_url", "image_url": f"data:image/png;base64,{PNG_B64}"},
        {"type": "image", "source": PNG_SOURCE},
    ],
    ids=["standard", "v0-standard", "openai", "openai-string", "anthropic"],
)
def test_inline_images_arrive_as_base64_image_blocks(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    block: dict[str, Any],
) -> None:
    chat.invoke([ask(block)])
    assert user_blocks(vertex_emulator)[1] == {"type": "image", "source": PNG_SOURCE}


@pytest.mark.parametrize("shape", ["standard", "openai", "anthropic-url-source"])
def test_image_urls_are_fetched_client_side_and_sent_as_base64(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    media_server: MediaServer,
    shape: str,
) -> None:
    url = media_server.put(f"/{shape}.png", PNG, "image/png")
    block = {
        "standard": {"type": "image", "url": url},
        "openai": {"type": "image_url", "image_url": {"url": url}},
        "anthropic-url-source": {"type": "image", "source": {"type": "url", "url": url}},
    }[shape]
    chat.invoke([ask(block)])
    assert user_blocks(vertex_emulator)[1] == {"type": "image", "source": PNG_SOURCE}
    assert f"/{shape}.png" in media_server.requests


def test_gs_objects_are_read_with_the_models_credentials(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    uri = vertex_emulator.put_object("team-bucket", "charts/q3.png", PNG, "image/png")
    chat.invoke([ask({"type": "image", "url": uri})])
    storage, model_call = vertex_emulator.requests
    assert storage.route == "storage"
    assert storage.status == 200
    assert storage.headers["authorization"].startswith("Bearer ")
    assert model_call.body["messages"][0]["content"][1] == {"type": "image", "source": PNG_SOURCE}


async def test_async_calls_read_every_referenced_medium(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    media_server: MediaServer,
) -> None:
    first = media_server.put("/async-a.png", PNG, "image/png")
    second = media_server.put("/async-b.pdf", PDF, "application/pdf")
    await chat.ainvoke([ask({"type": "image", "url": first}, {"type": "file", "url": second})])
    blocks = user_blocks(vertex_emulator)
    assert blocks[1] == {"type": "image", "source": PNG_SOURCE}
    assert blocks[2] == {"type": "document", "source": PDF_SOURCE}


def test_unreadable_media_raises_the_cores_media_error_before_any_call(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    media_server: MediaServer,
) -> None:
    with pytest.raises(MediaError, match="HTTP 404"):
        chat.invoke([ask({"type": "image", "url": media_server.url("/missing.png")})])
    assert vertex_emulator.requests == []


# --------------------------------------------------------------------------- documents


@pytest.mark.parametrize(
    "block",
    [
        {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"},
        {"type": "file", "source_type": "base64", "data": PDF_B64, "mime_type": "application/pdf"},
        {
            "type": "file",
            "file": {
                "filename": "report.pdf",
                "file_data": f"data:application/pdf;base64,{PDF_B64}",
            },
        },
        {"type": "document", "source": PDF_SOURCE},
    ],
    ids=["standard", "v0-standard", "openai", "anthropic"],
)
def test_pdfs_arrive_as_base64_documents(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    block: dict[str, Any],
) -> None:
    chat.invoke([ask(block)])
    document = user_blocks(vertex_emulator)[1]
    assert document["type"] == "document"
    assert document["source"] == PDF_SOURCE
    if "file" in block:
        assert document["title"] == "report.pdf"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "text-plain", "text": "The launch moved to May.", "mime_type": "text/plain"},
        {
            "type": "file",
            "base64": base64.b64encode(b"The launch moved to May.").decode(),
            "mime_type": "text/plain",
        },
    ],
    ids=["text-plain", "file"],
)
def test_plain_text_documents_are_text_sources(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    block: dict[str, Any],
) -> None:
    chat.invoke([ask({**block, "extras": {"title": "Memo", "citations": {"enabled": True}}})])
    assert user_blocks(vertex_emulator)[1] == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "The launch moved to May."},
        "title": "Memo",
        "citations": {"enabled": True},
    }


def test_native_blocks_pass_through(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    search = {
        "type": "search_result",
        "source": "https://example.com/a",
        "title": "A",
        "content": [{"type": "text", "text": "Alpha."}],
        "citations": {"enabled": True},
    }
    document = {
        "type": "document",
        "source": {"type": "content", "content": [{"type": "text", "text": "Section one."}]},
        "context": "from the wiki",
    }
    chat.invoke([ask(search, document)])
    assert user_blocks(vertex_emulator)[1:] == [search, document]


@pytest.mark.parametrize(
    "block",
    [
        {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "video", "url": "https://example.com/v.mp4"},
    ],
    ids=["audio", "openai-audio", "video"],
)
def test_audio_and_video_are_refused_with_a_clear_error(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
    block: dict[str, Any],
) -> None:
    with pytest.raises(ValueError, match=r"does not accept (audio|video)"):
        chat.invoke([ask(block)])
    assert vertex_emulator.requests == []


def test_file_ids_are_refused_since_vertex_has_no_files_api(chat: ChatClaudeVertex) -> None:
    with pytest.raises(ValueError, match="no Files API"):
        chat.invoke([ask({"type": "file", "file_id": "file_123"})])


# --------------------------------------------------------------------------- tool messages


def _tool_loop(result: ToolMessage) -> list[Any]:
    call = {"name": "lookup", "args": {"q": "x"}, "id": "toolu_lookup_1", "type": "tool_call"}
    return [HumanMessage("Look it up"), AIMessage("", tool_calls=[call]), result]


def test_tool_messages_become_tool_results(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    answer = chat.invoke(_tool_loop(ToolMessage("42 results", tool_call_id="toolu_lookup_1")))
    body = sent(vertex_emulator)
    assert body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "toolu_lookup_1", "name": "lookup", "input": {"q": "x"}}
    ]
    assert body["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_lookup_1", "content": "42 results"}
    ]
    assert answer.text == "Tool results: 42 results"


def test_error_status_sets_is_error(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    chat.invoke(_tool_loop(ToolMessage("Timed out", tool_call_id="toolu_lookup_1", status="error")))
    [result] = sent(vertex_emulator)["messages"][2]["content"]
    assert result["is_error"] is True


def test_tool_messages_carry_images_and_pdfs(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    content: list[str | dict[Any, Any]] = [
        {"type": "text", "text": "Two attachments"},
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        {"type": "file", "base64": PDF_B64, "mime_type": "application/pdf"},
    ]
    chat.invoke(_tool_loop(ToolMessage(content, tool_call_id="toolu_lookup_1")))
    [result] = sent(vertex_emulator)["messages"][2]["content"]
    assert result["content"] == [
        {"type": "text", "text": "Two attachments"},
        {"type": "image", "source": PNG_SOURCE},
        {"type": "document", "source": PDF_SOURCE},
    ]


def test_tool_call_ids_from_other_providers_are_made_valid_consistently(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    call = {"name": "lookup", "args": {}, "id": "call:7f/abc.1", "type": "tool_call"}
    chat.invoke(
        [
            HumanMessage("Look it up"),
            AIMessage("", tool_calls=[call]),
            ToolMessage("done", tool_call_id="call:7f/abc.1"),
        ]
    )
    body = sent(vertex_emulator)
    tool_use_id = body["messages"][1]["content"][0]["id"]
    assert tool_use_id.startswith("call_7f_abc_1_")
    assert body["messages"][2]["content"][0]["tool_use_id"] == tool_use_id


# --------------------------------------------------------------------------- conversation


def test_leading_system_messages_become_system_blocks(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    chat.invoke(
        [SystemMessage("Be brief."), SystemMessage("Answer in French."), HumanMessage("hello")]
    )
    assert sent(vertex_emulator)["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Answer in French."},
    ]


def test_a_system_message_mid_conversation_is_refused(chat: ChatClaudeVertex) -> None:
    with pytest.raises(ValueError, match="start of the conversation"):
        chat.invoke([HumanMessage("hi"), SystemMessage("Now be rude.")])


def test_consecutive_messages_of_one_role_merge_into_one_turn(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    chat.invoke(
        [
            HumanMessage("one"),
            HumanMessage("two", name="alice"),
            AIMessage("ok"),
            HumanMessage("three"),
        ]
    )
    assert sent(vertex_emulator)["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
        {"role": "user", "content": [{"type": "text", "text": "three"}]},
    ]


def test_a_final_assistant_message_is_a_prefill_without_trailing_space(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    chat.invoke([HumanMessage("Give JSON"), AIMessage("{ ")])
    assert sent(vertex_emulator)["messages"][-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "{"}],
    }


def test_empty_text_blocks_are_left_out(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    chat.invoke([HumanMessage(["", {"type": "text", "text": "  "}, "real question"])])
    assert sent(vertex_emulator)["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "real question"}]}
    ]
