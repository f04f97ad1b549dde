"""The emulator's routes over real loopback HTTP: answers, availability, request log, CLI."""

from __future__ import annotations

import json
import os
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from google.oauth2 import service_account

import claude_vertex.cli
from claude_vertex.testing import Fault, RecordedRequest, VertexEmulator

SONNET = "claude-sonnet-4-5@20250929"
REGION = "us-east5"
VERSION = "vertex-2023-10-16"
Events = anthropic.Stream[anthropic.types.RawMessageStreamEvent]


def body(text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {
        "anthropic_version": VERSION,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


@pytest.fixture
def sdk(vertex_emulator: VertexEmulator) -> Iterator[anthropic.AnthropicVertex]:
    with anthropic.AnthropicVertex(
        base_url=vertex_emulator.base_url,
        region=REGION,
        project_id=vertex_emulator.project,
        access_token=vertex_emulator.issue_token(),
        max_retries=0,
    ) as client:
        yield client


@pytest.fixture
def auth(vertex_emulator: VertexEmulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {vertex_emulator.issue_token()}"}


def create(sdk: anthropic.AnthropicVertex, emu: VertexEmulator, **kwargs: Any) -> Any:
    model = kwargs.pop("model", SONNET)
    return sdk.post(
        emu.model_url(model, REGION), body=body(**kwargs), cast_to=anthropic.types.Message
    )


def stream(sdk: anthropic.AnthropicVertex, emu: VertexEmulator, **kwargs: Any) -> list[Any]:
    events = sdk.post(
        emu.model_url(SONNET, REGION, stream=True),
        body=body(stream=True, **kwargs),
        cast_to=anthropic.types.Message,
        stream=True,
        stream_cls=Events,
    )
    return list(events)


# --------------------------------------------------------------------------- answers


def test_create_answers_a_message_the_sdk_parses(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(sdk, vertex_emulator)
    assert isinstance(message, anthropic.types.Message)
    assert message.id.startswith("msg_vrtx_")
    assert len(message.id) == len("msg_vrtx_") + 24
    assert message.model == "claude-sonnet-4-5-20250929"
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hello! You said: Hello there"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens > 0
    assert message.usage.service_tier == "standard"


def test_the_same_request_gets_the_same_content(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    first = create(sdk, vertex_emulator, text="Tell me about owls")
    second = create(sdk, vertex_emulator, text="Tell me about owls")
    assert first.content == second.content
    assert first.usage == second.usage
    assert first.id != second.id


def test_sdk_messages_create_and_stream_work_with_the_vertex_version(
    sdk: anthropic.AnthropicVertex,
) -> None:
    extra = {"anthropic_version": VERSION}
    kwargs: Any = {"model": SONNET, "max_tokens": 64, "extra_body": extra}
    message = sdk.messages.create(messages=[{"role": "user", "content": "hi"}], **kwargs)
    assert message.content[0].text == "Hello! You said: hi"
    with sdk.messages.stream(messages=[{"role": "user", "content": "yo"}], **kwargs) as events:
        final: Any = events.get_final_message()
    assert final.content[0].text == "Hello! You said: yo"
    assert final.stop_reason == "end_turn"


def test_stream_sends_the_message_as_sse_events_the_sdk_parses(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    events = stream(sdk, vertex_emulator, text="stream me please")
    types = [event.type for event in events]
    assert types[0] == "message_start"
    assert types[-1] == "message_stop"
    assert "vertex_event" in types
    assert types.index("vertex_event") > 0
    assert types[-2] == "message_delta"
    start = events[0].message
    assert start.content == []
    assert start.usage.output_tokens == 1
    deltas = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert len(deltas) > 3  # word by word
    created = create(sdk, vertex_emulator, text="stream me please")
    assert "".join(deltas) == created.content[0].text
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens == created.usage.output_tokens


def test_stream_is_chunked_text_event_stream(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    url = vertex_emulator.model_url(SONNET, REGION, stream=True)
    with httpx2.stream("POST", url, json=body(stream=True), headers=auth) as response:
        raw = b"".join(response.iter_bytes())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    frames = raw.decode().strip().split("\n\n")
    assert frames[1].startswith('event: vertex_event\ndata: {"type":"vertex_event","usage":{')
    for frame in frames:
        event, data = frame.split("\n")
        assert event.startswith("event: ")
        assert json.loads(data.removeprefix("data: "))["type"] == event.removeprefix("event: ")


def test_count_tokens_equals_the_input_tokens_of_create(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    prompt = "How many tokens is this sentence, roughly?"
    tools = [{"name": "lookup", "input_schema": {"type": "object"}}]
    count = httpx2.post(
        vertex_emulator.model_url("count-tokens", REGION),
        json={"model": SONNET, "messages": [{"role": "user", "content": prompt}], "tools": tools},
        headers=auth,
    )
    assert count.status_code == 200
    assert set(count.json()) == {"input_tokens"}
    message = create(sdk, vertex_emulator, text=prompt, tools=tools, tool_choice={"type": "none"})
    assert count.json()["input_tokens"] == message.usage.input_tokens


@pytest.mark.parametrize("region", ["europe-west2", "asia-northeast1", "us-west1"])
def test_count_tokens_is_not_found_outside_its_regions(
    vertex_emulator: VertexEmulator, auth: dict[str, str], region: str
) -> None:
    response = httpx2.post(
        vertex_emulator.model_url("count-tokens", region),
        json={"model": SONNET, "messages": [{"role": "user", "content": "hi"}]},
        headers=auth,
    )
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"


def test_stop_sequence_cuts_the_answer(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(sdk, vertex_emulator, text="one two STOP three", stop_sequences=["STOP"])
    assert message.content[0].text == "Hello! You said: one two "
    assert message.stop_reason == "stop_sequence"
    assert message.stop_sequence == "STOP"


def test_max_tokens_truncates_the_answer(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(sdk, vertex_emulator, text="[[words:500]]", max_tokens=10)
    assert message.stop_reason == "max_tokens"
    assert len(message.content[0].text) <= 40
    assert message.usage.output_tokens <= 10


def test_words_marker_makes_a_long_answer(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(sdk, vertex_emulator, text="bench [[words:300]]", max_tokens=4096)
    assert len(message.content[0].text.split()) == 300
    events = stream(sdk, vertex_emulator, text="bench [[words:300]]", max_tokens=4096)
    assert sum(e.type == "content_block_delta" for e in events) == 300


WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 3},
            "detailed": {"type": "boolean"},
            "place": {"$ref": "#/$defs/place"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "when": {"anyOf": [{"type": "null"}, {"type": "string", "format": "date"}]},
        },
        "required": ["city"],
        "$defs": {"place": {"type": "object", "properties": {"lat": {"type": "number"}}}},
    },
}
CLOCK = {
    "name": "get_time",
    "description": "Current time in a timezone",
    "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}}},
}


def test_tool_use_input_is_built_from_the_schema(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(
        sdk, vertex_emulator, tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"}
    )
    assert message.stop_reason == "tool_use"
    [call] = message.content
    assert call.type == "tool_use"
    assert call.id.startswith("toolu_vrtx_")
    assert call.input == {
        "city": "example",
        "unit": "celsius",
        "days": 3,
        "detailed": True,
        "place": {"lat": 1},
        "tags": ["example"],
        "when": "2025-01-01",
    }
    again = create(
        sdk, vertex_emulator, tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"}
    )
    assert again.content[0].id == call.id


def test_auto_tool_choice_calls_the_tool_sharing_a_word(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(sdk, vertex_emulator, text="What time is it in Paris?", tools=[WEATHER, CLOCK])
    assert [block.type for block in message.content] == ["text", "tool_use"]
    assert message.content[1].name == "get_time"
    fallback = create(sdk, vertex_emulator, text="Hmm.", tools=[WEATHER, CLOCK])
    assert fallback.content[1].name == "get_weather"


def test_any_tool_choice_calls_two_tools_unless_parallel_use_is_disabled(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    both = create(sdk, vertex_emulator, tools=[WEATHER, CLOCK], tool_choice={"type": "any"})
    assert [b.name for b in both.content] == ["get_weather", "get_time"]
    assert both.content[0].id != both.content[1].id
    single = {"type": "any", "disable_parallel_tool_use": True}
    one = create(sdk, vertex_emulator, tools=[WEATHER, CLOCK], tool_choice=single)
    assert [b.type for b in one.content] == ["tool_use"]


def test_tool_choice_none_answers_text(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(sdk, vertex_emulator, tools=[WEATHER], tool_choice={"type": "none"})
    assert [b.type for b in message.content] == ["text"]
    assert message.stop_reason == "end_turn"


def test_tool_results_get_a_text_answer_quoting_them(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    first = create(sdk, vertex_emulator, text="Weather in Oslo?", tools=[WEATHER])
    call = first.content[-1]
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "Sunny, 21 C"}
    messages = [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [result]},
    ]
    answer: Any = sdk.post(
        vertex_emulator.model_url(SONNET, REGION),
        body={**body(), "messages": messages, "tools": [WEATHER]},
        cast_to=anthropic.types.Message,
    )
    assert answer.stop_reason == "end_turn"
    assert "Sunny, 21 C" in answer.content[0].text


def test_stream_splits_tool_input_json_into_chunks(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    choice = {"type": "tool", "name": "get_weather"}
    events = stream(sdk, vertex_emulator, tools=[WEATHER], tool_choice=choice)
    start = next(e for e in events if e.type == "content_block_start")
    assert start.content_block.type == "tool_use"
    assert start.content_block.input == {}
    parts = [e.delta.partial_json for e in events if e.type == "content_block_delta"]
    assert len(parts) >= 2
    created = create(sdk, vertex_emulator, tools=[WEATHER], tool_choice=choice)
    assert json.loads("".join(parts)) == created.content[0].input


def test_thinking_answer_opens_with_a_signed_thinking_block(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    thinking = {"type": "enabled", "budget_tokens": 1024}
    message = create(sdk, vertex_emulator, text="Why?", thinking=thinking, max_tokens=2048)
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "Let me think about: Why?"
    assert message.content[0].signature
    plain = create(sdk, vertex_emulator, text="Why?", max_tokens=2048)
    assert message.usage.output_tokens > plain.usage.output_tokens
    events = stream(sdk, vertex_emulator, text="Why?", thinking=thinking, max_tokens=2048)
    kinds = [e.delta.type for e in events if e.type == "content_block_delta"]
    assert kinds.index("signature_delta") > kinds.index("thinking_delta")
    assert kinds.index("text_delta") > kinds.index("signature_delta")


def test_adaptive_thinking_also_thinks(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = create(sdk, vertex_emulator, model="claude-opus-4-6", thinking={"type": "adaptive"})
    assert message.content[0].type == "thinking"
    assert message.model == "claude-opus-4-6"


def test_json_schema_output_format_answers_matching_json(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    output_config = {"format": {"type": "json_schema", "schema": schema}}
    message = create(sdk, vertex_emulator, output_config=output_config)
    assert json.loads(message.content[0].text) == {"name": "example", "age": 1}


def test_cache_control_writes_the_prefix_then_reads_it(
    sdk: anthropic.AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    rules = "Long rules. " * 400
    system = [{"type": "text", "text": rules, "cache_control": {"type": "ephemeral"}}]
    first = create(sdk, vertex_emulator, text="first question", system=system)
    second = create(sdk, vertex_emulator, text="second question", system=system)
    assert first.usage.cache_creation_input_tokens == 1200
    assert first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_creation_input_tokens == 0
    assert second.usage.cache_read_input_tokens == 1200
    assert second.usage.input_tokens == first.usage.input_tokens < 10
    other_model = create(sdk, vertex_emulator, model="claude-haiku-4-5@20251001", system=system)
    assert other_model.usage.cache_creation_input_tokens == 1200


# --------------------------------------------------------------------------- availability


def error_of(response: httpx2.Response) -> dict[str, Any]:
    payload = response.json()
    return dict(payload[0]["error"] if isinstance(payload, list) else payload["error"])


@pytest.mark.parametrize("model", ["claude-unknown-9@20990101", "claude-sonnet-4-5-20250929"])
def test_unknown_model_ids_are_not_found(
    vertex_emulator: VertexEmulator, auth: dict[str, str], model: str
) -> None:
    response = httpx2.post(vertex_emulator.model_url(model, REGION), json=body(), headers=auth)
    assert response.status_code == 404
    error = error_of(response)
    assert error["status"] == "NOT_FOUND"
    assert error["code"] == 404
    assert error["message"].startswith(
        f"Publisher Model `projects/test-project/locations/{REGION}/publishers/anthropic/"
        f"models/{model}` was not found or your project does not have access to it."
    )


@pytest.mark.parametrize("stream_route", [False, True])
def test_a_model_outside_its_regions_is_not_servable(
    vertex_emulator: VertexEmulator, auth: dict[str, str], stream_route: bool
) -> None:
    model = "claude-3-5-haiku@20241022"  # regional only: not on global
    url = vertex_emulator.model_url(model, "global", stream=stream_route)
    response = httpx2.post(url, json=body(stream=stream_route or None), headers=auth)
    assert response.status_code == 400
    assert isinstance(response.json(), list) is stream_route  # Google wraps errors on streams
    error = error_of(response)
    assert error["status"] == "FAILED_PRECONDITION"
    assert error["message"] == (
        f"Publisher Model `projects/test-project/locations/global/publishers/anthropic/models/"
        f"{model}` is not servable in region global."
    )


def test_a_retired_model_is_not_found(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    model = "claude-3-haiku@20240307"  # retired: gone from Model Garden
    response = httpx2.post(vertex_emulator.model_url(model, REGION), json=body(), headers=auth)
    assert response.status_code == 404
    assert "was not found" in error_of(response)["message"]


def test_set_available_overrides_the_model_table(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    vertex_emulator.set_available("claude-sonnet-4-5", ["europe-west1"])
    refused = httpx2.post(vertex_emulator.model_url(SONNET, REGION), json=body(), headers=auth)
    assert refused.status_code == 400
    assert error_of(refused)["status"] == "FAILED_PRECONDITION"
    vertex_emulator.set_available("claude-next@20300101", [REGION])
    new = httpx2.post(
        vertex_emulator.model_url("claude-next@20300101", REGION), json=body(), headers=auth
    )
    assert new.status_code == 200
    assert new.json()["model"] == "claude-next-20300101"
    vertex_emulator.reset()
    back = httpx2.post(vertex_emulator.model_url(SONNET, REGION), json=body(), headers=auth)
    assert back.status_code == 200


def test_another_project_is_permission_denied(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    url = vertex_emulator.model_url(SONNET, REGION, project="someone-else")
    response = httpx2.post(url, json=body(), headers=auth)
    assert response.status_code == 403
    assert error_of(response)["status"] == "PERMISSION_DENIED"
    assert "aiplatform.endpoints.predict" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("project", "region", "model"),
    [
        ("test-project", "us%20east5", SONNET),
        ("test-project", REGION, "claude%2Fx"),
        ("test%3Bproject", REGION, SONNET),
    ],
)
def test_malformed_path_segments_are_invalid_arguments(
    vertex_emulator: VertexEmulator, auth: dict[str, str], project: str, region: str, model: str
) -> None:
    url = vertex_emulator.model_url(model, region, project=project)
    response = httpx2.post(url, json=body(), headers=auth)
    assert response.status_code == 400
    assert error_of(response)["status"] == "INVALID_ARGUMENT"


def test_unknown_paths_are_google_not_found(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    for method, url in [
        ("POST", vertex_emulator.url + "/v1/models"),
        ("GET", vertex_emulator.model_url(SONNET, REGION)),
        ("POST", vertex_emulator.model_url(SONNET, REGION).replace(":rawPredict", ":predict")),
    ]:
        response = httpx2.request(method, url, headers=auth)
        assert response.status_code == 404
        assert error_of(response)["status"] == "NOT_FOUND"
    assert [r.route for r in vertex_emulator.requests] == ["other"] * 3


# --------------------------------------------------------------------------- request log


def test_requests_are_recorded_with_what_arrived(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    headers = {**auth, "X-Goog-User-Project": "billing-project", "anthropic-beta": ""}
    url = vertex_emulator.model_url(SONNET, REGION)
    httpx2.post(url, json=body("logged"), headers=headers)
    httpx2.post(
        vertex_emulator.model_url("count-tokens", REGION),
        json={"model": "claude-haiku-4-5@20251001", "messages": [{"role": "user", "content": "x"}]},
        headers=auth,
    )
    httpx2.post(url, json=body("no version", anthropic_version=None), headers=auth)
    create_entry, count_entry, rejected = vertex_emulator.requests
    assert isinstance(create_entry, RecordedRequest)
    assert create_entry.method == "POST"
    assert create_entry.path == url.removeprefix(vertex_emulator.url)
    assert create_entry.headers["x-goog-user-project"] == "billing-project"
    assert create_entry.headers["authorization"] == auth["Authorization"]
    assert create_entry.body == body("logged")
    assert json.loads(create_entry.raw_body) == body("logged")
    assert (create_entry.route, create_entry.project, create_entry.region) == (
        "create",
        "test-project",
        REGION,
    )
    assert (create_entry.model, create_entry.status) == (SONNET, 200)
    assert (count_entry.route, count_entry.model) == ("count_tokens", "claude-haiku-4-5@20251001")
    assert (rejected.route, rejected.status) == ("create", 400)
    assert vertex_emulator.token_requests == []


def test_reset_clears_logs_but_keeps_tokens(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    url = vertex_emulator.model_url(SONNET, REGION)
    httpx2.post(url, json=body(), headers=auth)
    assert len(vertex_emulator.requests) == 1
    vertex_emulator.reset()
    assert vertex_emulator.requests == []
    assert httpx2.post(url, json=body(), headers=auth).status_code == 200


def test_a_request_still_answered_at_a_reset_stays_out_of_the_new_log(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    # A test whose client gave up on a slow answer must not leave it in the next test's log.
    url = vertex_emulator.model_url(SONNET, REGION)
    vertex_emulator.inject(Fault.slow(0.5), times=1)
    statuses: list[int] = []
    slow = threading.Thread(
        target=lambda: statuses.append(httpx2.post(url, json=body(), headers=auth).status_code)
    )
    slow.start()
    assert settles(lambda: vertex_emulator.in_flight == 1)
    vertex_emulator.reset()
    slow.join(10)
    assert statuses == [200]
    assert vertex_emulator.requests == []
    # The server's thread finishes its bookkeeping just after the client has the answer.
    assert settles(lambda: vertex_emulator.in_flight == 0)


def settles(condition: Callable[[], bool], within: float = 10.0) -> bool:
    """Whether ``condition`` becomes true within ``within`` seconds."""
    give_up = time.monotonic() + within
    while not condition():
        if time.monotonic() > give_up:
            return False
        time.sleep(0.005)
    return True


# --------------------------------------------------------------------------- HTTP behaviour


def test_keep_alive_calls_do_not_stall(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    url = vertex_emulator.model_url(SONNET, REGION)
    timings = []
    with httpx2.Client(headers=auth) as http:
        for _ in range(25):
            started = time.perf_counter()
            assert http.post(url, json=body()).status_code == 200
            timings.append(time.perf_counter() - started)
    # A delayed-ACK stall costs 40 ms per call; a loopback answer takes about 1 ms.
    assert statistics.median(timings) < 0.02


def test_chunked_request_bodies_are_read(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    data = json.dumps(body("sent in chunks")).encode()
    response = httpx2.post(
        vertex_emulator.model_url(SONNET, REGION), content=iter([data[:7], data[7:]]), headers=auth
    )
    assert response.status_code == 200
    assert response.json()["content"][0]["text"] == "Hello! You said: sent in chunks"
    assert vertex_emulator.requests[0].raw_body == data


def test_oversized_bodies_are_request_too_large(
    vertex_emulator: VertexEmulator, auth: dict[str, str]
) -> None:
    oversized = b" " * (32 * 1024 * 1024 + 1)
    url = vertex_emulator.model_url(SONNET, REGION)
    response = httpx2.post(url, content=oversized, headers=auth)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "request_too_large"


def test_stop_closes_keep_alive_connections_and_the_port() -> None:
    emulator = VertexEmulator().start()
    url = emulator.model_url(SONNET, REGION)
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    with httpx2.Client(headers=headers) as http:
        assert http.post(url, json=body()).status_code == 200
        emulator.stop()
        with pytest.raises(httpx2.TransportError):
            http.post(url, json=body())
    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url


# --------------------------------------------------------------------------- fixtures and CLI

pytest_plugins = ["pytester"]

INNER_TESTS = """
import google.auth.transport.requests
import httpx2
from google.oauth2 import service_account
from claude_vertex.testing import Fault

SEEN = []

def test_first(vertex_emulator, vertex_emulator_session):
    assert vertex_emulator is vertex_emulator_session
    vertex_emulator.inject(Fault.overloaded(), times=None)
    httpx2.post(vertex_emulator.url + "/nowhere")
    assert len(vertex_emulator.requests) == 1
    SEEN.append(vertex_emulator.url)

def test_second(vertex_emulator, vertex_key_file):
    assert vertex_emulator.requests == []
    assert SEEN == [vertex_emulator.url]
    creds = service_account.Credentials.from_service_account_file(
        str(vertex_key_file), scopes=["https://www.googleapis.com/auth/cloud-platform"])
    assert creds.service_account_email == "tester@test-project.iam.gserviceaccount.com"
    creds.refresh(google.auth.transport.requests.Request())
    url = vertex_emulator.model_url("claude-sonnet-4-5@20250929", "us-east5")
    answer = httpx2.post(url, headers={"Authorization": "Bearer " + creds.token}, json={
        "anthropic_version": "vertex-2023-10-16", "max_tokens": 9,
        "messages": [{"role": "user", "content": "hi"}]})
    assert answer.status_code == 200  # the fault of test_first is gone
"""


def test_pytest_fixtures_share_one_emulator_and_reset_it_per_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_inprocess(
        "-p", "claude_vertex.testing.pytest_plugin", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)


def run_cli_until_served(
    argv: list[str], key_dir: Path, work: Callable[[Path], None]
) -> tuple[int, list[BaseException]]:
    """Run ``main(argv)`` here; once a key file appears in ``key_dir``, ``work`` it, then Ctrl-C."""
    errors: list[BaseException] = []

    def client_side() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            keys = [p for p in key_dir.glob("*.json") if p.stat().st_size]
            if keys:
                break
            time.sleep(0.01)
        else:
            errors.append(TimeoutError("the CLI wrote no key file"))
            return
        try:
            work(keys[0])
        except BaseException as problem:
            errors.append(problem)
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    # A process started in the background by a non-interactive shell ignores SIGINT; a terminal's
    # Ctrl-C is what is tested here, so Python's own handler is put in place for the run.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    helper = threading.Thread(target=client_side)
    helper.start()
    try:
        status = claude_vertex.cli.main(argv)
    finally:
        helper.join()
        signal.signal(signal.SIGINT, previous)
    return status, errors


def test_cli_emulator_serves_until_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "key.json"
    answers: list[str] = []

    def use(key: Path) -> None:
        credentials = service_account.Credentials.from_service_account_file(
            str(key), scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        info = json.loads(key.read_text())
        base_url = info["token_uri"].removesuffix("/token") + "/v1"
        with anthropic.AnthropicVertex(
            base_url=base_url,
            region="global",
            project_id=info["project_id"],
            credentials=credentials,
            max_retries=0,
        ) as client:
            message: Any = client.messages.create(
                model=SONNET,
                max_tokens=32,
                messages=[{"role": "user", "content": "cli"}],
                extra_body={"anthropic_version": VERSION},
            )
        answers.append(message.content[0].text)

    argv = ["emulator", "--port", "0", "--key-file", str(key_file), "--project", "cli-project"]
    status, errors = run_cli_until_served(argv, tmp_path, use)
    assert (status, errors, answers) == (0, [], ["Hello! You said: cli"])
    printed = capsys.readouterr().out
    exports = dict(
        line.strip().removeprefix("export ").split("=", 1)
        for line in printed.splitlines()
        if "export " in line
    )
    assert exports["GOOGLE_APPLICATION_CREDENTIALS"] == str(key_file)
    assert exports["ANTHROPIC_VERTEX_PROJECT_ID"] == "cli-project"
    assert "CLOUD_ML_REGION" not in exports  # apps keep their default endpoint plan
    base_url = exports["ANTHROPIC_VERTEX_BASE_URL"]
    assert base_url.startswith("http://127.0.0.1:")
    assert not base_url.endswith(":0/v1")
    assert f"listening on {base_url.removesuffix('/v1')}" in printed


def test_cli_exports_the_region_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["emulator", "--key-file", str(tmp_path / "key.json"), "--region", "europe-west1"]
    status, errors = run_cli_until_served(argv, tmp_path, lambda key: None)
    assert (status, errors) == (0, [])
    assert "  export CLOUD_ML_REGION=europe-west1" in capsys.readouterr().out.splitlines()


def test_cli_writes_a_temporary_key_file_and_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    projects: list[str] = []

    def read(key: Path) -> None:
        projects.append(json.loads(key.read_text())["project_id"])

    status, errors = run_cli_until_served(["emulator"], tmp_path, read)
    assert (status, errors, projects) == (0, [], ["test-project"])
    assert list(tmp_path.glob("*.json")) == []


def test_cli_requires_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        claude_vertex.cli.main([])
    assert exit_info.value.code == 2
    assert "emulator" in capsys.readouterr().err


def test_cli_key_file_is_for_its_owner_only(tmp_path: Path) -> None:
    key_file = tmp_path / "key.json"
    key_file.touch(mode=0o644)  # an existing file is narrowed too (empty: read once written)
    key_file.chmod(0o644)
    modes: list[int] = []
    argv = ["emulator", "--key-file", str(key_file)]
    status, errors = run_cli_until_served(
        argv, tmp_path, lambda key: modes.append(stat.S_IMODE(key.stat().st_mode))
    )
    assert (status, errors, modes) == (0, [], [0o600])


def test_cli_removes_its_temporary_key_file_when_killed(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with subprocess.Popen(
        [sys.executable, "-m", "claude_vertex.cli", "emulator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as command:
        assert command.stdout is not None
        printed = [next(command.stdout) for _ in range(3)]
        key_file = Path(printed[2].removeprefix("Service-account key file: ").strip())
        assert key_file.parent == tmp_path
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        command.terminate()  # SIGTERM, as `kill` sends
        out, err = command.communicate(timeout=20)
    assert (command.returncode, err) == (0, "")
    assert "Stopped." in out
    assert not key_file.exists()
