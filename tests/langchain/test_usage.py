"""Usage, response metadata, prompt caching, citations and token counting."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anthropic
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool

from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from langchain_claude_vertex.responses import chat_result

from .support import blocks, gather, make_pdf

LONG_SYSTEM = "You answer questions about the archive. " * 100


# --------------------------------------------------------------------------- usage and metadata


def test_invoke_reports_usage_and_where_it_was_answered(
    make_chat: Callable[..., ChatClaudeVertex],
    vertex_emulator: VertexEmulator,
) -> None:
    answer = make_chat(region="us-east5").invoke("Hello there")
    assert answer.usage_metadata == {
        "input_tokens": 3,
        "output_tokens": 7,
        "total_tokens": 10,
        "input_token_details": {"cache_read": 0, "cache_creation": 0},
    }
    metadata = answer.response_metadata
    assert metadata["model_name"] == "claude-sonnet-4-5@20250929"
    assert metadata["model_provider"] == "anthropic"
    assert metadata["stop_reason"] == "end_turn"
    assert metadata["region"] == "us-east5" == vertex_emulator.requests[0].region
    assert metadata["request_id"].startswith("req_vrtx_")
    assert answer.id == metadata["id"]
    assert answer.id is not None
    assert answer.id.startswith("msg_vrtx_")


def test_a_stream_reports_usage_exactly_once_on_its_last_chunk(chat: ChatClaudeVertex) -> None:
    chunks = list(chat.stream("Hello there"))
    with_usage = [c for c in chunks if c.usage_metadata]
    assert with_usage == [chunks[-1]]
    assert chunks[-1].chunk_position == "last"
    full = gather(chunks)
    assert full.usage_metadata == chat.invoke("Hello there").usage_metadata
    assert full.response_metadata["model_name"] == "claude-sonnet-4-5@20250929"
    assert full.response_metadata["region"] == "global"
    assert full.response_metadata["request_id"].startswith("req_vrtx_")
    assert full.response_metadata["stop_reason"] == "end_turn"


def test_stream_usage_can_be_turned_off(make_chat: Callable[..., ChatClaudeVertex]) -> None:
    chunks = list(make_chat(stream_usage=False).stream("Hello"))
    assert not any(c.usage_metadata for c in chunks)


def test_max_tokens_cuts_the_answer_and_says_so(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    answer = chat.invoke("[[words:200]]", max_tokens=20)
    assert vertex_emulator.requests[0].body["max_tokens"] == 20
    assert answer.response_metadata["stop_reason"] == "max_tokens"
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["output_tokens"] <= 20


def test_reasoning_tokens_are_reported_where_vertex_sends_them() -> None:
    message = anthropic.types.Message.model_validate(
        {
            "id": "msg_vrtx_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "stop_reason": "end_turn",
            "content": [{"type": "text", "text": "Done."}],
            "usage": {
                "input_tokens": 10,
                "output_tokens": 50,
                "cache_read_input_tokens": 5,
                "cache_creation_input_tokens": 0,
                "output_tokens_details": {"thinking_tokens": 42},
            },
        }
    )
    result = chat_result(
        message, model_name="claude-sonnet-4-5@20250929", region="global", request_id=None
    )
    generated = result.generations[0].message
    assert isinstance(generated, AIMessage)
    usage = generated.usage_metadata
    assert usage == {
        "input_tokens": 15,
        "output_tokens": 50,
        "total_tokens": 65,
        "input_token_details": {"cache_read": 5, "cache_creation": 0},
        "output_token_details": {"reasoning": 42},
    }


# --------------------------------------------------------------------------- prompt caching


@tool
def search_archive(query: str) -> str:
    """Search the archive."""
    return "Found 3 letters from 1921."


def _cached_conversation() -> list[Any]:
    call = {
        "name": "search_archive",
        "args": {"query": "letters"},
        "id": "toolu_archive_1",
        "type": "tool_call",
    }
    return [
        SystemMessage(
            [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]
        ),
        HumanMessage(
            [
                {
                    "type": "text",
                    "text": "Search the archive for letters",
                    "cache_control": {"type": "ephemeral"},
                }
            ]
        ),
        AIMessage("", tool_calls=[call]),
        ToolMessage(
            "Found 3 letters from 1921.",
            tool_call_id="toolu_archive_1",
            additional_kwargs={"cache_control": {"type": "ephemeral"}},
        ),
    ]


def test_cache_control_on_system_tools_blocks_and_tool_messages(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    tools = [
        {
            "name": "search_archive",
            "description": "Search the archive.",
            "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
            "cache_control": {"type": "ephemeral"},
        }
    ]
    bound = chat.bind_tools(tools)
    first = bound.invoke(_cached_conversation())
    second = bound.invoke(_cached_conversation())

    body = vertex_emulator.requests[0].body
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["messages"][2]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert first.usage_metadata is not None
    assert second.usage_metadata is not None
    created = first.usage_metadata["input_token_details"]["cache_creation"]
    assert created > 0
    assert second.usage_metadata["input_token_details"] == {
        "cache_read": created,
        "cache_creation": 0,
    }
    assert second.usage_metadata["input_tokens"] == first.usage_metadata["input_tokens"]


def test_cache_control_at_call_time_marks_the_last_block(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    messages = [SystemMessage(LONG_SYSTEM), HumanMessage("Summarise the archive")]
    chat.invoke(messages, cache_control={"type": "ephemeral"})
    streamed = gather(chat.stream(messages, cache_control={"type": "ephemeral"}))
    last = vertex_emulator.requests[0].body["messages"][-1]["content"][-1]
    assert last == {
        "type": "text",
        "text": "Summarise the archive",
        "cache_control": {"type": "ephemeral"},
    }
    assert streamed.usage_metadata is not None
    assert streamed.usage_metadata["input_token_details"]["cache_read"] > 0


# --------------------------------------------------------------------------- citations


def _cited_question() -> HumanMessage:
    return HumanMessage(
        [
            {
                "type": "text-plain",
                "text": "The grass is green. The sky is blue.",
                "mime_type": "text/plain",
                "extras": {"title": "Facts", "citations": {"enabled": True}},
            },
            {"type": "text", "text": "What colour is the grass?"},
        ]
    )


def test_citations_are_kept_on_invoke(chat: ChatClaudeVertex) -> None:
    answer = chat.invoke([_cited_question()])
    cited = [b for b in answer.content if isinstance(b, dict) and b.get("citations")]
    assert cited == [
        {
            "type": "text",
            "text": "The grass is green.",
            "citations": [
                {
                    "type": "char_location",
                    "cited_text": "The grass is green.",
                    "document_index": 0,
                    "document_title": "Facts",
                    "start_char_index": 0,
                    "end_char_index": 19,
                }
            ],
        }
    ]
    standard: Sequence[Mapping[str, Any]] = answer.content_blocks
    [annotated] = [b for b in standard if b.get("annotations")]
    assert annotated["annotations"][0]["cited_text"] == "The grass is green."


def test_citations_stream_as_citation_deltas(chat: ChatClaudeVertex) -> None:
    chunks = list(chat.stream([_cited_question()]))
    assert any(b.get("citations") for c in chunks for b in c.content if isinstance(b, dict))
    full = gather(chunks)
    assert [b.get("citations") for b in blocks(full) if b.get("citations")] == [
        [
            {
                "type": "char_location",
                "cited_text": "The grass is green.",
                "document_index": 0,
                "document_title": "Facts",
                "start_char_index": 0,
                "end_char_index": 19,
            }
        ]
    ]
    assert full.text.endswith("The grass is green.")


def test_pdf_citations_name_the_page(chat: ChatClaudeVertex) -> None:
    pdf = base64.b64encode(make_pdf("Revenue grew 12 percent.")).decode()
    answer = chat.invoke(
        [
            HumanMessage(
                [
                    {
                        "type": "file",
                        "base64": pdf,
                        "mime_type": "application/pdf",
                        "extras": {"citations": {"enabled": True}},
                    },
                    {"type": "text", "text": "How much did revenue grow?"},
                ]
            )
        ]
    )
    [citation] = [c for b in answer.content if isinstance(b, dict) for c in b.get("citations", [])]
    assert citation["type"] == "page_location"
    assert citation["cited_text"] == "Revenue grew 12 percent."


# --------------------------------------------------------------------------- counting


def test_token_counts_match_the_usage_of_the_same_prompt(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    messages = [SystemMessage("Be brief."), HumanMessage("How many moons has Mars?")]
    counted = chat.get_num_tokens_from_messages(messages)
    with_tools = chat.get_num_tokens_from_messages(messages, tools=[search_archive])
    answer = chat.invoke(messages)
    assert answer.usage_metadata is not None
    assert counted == answer.usage_metadata["input_tokens"]
    assert with_tools > counted
    count_call = vertex_emulator.requests[0]
    assert count_call.route == "count_tokens"
    # Counted where the call goes: the model's default endpoint, global, serves count-tokens.
    assert count_call.region == answer.response_metadata["region"] == "global"
    assert chat.get_num_tokens("How many moons has Mars?") > 0


async def test_token_counting_works_async(chat: ChatClaudeVertex) -> None:
    messages: list[BaseMessage] = [HumanMessage("How many moons has Mars?")]
    assert await chat.aget_num_tokens_from_messages(messages) == (
        chat.get_num_tokens_from_messages(messages)
    )


# --------------------------------------------------------------------------- astream_events
async def test_astream_events_stream_text_and_end_with_usage(chat: ChatClaudeVertex) -> None:
    kinds: list[str] = []
    text = ""
    end: Any = None
    async for event in chat.astream_events("Hey Claude!", version="v2"):
        kinds.append(event["event"])
        if event["event"] == "on_chat_model_stream":
            text += event["data"]["chunk"].text
        if event["event"] == "on_chat_model_end":
            end = event["data"]["output"]
    assert kinds[0] == "on_chat_model_start"
    assert kinds[-1] == "on_chat_model_end"
    assert kinds.count("on_chat_model_stream") > 1
    assert text == "Hello! You said: Hey Claude!"
    assert end.usage_metadata["input_tokens"] > 0
    assert end.response_metadata["model_provider"] == "anthropic"
