"""The fast path parses exactly as the anthropic SDK does, so an SDK upgrade that parses
differently fails here.

Recorded answers and streams (text, tool use, thinking with redacted thinking, citations of
every location type, server tools with web search results and errors, an error event mid
stream, block, delta and event types no SDK knows yet, pings and Vertex's ``vertex_event``) are
served over loopback by a scripted server to two clients: one on the fast path, and one whose
gate refused it (``CLAUDE_VERTEX_FAST_PATH=0``), which sends and parses through the SDK's
``post``. Answers, events, errors and accumulated messages must be equal, under ``==``, in
``model_dump()`` and in the fields each object says were set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.types import RawMessageStreamEvent
from anthropic.types.beta import BetaRawMessageStreamEvent

import claude_vertex
import claude_vertex.testing
from claude_vertex import StreamAccumulator, VertexClient
from claude_vertex._sdk import SDK_TELEMETRY_HEADERS, SdkAccumulation
from claude_vertex.client import VertexMessage
from claude_vertex.message_parsing import (
    FAST_PATH_ENV,
    SseDecoder,
    fast_path_enabled,
    parse_answer,
    sdk_release_known,
)
from tests.helpers import MakeSettings, hello
from tests.hostile import HostileServer, Scripted

JSON = dict[str, Any]

pytestmark = pytest.mark.filterwarnings(
    # model_dump() of the objects both paths build for types the SDK does not know
    "ignore:Pydantic serializer warnings:UserWarning"
)

#: Whether the installed SDK is one the gate knows (else both clients take the SDK's path).
KNOWN_SDK = sdk_release_known(anthropic.__version__)

# --------------------------------------------------------------------------- recorded answers


def _answer(content: list[JSON], stop_reason: str = "end_turn", **usage: Any) -> JSON:
    return {
        "id": "msg_vrtx_01A2b3C4d5E6f7G8h9",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": 412,
            "output_tokens": 96,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            **usage,
        },
    }


TOOL_USE = {
    "type": "tool_use",
    "id": "toolu_vrtx_01Xy",
    "name": "get_weather",
    "input": {"location": "Paris", "units": ["c", "f"], "days": 3, "detail": {"hourly": True}},
}
THINKING = {"type": "thinking", "thinking": "Let me add these up.", "signature": "EqQBCgIYAhIM"}
REDACTED = {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT"}
CITATIONS = [
    {
        "type": "char_location",
        "cited_text": "The grass is green.",
        "document_index": 0,
        "document_title": "Facts",
        "start_char_index": 0,
        "end_char_index": 20,
    },
    {
        "type": "page_location",
        "cited_text": "Water is wet.",
        "document_index": 1,
        "document_title": None,
        "start_page_number": 2,
        "end_page_number": 3,
    },
    {
        "type": "content_block_location",
        "cited_text": "Fire is hot.",
        "document_index": 2,
        "document_title": "Blocks",
        "start_block_index": 0,
        "end_block_index": 1,
    },
    {
        "type": "search_result_location",
        "cited_text": "Snow is cold.",
        "search_result_index": 0,
        "source": "https://example.com/snow",
        "title": "Snow",
        "start_block_index": 0,
        "end_block_index": 0,
    },
]
WEB_CITATION = {
    "type": "web_search_result_location",
    "cited_text": "Claude is a family of models.",
    "url": "https://www.anthropic.com/claude",
    "title": "Claude",
    "encrypted_index": "Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNm",
}
SEARCH = {
    "type": "server_tool_use",
    "id": "srvtoolu_vrtx_01WY",
    "name": "web_search",
    "input": {"query": "what is claude"},
}
RESULTS = {
    "type": "web_search_tool_result",
    "tool_use_id": "srvtoolu_vrtx_01WY",
    "content": [
        {
            "type": "web_search_result",
            "url": "https://www.anthropic.com/claude",
            "title": "Claude",
            "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1NGUtODgxNC1kNjNjNTk1ZWI3Y2M",
            "page_age": "April 30, 2025",
        },
        {
            "type": "web_search_result",
            "url": "https://docs.anthropic.com",
            "title": "Docs",
            "encrypted_content": "EqQBCioIARgBIiQ",
            "page_age": None,
        },
    ],
}
SEARCH_ERROR = {
    "type": "web_search_tool_result",
    "tool_use_id": "srvtoolu_vrtx_02",
    "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"},
}

#: Answers the fast path validates itself (each value has its field's type).
VALIDATED_ANSWERS: dict[str, JSON] = {
    "text": _answer(
        [{"type": "text", "text": "Hello! How can I help?"}],
        cache_creation={"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        service_tier="standard",
    ),
    "tool use": _answer(
        [{"type": "text", "text": "Checking the weather."}, TOOL_USE], stop_reason="tool_use"
    ),
    "thinking, redacted thinking": _answer(
        [THINKING, REDACTED, {"type": "text", "text": "4"}], stop_reason="max_tokens"
    ),
    "citations": _answer(
        [
            {"type": "text", "text": "According to the documents, "},
            {"type": "text", "text": "grass is green", "citations": CITATIONS},
        ]
    ),
    "web search": _answer(
        [
            SEARCH,
            RESULTS,
            {"type": "text", "text": "Claude is a family of models.", "citations": [WEB_CITATION]},
            {"type": "server_tool_use", **{k: v for k, v in SEARCH.items() if k != "type"}},
            SEARCH_ERROR,
        ],
        server_tool_use={"web_search_requests": 1, "web_fetch_requests": 0},
    ),
    "an empty answer": _answer([], stop_reason="refusal"),
}

#: Answers the fast path leaves to the SDK (validation refuses them), equal all the same.
SDK_ANSWERS: dict[str, JSON] = {
    "a block type from the future": _answer(
        [{"type": "text", "text": "Look:"}, {"type": "hologram", "frames": [1, 2], "fps": 24}]
    ),
    "server tool usage without web_fetch_requests": _answer(
        [SEARCH, RESULTS], server_tool_use={"web_search_requests": 1}
    ),
    "a stop reason from the future": _answer([{"type": "text", "text": "Hi"}], "out_of_ideas"),
    "a count sent as a string": _answer([{"type": "text", "text": "Hi"}], input_tokens="412"),
    "a field Vertex added": {**_answer([{"type": "text", "text": "Hi"}]), "vertex_trace": [1, 2]},
    "a block field Vertex added": _answer([{"type": "text", "text": "Hi", "lang": "en"}]),
}


# --------------------------------------------------------------------------- recorded streams


def _sse(event: JSON | bytes, name: str | None = None) -> bytes:
    if isinstance(event, bytes):
        return event
    return f"event: {name or event['type']}\ndata: {json.dumps(event)}\n\n".encode()


def _start() -> JSON:
    message = _answer([], stop_reason="end_turn")
    message.update(stop_reason=None, usage={"input_tokens": 412, "output_tokens": 1})
    return {"type": "message_start", "message": message}


PING = b'event: ping\ndata: {"type": "ping"}\n\n'
VERTEX_EVENT = _sse(
    {
        "type": "vertex_event",
        "usage": {"input_tokens": 412, "tiers": {"0-to-200000": {"input_tokens": 412}}},
    }
)


def _block(index: int, start: JSON, *deltas: JSON) -> list[bytes]:
    return [
        _sse({"type": "content_block_start", "index": index, "content_block": start}),
        *(_sse({"type": "content_block_delta", "index": index, "delta": d}) for d in deltas),
        _sse({"type": "content_block_stop", "index": index}),
    ]


def _stream(*blocks: list[bytes], stop_reason: str = "end_turn") -> list[bytes]:
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": 96, "server_tool_use": {"web_search_requests": 1}},
    }
    return [
        _sse(_start()),
        VERTEX_EVENT,
        PING,
        *(chunk for block in blocks for chunk in block),
        PING,
        _sse(end),
        _sse({"type": "message_stop"}),
    ]


def _text(index: int, *pieces: str) -> list[bytes]:
    return _block(
        index, {"type": "text", "text": ""}, *({"type": "text_delta", "text": p} for p in pieces)
    )


STREAMS: dict[str, list[bytes]] = {
    "text": _stream(_text(0, "Hello", "! How ", "can I help?")),
    "tool use": _stream(
        _text(0, "Checking."),
        _block(
            1,
            {**TOOL_USE, "input": {}},
            {"type": "input_json_delta", "partial_json": ""},
            {"type": "input_json_delta", "partial_json": '{"location": "Pa'},
            {"type": "input_json_delta", "partial_json": 'ris", "days": 3}'},
        ),
        stop_reason="tool_use",
    ),
    "thinking, redacted thinking": _stream(
        _block(
            0,
            {"type": "thinking", "thinking": "", "signature": ""},
            {"type": "thinking_delta", "thinking": "Let me add "},
            {"type": "thinking_delta", "thinking": "these up."},
            {"type": "signature_delta", "signature": "EqQBCgIYAhIM"},
        ),
        _block(1, REDACTED),
        _text(2, "4"),
    ),
    "citations": _stream(
        _block(
            0,
            {"type": "text", "text": "", "citations": []},
            *({"type": "citations_delta", "citation": c} for c in CITATIONS),
            {"type": "text_delta", "text": "grass is green"},
        )
    ),
    "web search": _stream(
        _block(
            0,
            {**SEARCH, "input": {}},
            {"type": "input_json_delta", "partial_json": '{"query": "what is claude"}'},
        ),
        _block(1, RESULTS),
        _block(
            2,
            {"type": "text", "text": "", "citations": []},
            {"type": "citations_delta", "citation": WEB_CITATION},
            {"type": "text_delta", "text": "Claude is a family of models."},
        ),
        _block(3, SEARCH_ERROR),
    ),
    "types from the future": _stream(
        _block(0, {"type": "hologram", "frames": []}, {"type": "sparkle_delta", "sparkle": "*"}),
        [_sse({"type": "content_block_glow", "index": 0, "lumens": 3})],
        _text(1, "Hi", "!"),
    ),
    "a delta of an odd shape": _stream(
        _block(
            0,
            {"type": "text", "text": ""},
            {"type": "text_delta", "text": "Hi", "lang": "en"},
            {"type": "text_delta", "text": "!"},
        )
    ),
    "comments, ids and events without a name": _stream(
        [
            b": a comment\nid: 7\nretry: 1000\n\n",
            b'data: {"type": "content_block_stop", "index": 9}\n\n',
        ],
        _text(0, "Hi"),
    ),
}

ERROR_EVENT = {
    "type": "error",
    "error": {"type": "overloaded_error", "message": "Overloaded"},
    "request_id": "req_vrtx_011CXYZ",
}
#: Streams that end in an error the caller must see.
FAILING_STREAMS: dict[str, list[bytes]] = {
    "an error event mid-stream": [
        _sse(_start()),
        *_text(0, "Hel", "lo")[:2],
        _sse(ERROR_EVENT),
        _sse({"type": "message_stop"}),
    ],
    "an error event that is not JSON": [
        _sse(_start()),
        b"event: error\ndata: upstream connect error\n\n",
    ],
    "an error event without data": [_sse(_start()), *_text(0, "Hi")[:2], b"event: error\n\n"],
    "a text delta that is a number": _stream(
        _block(0, {"type": "text", "text": ""}, {"type": "text_delta", "text": 42})
    ),
    "a stream cut short": _stream(_text(0, "Hello", "there"))[:-2],
}


def _one_chunk(chunks: list[bytes]) -> list[bytes]:
    return [b"".join(chunks)]


def _odd_chunks(chunks: list[bytes]) -> list[bytes]:
    whole = b"".join(chunks)
    return [whole[i : i + 7] for i in range(0, len(whole), 7)]


def _crlf(chunks: list[bytes]) -> list[bytes]:
    return [chunk.replace(b"\n", b"\r\n") for chunk in _odd_chunks(chunks)]


def _cr(chunks: list[bytes]) -> list[bytes]:
    return [chunk.replace(b"\n", b"\r") for chunk in _odd_chunks(chunks)]


#: How the bytes of a stream may be cut into reads, and the line breaks they may use.
FRAMINGS = {
    "per event": list,
    "one read": _one_chunk,
    "reads of 7 bytes": _odd_chunks,
    "crlf": _crlf,
    "cr": _cr,
}


# --------------------------------------------------------------------------- comparison


def _same_model(fast: Any, sdk: Any, where: str = "") -> None:
    """``fast`` and ``sdk`` equal as the SDK's objects are compared, recursively."""
    assert type(fast) is type(sdk), where
    if isinstance(sdk, pydantic.BaseModel):
        assert fast == sdk, where
        assert fast.model_dump() == sdk.model_dump(), where
        assert fast.model_fields_set == sdk.model_fields_set, where
        assert fast.model_extra == sdk.model_extra, where
        assert repr(fast) == repr(sdk), where
        for name in type(sdk).model_fields:
            _same_model(getattr(fast, name), getattr(sdk, name), f"{where}.{name}")
    elif isinstance(sdk, list):
        assert len(fast) == len(sdk), where
        for i, (a, b) in enumerate(zip(fast, sdk, strict=True)):
            _same_model(a, b, f"{where}[{i}]")
    else:
        assert fast == sdk, where


def _same_error(fast: BaseException, sdk: BaseException) -> None:
    assert type(fast) is type(sdk)
    assert str(fast) == str(sdk)
    assert type(fast.__cause__) is type(sdk.__cause__)
    assert str(fast.__cause__) == str(sdk.__cause__)
    assert getattr(fast.__cause__, "body", None) == getattr(sdk.__cause__, "body", None)


@pytest.fixture
def sdk_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clients made in the block refuse the fast path (its gate is told to)."""
    with monkeypatch.context() as patch:
        patch.setenv(FAST_PATH_ENV, "0")
        yield


def _clients(
    make_settings: MakeSettings, server: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[VertexClient, VertexClient]:
    """A client on the fast path and one whose gate refused it, both aimed at ``server``."""
    settings = make_settings(base_url=server.base_url)
    fast = VertexClient(settings, max_retries=0)
    with monkeypatch.context() as patch:
        patch.setenv(FAST_PATH_ENV, "0")
        sdk = VertexClient(settings, max_retries=0)
    assert fast.fast_path is KNOWN_SDK
    assert sdk.fast_path is False
    return fast, sdk


def _served(reply: Scripted) -> HostileServer:
    return HostileServer(lambda path: reply, max_requests=1000)


# --------------------------------------------------------------------------- answers


@pytest.mark.parametrize(
    "answer",
    [*VALIDATED_ANSWERS.values(), *SDK_ANSWERS.values()],
    ids=[*VALIDATED_ANSWERS, *SDK_ANSWERS],
)
def test_answers_equal_the_sdks_parse(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch, answer: JSON
) -> None:
    headers = {"content-type": "application/json", "request-id": "req_vrtx_0123"}
    reply = Scripted(200, headers, [json.dumps(answer).encode()])
    with _served(reply) as server:
        fast, sdk = _clients(make_settings, server, monkeypatch)
        with fast, sdk:
            ours, theirs = fast.create(hello()), sdk.create(hello())
    _same_model(ours, theirs)
    assert ours.to_json() == theirs.to_json()
    assert ours.request_id == theirs.request_id == "req_vrtx_0123"
    assert ours.vertex_region == theirs.vertex_region


@pytest.mark.parametrize("answer", VALIDATED_ANSWERS.values(), ids=VALIDATED_ANSWERS.keys())
def test_the_fast_path_validates_answers_of_known_shapes(answer: JSON) -> None:
    """Not a fallback in disguise: these answers never reach the SDK's parsing."""
    parsed = parse_answer(json.dumps(answer).encode(), VertexMessage)
    assert parsed is not None
    assert parsed.model_dump(exclude_unset=True, exclude={"vertex_region"}) == answer


@pytest.mark.parametrize("answer", SDK_ANSWERS.values(), ids=SDK_ANSWERS.keys())
def test_answers_validation_refuses_are_left_to_the_sdk(answer: JSON) -> None:
    assert parse_answer(json.dumps(answer).encode(), VertexMessage) is None


async def test_async_answers_equal_the_sdks_parse(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for answer in (VALIDATED_ANSWERS["web search"], SDK_ANSWERS["a block type from the future"]):
        with _served(Scripted.json(answer)) as server:
            fast, sdk = _clients(make_settings, server, monkeypatch)
            _same_model(await fast.acreate(hello()), await sdk.acreate(hello()))


#: Answers neither path can read: the same typed error from both.
UNREADABLE_ANSWERS = {
    "a missing field": Scripted.json({k: v for k, v in _answer([]).items() if k != "usage"}),
    "a list": Scripted.json([_answer([])]),
    "not json": Scripted.body(b"<html>Sign in</html>", "text/html"),
    "cut short": Scripted.body(json.dumps(_answer([])).encode()[:-9]),
}


@pytest.mark.parametrize("reply", UNREADABLE_ANSWERS.values(), ids=UNREADABLE_ANSWERS.keys())
def test_unreadable_answers_fail_the_same_way(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch, reply: Scripted
) -> None:
    with _served(reply) as server:
        fast, sdk = _clients(make_settings, server, monkeypatch)
        caught = []
        for client in (fast, sdk):
            with pytest.raises(claude_vertex.MalformedResponseError) as error:
                client.create(hello())
            caught.append(error.value)
    assert str(caught[0]) == str(caught[1])


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            429,
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
        ),
        (400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}),
        (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ],
)
def test_error_answers_raise_the_same_typed_errors(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch, status: int, body: JSON
) -> None:
    with _served(Scripted.json(body, status=status)) as server:
        fast, sdk = _clients(make_settings, server, monkeypatch)
        caught = []
        for client in (fast, sdk):
            with pytest.raises(claude_vertex.VertexAPIError) as error:
                client.create(hello())
            caught.append(error.value)
    assert type(caught[0]) is type(caught[1])
    assert str(caught[0]) == str(caught[1])
    assert caught[0].body == caught[1].body


# --------------------------------------------------------------------------- streams


def _events(client: VertexClient) -> list[Any]:
    with client.stream(hello()) as stream:
        return list(stream)


def _accumulated(events: list[Any]) -> tuple[Any, Any]:
    """The message the core's accumulator and the SDK's make of ``events``."""
    ours, theirs = StreamAccumulator(), SdkAccumulation()
    for event in events:
        ours.feed(event)
        theirs.feed(event)
    return ours.message(), theirs.snapshot


@pytest.mark.parametrize("framing", FRAMINGS.values(), ids=FRAMINGS.keys())
@pytest.mark.parametrize("chunks", STREAMS.values(), ids=STREAMS.keys())
def test_stream_events_equal_the_sdks_parse(
    make_settings: MakeSettings,
    monkeypatch: pytest.MonkeyPatch,
    chunks: list[bytes],
    framing: Any,
) -> None:
    reply = Scripted(200, {"content-type": "text/event-stream"}, framing(chunks))
    with _served(reply) as server:
        fast, sdk = _clients(make_settings, server, monkeypatch)
        with fast, sdk:
            ours, theirs = _events(fast), _events(sdk)
    assert ours  # the recordings have events
    _same_model(ours, theirs)
    _same_model(_accumulated(ours), _accumulated(theirs))


@pytest.mark.parametrize("chunks", FAILING_STREAMS.values(), ids=FAILING_STREAMS.keys())
def test_broken_streams_fail_the_same_way(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch, chunks: list[bytes]
) -> None:
    reply = Scripted(200, {"content-type": "text/event-stream"}, chunks)
    with _served(reply) as server:
        fast, sdk = _clients(make_settings, server, monkeypatch)
        caught, seen = [], []
        for client in (fast, sdk):
            events: list[Any] = []
            with (
                pytest.raises(claude_vertex.StreamInterruptedError) as error,
                client.stream(hello()) as stream,
            ):
                events.extend(stream)
            caught.append(error.value)
            seen.append(events)
    _same_model(seen[0], seen[1])
    _same_error(caught[0], caught[1])


async def test_async_streams_equal_the_sdks_parse(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("thinking, redacted thinking", "types from the future"):
        reply = Scripted(200, {"content-type": "text/event-stream"}, _odd_chunks(STREAMS[name]))
        with _served(reply) as server:
            fast, sdk = _clients(make_settings, server, monkeypatch)
            results = []
            for client in (fast, sdk):
                async with await client.astream(hello()) as stream:
                    results.append([event async for event in stream])
        _same_model(results[0], results[1], name)


async def _drained(client: VertexClient) -> None:
    async with await client.astream(hello()) as stream:
        async for _ in stream:
            pass


async def test_an_async_error_event_fails_the_same_way(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = Scripted(
        200, {"content-type": "text/event-stream"}, FAILING_STREAMS["an error event mid-stream"]
    )
    with _served(reply) as server:
        fast, sdk = _clients(make_settings, server, monkeypatch)
        caught = []
        for client in (fast, sdk):
            with pytest.raises(claude_vertex.StreamInterruptedError) as error:
                await _drained(client)
            caught.append(error.value)
    _same_error(caught[0], caught[1])


def test_the_drop_in_clients_beta_streams_equal_the_sdks_parse(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch, vertex_key_file: Any
) -> None:
    """Beta events (``BetaRawMessageStreamEvent``) through the drop-in client, both paths."""
    reply = Scripted(200, {"content-type": "text/event-stream"}, STREAMS["web search"])
    results = []
    with _served(reply) as server:
        for refuse in (False, True):
            with monkeypatch.context() as patch:
                if refuse:
                    patch.setenv(FAST_PATH_ENV, "0")
                client = claude_vertex.AnthropicVertex(
                    project_id="test-project",
                    region="us-east5",
                    base_url=server.base_url,
                    credentials=str(vertex_key_file),
                    max_retries=0,
                    deadline=30.0 + refuse,  # not the same shared core client
                )
            assert client.vertex.fast_path is (KNOWN_SDK and not refuse)
            beta: Any = client.beta.messages  # the SDK types it for another class
            stream = beta.create(
                model="claude-sonnet-4-5",
                max_tokens=64,
                messages=[{"role": "user", "content": "Hi"}],
                stream=True,
            )
            results.append(list(stream))
    assert all(type(e).__name__.startswith("Beta") for e in results[0])
    _same_model(results[0], results[1])


# --------------------------------------------------------------------------- the decoder alone


@pytest.mark.parametrize("framing", FRAMINGS.values(), ids=FRAMINGS.keys())
def test_the_decoder_reads_every_framing_alike(framing: Any) -> None:
    chunks = STREAMS["citations"]
    decoder = SseDecoder()
    seen = [event for chunk in framing(chunks) for event in decoder.feed(chunk)]
    seen += decoder.end()
    assert [name for name, _ in seen] == [c.split(b"\n")[0][7:] for c in chunks]
    assert [json.loads(data) for _, data in seen] == [
        json.loads(c.split(b"\n")[1][6:]) for c in chunks
    ]


def test_an_unfinished_last_event_is_dropped_as_the_sdk_drops_it() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b'event: message_stop\ndata: {"type": "message_stop"}\n') == []
    assert decoder.end() == []


# --------------------------------------------------------------------------- the gate


@pytest.mark.parametrize(
    ("version", "known"),
    [("2.14.0", True), ("2.14.3", True), ("2.15.0", False), ("3.0.0", False), ("dev", False)],
)
def test_the_gate_knows_only_the_releases_it_was_held_to(version: str, known: bool) -> None:
    assert sdk_release_known(version) is known


def test_the_gate_refuses_when_told_to(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fast_path_enabled() is KNOWN_SDK
    for off in ("0", "false", "OFF", "no"):
        monkeypatch.setenv(FAST_PATH_ENV, off)
        assert fast_path_enabled() is False


def test_a_refused_gate_still_answers_and_streams_from_the_emulator(
    make_settings: MakeSettings, sdk_path: None
) -> None:
    """The SDK's path is a whole path: the emulator's answers and streams come through it."""
    with VertexClient(make_settings(), max_retries=0) as client:
        assert client.fast_path is False
        assert client.create(hello()).content
        with client.stream(hello()) as stream:
            kinds = [event.type for event in stream]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"


def test_event_types_of_another_shape_go_the_sdks_way() -> None:
    from claude_vertex.message_parsing import event_adapter

    assert event_adapter(RawMessageStreamEvent) is not None
    assert event_adapter(BetaRawMessageStreamEvent) is not None
    assert event_adapter(dict) is None
    assert event_adapter(VertexMessage) is None


# --------------------------------------------------------------------------- on the wire


@pytest.mark.parametrize("route", ["create", "stream"])
def test_both_paths_send_the_same_request(
    make_settings: MakeSettings,
    monkeypatch: pytest.MonkeyPatch,
    vertex_emulator: claude_vertex.testing.VertexEmulator,
    route: str,
) -> None:
    """The SDK's headers (and the httpx client's) are kept, in the SDK's order, byte for byte.

    Both leave out the SDK's telemetry headers (``x-stainless-*``); a caller's own are sent.
    """
    fast = VertexClient(make_settings(), max_retries=0, default_headers={"x-team": "search"})
    with monkeypatch.context() as patch:
        patch.setenv(FAST_PATH_ENV, "0")
        sdk = VertexClient(make_settings(), max_retries=0, default_headers={"x-team": "search"})
    params = hello(system="Be brief.", metadata={"user_id": "u-1"})
    for client in (fast, sdk):
        with client:
            if route == "create":
                client.create(params, betas=["context-management-2025-06-27"])
            else:
                with client.stream(params, betas=["context-management-2025-06-27"]) as stream:
                    list(stream)
    ours, theirs = vertex_emulator.requests[-2:]
    assert ours.path == theirs.path
    assert ours.raw_body == theirs.raw_body
    # The SDK's path asks its post for the unparsed response of a create with this header
    # (both paths are the SDK's where the gate does not know the installed SDK).
    for sent in (ours, theirs):
        sent.headers.pop("x-stainless-raw-response", None)
    assert list(ours.headers.items()) == list(theirs.headers.items())
    assert ours.headers["x-team"] == "search"
    assert "anthropic-python/" in ours.headers["user-agent"]  # the SDK, named once
    assert not [name for name in ours.headers if name in SDK_TELEMETRY_HEADERS]
