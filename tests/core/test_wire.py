"""What the core puts on the wire, checked on the emulator's request log."""

from __future__ import annotations

import asyncio

import pytest

from claude_vertex import VertexClient, VertexMessage
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello

MODEL_PATH = "/v1/projects/test-project/locations/global/publishers/anthropic/models/"


def test_create_sends_the_exact_path_and_body(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    message = client.create(hello(temperature=0.3, top_p=0.9, top_k=7))
    assert message.content[0].type == "text"
    assert message.id.startswith("msg_vrtx_")
    (sent,) = vertex_emulator.requests
    assert sent.path == MODEL_PATH + "claude-sonnet-4-5@20250929:rawPredict"
    assert sent.body == {
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hey Claude!"}],
        "temperature": 0.3,
        "top_p": 0.9,
        "top_k": 7,
        "anthropic_version": "vertex-2023-10-16",
    }
    assert "anthropic-version" not in sent.headers
    assert sent.headers["authorization"].startswith("Bearer ")
    assert sent.status == 200


def test_stream_sends_the_exact_path_and_body_and_yields_events(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with client.stream(hello()) as stream:
        events = list(stream)
    types = [event.type for event in events]
    assert types[0] == "message_start"
    assert types[-1] == "message_stop"
    assert "content_block_delta" in types
    assert "vertex_event" not in types, "Vertex's own events are skipped"
    text = "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert "Hey Claude!" in text
    (sent,) = vertex_emulator.requests
    assert sent.path == MODEL_PATH + "claude-sonnet-4-5@20250929:streamRawPredict"
    assert sent.body == {
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Hey Claude!"}],
        "stream": True,
        "anthropic_version": "vertex-2023-10-16",
    }


def test_count_tokens_sends_the_model_in_the_body_to_a_region_that_serves_it(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    count = client.count_tokens(hello(system="Be brief."))
    assert count > 0
    (sent,) = vertex_emulator.requests
    assert sent.path == (
        "/v1/projects/test-project/locations/global/publishers/anthropic/"
        "models/count-tokens:rawPredict"
    )
    assert sent.body == {
        "model": "claude-sonnet-4-5@20250929",
        "messages": [{"role": "user", "content": "Hey Claude!"}],
        "system": "Be brief.",
        "anthropic_version": "vertex-2023-10-16",
    }


def test_count_tokens_matches_the_usage_of_the_same_prompt(client: VertexClient) -> None:
    assert client.count_tokens(hello()) == client.create(hello()).usage.input_tokens


def test_alias_first_party_and_vertex_ids_reach_the_same_path(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    for model in ("claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-haiku-4-5@20251001"):
        client.create(hello(model=model))
    assert {r.model for r in vertex_emulator.requests} == {"claude-haiku-4-5@20251001"}


def test_old_model_defaults_to_a_region_that_serves_it(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    settings = make_settings(model="claude-3-5-haiku")
    assert settings.region == "us-east5"
    with VertexClient(settings, max_retries=0) as client:
        client.create(hello(model="claude-3-5-haiku"))
    assert vertex_emulator.requests[0].region == "us-east5"
    assert vertex_emulator.requests[0].status == 200


def test_pinned_region_is_used(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with VertexClient(make_settings(region="europe-west1"), max_retries=0) as client:
        client.create(hello())
    assert vertex_emulator.requests[0].path.startswith(
        "/v1/projects/test-project/locations/europe-west1/"
    )


def test_betas_are_filtered_before_they_reach_the_header(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with pytest.warns(UserWarning, match="files-api"):
        client.create(hello(), betas=["interleaved-thinking-2025-05-14", "files-api-2025-04-14"])
    assert vertex_emulator.requests[0].headers["anthropic-beta"] == (
        "interleaved-thinking-2025-05-14"
    )


def test_default_headers_are_sent(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with VertexClient(make_settings(), default_headers={"x-app": "demo"}) as client:
        client.create(hello())
    assert vertex_emulator.requests[0].headers["x-app"] == "demo"


async def test_async_create_stream_and_count(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    message = await client.acreate(hello())
    assert message.stop_reason == "end_turn"
    stream = await client.astream(hello())
    async with stream:
        types = [event.type async for event in stream]
    assert types[0] == "message_start"
    assert types[-1] == "message_stop"
    assert await client.acount_tokens(hello()) == message.usage.input_tokens
    assert [r.route for r in vertex_emulator.requests] == ["create", "stream", "count_tokens"]


def test_one_connection_pool_is_reused_across_calls(client: VertexClient) -> None:
    client.create(hello())
    first = client._sync_transport()
    client.create(hello())
    assert client._sync_transport() is first


def test_async_pool_is_per_event_loop(client: VertexClient) -> None:
    async def call() -> object:
        await client.acreate(hello())
        return client._async_transport()

    first = asyncio.run(call())
    second = asyncio.run(call())
    assert first is not second, "a pool bound to a closed loop is never reused"


def test_message_and_stream_report_the_region_that_answered(make_settings: MakeSettings) -> None:
    with VertexClient(make_settings(region="europe-west1")) as client:
        message = client.create(hello())
        assert message.vertex_region == "europe-west1"
        assert "vertex_region" not in message.model_dump()
        with client.stream(hello()) as stream:
            assert stream.region == "europe-west1"


def test_a_message_reports_its_request_id_without_serialising_it(client: VertexClient) -> None:
    first, second = client.create(hello()), client.create(hello())
    assert first.request_id is not None
    assert first.request_id.startswith("req_vrtx_")  # the emulator's request-id header
    assert first.request_id != second.request_id
    assert "request_id" not in first.model_dump()
    assert "request_id" not in first.to_json()
    assert VertexMessage.model_validate(first.model_dump()).request_id is None  # no answer


async def test_an_async_message_reports_its_request_id(client: VertexClient) -> None:
    message = await client.acreate(hello())
    assert message.request_id is not None
    assert message.request_id.startswith("req_vrtx_")


def test_shared_client_is_one_per_settings_and_options(make_settings: MakeSettings) -> None:
    first = VertexClient.shared(make_settings(), max_retries=1)
    assert VertexClient.shared(make_settings(), max_retries=1) is first
    assert VertexClient.shared(make_settings(), max_retries=2) is not first
    assert VertexClient.shared(make_settings(region="eu"), max_retries=1) is not first
