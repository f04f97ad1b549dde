"""StreamAssembler, a pure fold of SDK stream events: every chunk's message is the answer so far.

The assembler builds text-only answers on a fast path; these cases check that each chunk it
yields, fast path or not, equals the general conversion of the message received so far.
"""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

from llama_index.llms.claude_vertex.responses import assistant_message
from llama_index.llms.claude_vertex.streaming import StreamAssembler

EVENTS: TypeAdapter[RawMessageStreamEvent] = TypeAdapter(RawMessageStreamEvent)
START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 9, "output_tokens": 1},
    },
}
CITATION = {
    "type": "char_location",
    "cited_text": "Grass is green.",
    "document_index": 0,
    "document_title": "Facts",
    "start_char_index": 0,
    "end_char_index": 15,
}


def block(index: int, content: dict[str, Any], *deltas: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": "content_block_start", "index": index, "content_block": content},
        *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": index},
    ]


def text(index: int, *pieces: str) -> list[dict[str, Any]]:
    return block(
        index, {"type": "text", "text": ""}, *({"type": "text_delta", "text": p} for p in pieces)
    )


END = [
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 12},
    },
    {"type": "message_stop"},
]

CASES = {
    "one text block": [*text(0, "Hello", ", world", "!")],
    "two text blocks": [*text(0, "First. "), *text(1, "Second", ".")],
    "text, a tool call, text": [
        *text(0, "Let me look. "),
        *block(
            1,
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}},
            {"type": "input_json_delta", "partial_json": '{"city": "Pa'},
            {"type": "input_json_delta", "partial_json": 'ris"}'},
        ),
        *text(2, "Done."),
    ],
    "a tool call without arguments, then text": [
        *block(0, {"type": "tool_use", "id": "toolu_1", "name": "now", "input": {}}),
        *text(1, "It is noon."),
    ],
    "thinking, then text": [
        *block(
            0,
            {"type": "thinking", "thinking": "", "signature": ""},
            {"type": "thinking_delta", "thinking": "Hmm."},
            {"type": "signature_delta", "signature": "c2ln"},
        ),
        *text(1, "Yes."),
    ],
    "thinking, tool calls, text and cited text between": [
        *block(
            0,
            {"type": "thinking", "thinking": "", "signature": ""},
            {"type": "thinking_delta", "thinking": "Two lookups."},
            {"type": "signature_delta", "signature": "c2ln"},
        ),
        *block(
            1,
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}},
            {"type": "input_json_delta", "partial_json": '{"city": "Paris"}'},
        ),
        *text(2, "Paris done; "),
        *block(
            3,
            {"type": "text", "text": ""},
            {"type": "citations_delta", "citation": CITATION},
            {"type": "text_delta", "text": "grass is green"},
        ),
        *block(
            4,
            {"type": "tool_use", "id": "toolu_2", "name": "weather", "input": {}},
            {"type": "input_json_delta", "partial_json": '{"city": '},
            {"type": "input_json_delta", "partial_json": '"Rome"}'},
        ),
        *text(5, "Rome next."),
    ],
    "text, then a cited text": [
        *text(0, "Look: "),
        *block(
            1,
            {"type": "text", "text": ""},
            {"type": "citations_delta", "citation": CITATION},
            {"type": "text_delta", "text": "grass is green"},
        ),
    ],
}


@pytest.mark.parametrize("events", CASES.values(), ids=CASES.keys())
def test_every_chunk_is_the_answer_received_so_far(events: list[dict[str, Any]]) -> None:
    assembler = StreamAssembler(region="global", request_id="req_1")
    deltas = []
    chunks = 0
    for raw in [START, *events, *END]:
        chunk = assembler.feed(EVENTS.validate_python(raw))
        if chunk is None:
            continue
        chunks += 1
        so_far = assembler.message().content
        assert chunk.message.blocks == assistant_message(so_far).blocks
        assert chunk.additional_kwargs["region"] == "global"
        deltas.append(chunk.delta or "")
    last = assembler.message()
    texts = "".join(b.text for b in last.content if b.type == "text")
    assert "".join(deltas) == texts
    assert chunks >= 2
