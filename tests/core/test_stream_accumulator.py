"""StreamAccumulator: raw stream events in, the answer so far and the final message out.

Events are decoded the way the SDK decodes a stream (``construct_type``, no validation, so
block and delta types the SDK does not know survive). Every final message is compared with
the SDK's own accumulation (``accumulate_event``, what ``MessageStream`` uses) of the same
events.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from anthropic.types import Message, RawMessageStreamEvent

from claude_vertex import (
    StreamAccumulator,
    StreamOrderError,
    UsageCounts,
    VertexClient,
    parse_tool_arguments,
    usage_counts,
)
from claude_vertex._sdk import SdkAccumulation, construct_event
from tests.helpers import MakeSettings, hello

JSON = dict[str, Any]


def start(**usage: Any) -> JSON:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 9, "output_tokens": 1, **usage},
        },
    }


def block(index: int, content: JSON, *deltas: JSON) -> list[JSON]:
    return [
        {"type": "content_block_start", "index": index, "content_block": content},
        *({"type": "content_block_delta", "index": index, "delta": d} for d in deltas),
        {"type": "content_block_stop", "index": index},
    ]


def text(index: int, *pieces: str) -> list[JSON]:
    return block(
        index, {"type": "text", "text": ""}, *({"type": "text_delta", "text": p} for p in pieces)
    )


def tool(index: int, kind: str, *pieces: str) -> list[JSON]:
    started = {"type": kind, "id": f"toolu_{index}", "name": "weather", "input": {}}
    if kind == "server_tool_use":
        started = {**started, "id": f"srvtoolu_{index}", "name": "web_search"}
    deltas = ({"type": "input_json_delta", "partial_json": p} for p in pieces)
    return block(index, started, *deltas)


def end(stop_reason: str = "end_turn", **usage: Any) -> list[JSON]:
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": 12, **usage},
        },
        {"type": "message_stop"},
    ]


def decoded(events: list[JSON]) -> list[RawMessageStreamEvent]:
    """The events as the SDK's stream decodes them."""
    return [construct_event(e) for e in events]


def accumulated(events: list[JSON]) -> StreamAccumulator:
    accumulator = StreamAccumulator(region="us-east5", request_id="req_1")
    for event in decoded(events):
        accumulator.feed(event)
    return accumulator


def sdk_message(events: list[JSON]) -> Message:
    """What the SDK's own accumulation makes of the events."""
    sdk = SdkAccumulation()
    for event in decoded(events):
        sdk.feed(event)
    assert sdk.snapshot is not None
    return sdk.snapshot


def dumped(message: Message) -> JSON:
    """The message as the API would write it (unset fields, such as ``parsed_output``, out)."""
    with warnings.catch_warnings():  # unknown block types do not match the SDK's union
        warnings.simplefilter("ignore")
        return message.to_dict()


CITATION = {
    "type": "char_location",
    "cited_text": "Grass is green.",
    "document_index": 0,
    "document_title": "Facts",
    "start_char_index": 0,
    "end_char_index": 15,
}
WEB_CITATION = {
    "type": "web_search_result_location",
    "cited_text": "Paris is sunny.",
    "url": "https://example.com/paris",
    "title": "Weather",
    "encrypted_index": "abc",
}
SEARCH_RESULT = {
    "type": "web_search_tool_result",
    "tool_use_id": "srvtoolu_0",
    "content": [
        {
            "type": "web_search_result",
            "url": "https://example.com/paris",
            "title": "Weather",
            "encrypted_content": "xyz",
            "page_age": None,
        }
    ],
}
THINKING = {"type": "thinking", "thinking": "", "signature": ""}

STREAMS: dict[str, list[JSON]] = {
    "plain text": [start(), *text(0, "Hello", ", world", "!"), *end()],
    "citations": [
        start(),
        *text(0, "Look: "),
        *block(
            1,
            {"type": "text", "text": "", "citations": []},
            {"type": "citations_delta", "citation": CITATION},
            {"type": "text_delta", "text": "grass is green"},
            {"type": "citations_delta", "citation": {**CITATION, "cited_text": "Green."}},
        ),
        *text(2, "."),
        *end(),
    ],
    "thinking with a signature": [
        start(),
        *block(
            0,
            THINKING,
            {"type": "thinking_delta", "thinking": "Let me "},
            {"type": "thinking_delta", "thinking": "think."},
            {"type": "signature_delta", "signature": "sig=="},
        ),
        *block(1, {"type": "redacted_thinking", "data": "c2VjcmV0"}),
        *text(2, "Done."),
        *end(),
    ],
    "tool JSON split across deltas": [
        start(),
        *text(0, "Let me look. "),
        *tool(1, "tool_use", '{"ci', 'ty": "Pa', 'ris", "da', 'ys": 3, "units": ["c"', "]}"),
        *tool(2, "tool_use"),
        *end("tool_use"),
    ],
    "server tools": [
        start(),
        *tool(0, "server_tool_use", '{"query": ', '"paris weather"}'),
        *block(1, SEARCH_RESULT),
        *block(
            2,
            {"type": "text", "text": "", "citations": None},
            {"type": "citations_delta", "citation": WEB_CITATION},
            {"type": "text_delta", "text": "Sunny."},
        ),
        *end(server_tool_use={"web_search_requests": 1}),
    ],
    "an unknown block and delta type": [
        start(),
        *block(0, {"type": "hologram", "frames": [1, 2]}, {"type": "frame_delta", "frame": 3}),
        *block(1, {"type": "text", "text": ""}, {"type": "sparkle_delta", "sparkle": True}),
        *text(2, "Still here."),
        *end(),
    ],
    "usage with cache lifetimes and reasoning": [
        start(
            cache_read_input_tokens=5,
            cache_creation_input_tokens=30,
            cache_creation={"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 20},
        ),
        *text(0, "Hi."),
        *end(
            input_tokens=11,
            cache_read_input_tokens=None,
            output_tokens_details={"thinking_tokens": 4},
        ),
    ],
}


@pytest.mark.parametrize("events", STREAMS.values(), ids=STREAMS.keys())
def test_the_final_message_equals_the_sdks_accumulation(events: list[JSON]) -> None:
    accumulator = accumulated(events)
    assert accumulator.finished
    assert dumped(accumulator.message()) == dumped(sdk_message(events))


def test_citations_attach_to_their_text_block() -> None:
    content = accumulated(STREAMS["citations"]).message().content
    cited = content[1]
    assert cited.type == "text"
    assert cited.text == "grass is green"
    assert [c.cited_text for c in cited.citations or []] == ["Grass is green.", "Green."]
    assert content[0].type == "text"
    assert content[0].citations is None
    assert content[2].type == "text"
    assert content[2].citations is None


def test_thinking_keeps_its_signature_and_redacted_thinking_its_data() -> None:
    thinking, redacted, answer = accumulated(STREAMS["thinking with a signature"]).content
    assert thinking.type == "thinking"
    assert (thinking.thinking, thinking.signature) == ("Let me think.", "sig==")
    assert redacted.type == "redacted_thinking"
    assert redacted.data == "c2VjcmV0"
    assert answer.type == "text"
    assert answer.text == "Done."


def test_tool_arguments_are_parsed_from_each_piece_received() -> None:
    events = decoded(STREAMS["tool JSON split across deltas"])
    accumulator = StreamAccumulator()
    seen = []
    for event in events:
        accumulator.feed(event)
        if event.type == "content_block_delta" and event.index == 1:
            block = accumulator.content[1]
            assert block.type == "tool_use"
            seen.append(block.input)
    assert seen == [
        {},
        {"city": "Pa"},
        {"city": "Paris"},
        {"city": "Paris", "days": 3, "units": ["c"]},
        {"city": "Paris", "days": 3, "units": ["c"]},
    ]
    assert accumulator.stop_reason == "tool_use"
    without_arguments = accumulator.content[2]
    assert without_arguments.type == "tool_use"
    assert without_arguments.input == {}


def test_text_read_between_deltas_is_the_text_so_far() -> None:
    events = decoded(STREAMS["plain text"])
    accumulator = StreamAccumulator()
    texts = []
    for event in events:
        accumulator.feed(event)
        if event.type == "content_block_delta":
            block = accumulator.content[0]
            assert block.type == "text"
            texts.append(block.text)
    assert texts == ["Hello", "Hello, world", "Hello, world!"]


def test_pieces_reach_their_own_block_when_deltas_alternate() -> None:
    def delta(index: int, kind: str, piece: str) -> JSON:
        field = "text" if kind == "text_delta" else "thinking"
        return {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": kind, field: piece},
        }

    events = [
        start(),
        {"type": "content_block_start", "index": 0, "content_block": THINKING},
        delta(0, "thinking_delta", "a"),
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        delta(1, "text_delta", "x"),
        delta(0, "thinking_delta", "b"),
        delta(1, "text_delta", "y"),
        delta(1, "text_delta", "z"),
        delta(0, "thinking_delta", "c"),
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_stop", "index": 1},
        *end(),
    ]
    thinking, answer = accumulated(events).message().content
    assert thinking.type == "thinking"
    assert thinking.thinking == "abc"
    assert answer.type == "text"
    assert answer.text == "xyz"
    assert dumped(accumulated(events).message()) == dumped(sdk_message(events))


def test_server_tool_use_and_its_result_are_kept() -> None:
    use, result, answer = accumulated(STREAMS["server tools"]).content
    assert use.type == "server_tool_use"
    assert use.input == {"query": "paris weather"}
    assert result.type == "web_search_tool_result"
    assert result.tool_use_id == "srvtoolu_0"
    assert answer.type == "text"
    assert answer.text == "Sunny."
    assert [c.url for c in answer.citations or []] == ["https://example.com/paris"]  # type: ignore[union-attr]


def test_unknown_block_and_delta_types_pass_through_untouched() -> None:
    accumulator = accumulated(STREAMS["an unknown block and delta type"])
    future, empty, answer = dumped(accumulator.message())["content"]
    assert future == {"type": "hologram", "frames": [1, 2]}
    assert empty == {"type": "text", "text": ""}
    assert answer == {"type": "text", "text": "Still here."}


def test_usage_keeps_start_counts_the_last_delta_leaves_out() -> None:
    accumulator = accumulated(STREAMS["usage with cache lifetimes and reasoning"])
    assert accumulator.usage == UsageCounts(
        input_tokens=11,
        output_tokens=12,
        cache_read_input_tokens=5,
        cache_creation_input_tokens=30,
        ephemeral_5m_input_tokens=10,
        ephemeral_1h_input_tokens=20,
        thinking_tokens=4,
    )
    assert accumulator.usage == usage_counts(accumulator.message().usage)


def test_usage_so_far_is_message_starts_until_the_delta() -> None:
    events = decoded(STREAMS["plain text"])
    accumulator = StreamAccumulator()
    accumulator.feed(events[0])
    assert accumulator.usage == UsageCounts(input_tokens=9, output_tokens=1)
    assert (accumulator.message_id, accumulator.model) == ("msg_1", "claude-sonnet-4-5")
    for event in events[1:]:
        accumulator.feed(event)
    assert accumulator.usage == UsageCounts(input_tokens=9, output_tokens=12)
    assert (accumulator.stop_reason, accumulator.stop_sequence) == ("end_turn", None)


def test_the_message_says_where_it_was_answered_and_serialises_as_sent() -> None:
    message = accumulated(STREAMS["plain text"]).message()
    assert message.vertex_region == "us-east5"
    assert message._request_id == "req_1"
    assert message.to_dict() == {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hello, world!"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "stop_details": None,
        "usage": {"input_tokens": 9, "output_tokens": 12},
    }


def test_the_message_before_the_end_is_a_copy_the_stream_leaves_alone() -> None:
    events = decoded(STREAMS["plain text"])
    accumulator = StreamAccumulator()
    for event in events[:3]:
        accumulator.feed(event)
    so_far = accumulator.message()
    for event in events[3:]:
        accumulator.feed(event)
    assert so_far.content[0].type == "text"
    assert so_far.content[0].text == "Hello"
    assert so_far.stop_reason is None
    assert accumulator.message().content[0].text == "Hello, world!"  # type: ignore[union-attr]


def test_the_events_are_not_changed() -> None:
    events = decoded(STREAMS["citations"])
    before = [dumped(e) for e in events]  # type: ignore[arg-type]
    accumulator = StreamAccumulator()
    for event in events:
        accumulator.feed(event)
    assert [dumped(e) for e in events] == before  # type: ignore[arg-type]


def test_tool_arguments_that_are_not_json_are_tolerated() -> None:
    events = [start(), *tool(0, "tool_use", '{"city": "Paris", ', "not json}"), *end("tool_use")]
    with pytest.raises(ValueError, match="Unable to parse"):  # the SDK gives up
        sdk_message(events)
    used = accumulated(events).content[0]
    assert used.type == "tool_use"
    assert used.input == {"city": "Paris"}
    garbage = [start(), *tool(0, "tool_use", "{not json"), *end("tool_use")]
    assert accumulated(garbage).content[0].input == {}  # type: ignore[union-attr]


OUT_OF_ORDER = {
    "a delta before its block": [start(), {"type": "content_block_delta", "index": 0, "delta": {}}],
    "a block out of turn": [start(), *text(1, "x")],
    "a stop of no block": [start(), {"type": "content_block_stop", "index": 0}],
    "a block before message_start": text(0, "x"),
    "a message_delta before message_start": end(),
}


@pytest.mark.parametrize("events", OUT_OF_ORDER.values(), ids=OUT_OF_ORDER.keys())
def test_events_out_of_order_are_a_stream_order_error(events: list[JSON]) -> None:
    with pytest.raises(StreamOrderError):
        accumulated(events)


def test_the_message_before_message_start_is_a_stream_order_error() -> None:
    with pytest.raises(StreamOrderError):
        StreamAccumulator().message()


def test_a_stream_from_vertex_accumulates_as_the_sdk_does(make_settings: MakeSettings) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    with (
        VertexClient(make_settings(), max_retries=0) as client,
        client.stream(hello(max_tokens=2048, thinking=thinking)) as stream,
    ):
        accumulator = StreamAccumulator(region=stream.region, request_id=stream.request_id)
        sdk = SdkAccumulation()
        for event in stream:
            accumulator.feed(event)
            sdk.feed(event)
    snapshot = sdk.snapshot
    assert snapshot is not None
    message = accumulator.message()
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.to_dict() == snapshot.to_dict()
    assert message.vertex_region == stream.region
    assert message._request_id == stream.request_id


# --------------------------------------------------------------------------- the pure helpers

ARGUMENTS = {
    "": {},
    "   ": {},
    '{"city": "Paris"}': {"city": "Paris"},
    '{"city": "Pa': {"city": "Pa"},
    '{"ci': {},
    '{"days": 3, "ok": tr': {"days": 3},
    '{"nested": {"a": [1, 2': {"nested": {"a": [1, 2]}},
    "{not json": None,
    "[1, 2]": None,
    '"a string"': None,
}


@pytest.mark.parametrize(("text", "expected"), ARGUMENTS.items(), ids=ARGUMENTS.keys())
def test_tool_arguments_from_partial_json(text: str, expected: JSON | None) -> None:
    assert parse_tool_arguments(text) == expected


def test_usage_counts_of_json_and_of_malformed_usage() -> None:
    assert usage_counts(
        {
            "input_tokens": 3,
            "output_tokens": 4,
            "cache_creation": {"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 2},
        }
    ) == UsageCounts(3, 4, 0, 0, 1, 2, None)
    assert usage_counts({"input_tokens": "few", "output_tokens": True}) == UsageCounts()
    assert usage_counts(None) == UsageCounts()
