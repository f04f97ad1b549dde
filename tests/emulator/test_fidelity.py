"""The emulator answers as public reports show Vertex answering (docs/emulator.md's table).

Each test names the behaviour of the real service it holds the emulator to; the sources are
in the fidelity table of docs/emulator.md.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from claude_vertex import ModelNotFoundError, VertexBetaWarning, VertexClient
from claude_vertex.stream_accumulator import StreamAccumulator
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello

SONNET = "claude-sonnet-4-5@20250929"
REGION = "us-east5"
VERSION = "vertex-2023-10-16"


def body(text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {
        "anthropic_version": VERSION,
        "max_tokens": 256,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def post(
    emu: VertexEmulator, payload: dict[str, Any], *, model: str = SONNET, **headers: str
) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {emu.issue_token()}", **headers}
    return httpx2.post(emu.model_url(model, REGION), json=payload, headers=headers)


def sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    frames = raw.decode().strip().split("\n\n")
    return [
        (frame.split("\n")[0].removeprefix("event: "), json.loads(frame.split("\n")[1][6:]))
        for frame in frames
    ]


# -- versions ------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["claude-sonnet-4-5@latest", "claude-opus-4-7@latest"])
def test_latest_is_no_vertex_version(vertex_emulator: VertexEmulator, model: str) -> None:
    assert post(vertex_emulator, body(), model=model).status_code == 404
    counted = post(vertex_emulator, {**body(), "model": model}, model="count-tokens")
    assert counted.status_code == 404
    assert post(vertex_emulator, body(), model="claude-sonnet-4-5@default").status_code == 200


def test_the_client_says_which_version_exists(make_settings: MakeSettings) -> None:
    client = VertexClient(make_settings(region=REGION), max_retries=0)
    with client, pytest.raises(ModelNotFoundError) as raised:
        client.create(hello(model="claude-sonnet-4-5@latest"))
    assert "use 'claude-sonnet-4-5@20250929'" in str(raised.value)


# -- prompt cache usage --------------------------------------------------------------------
def cached_prompt(*ttls: str | None) -> dict[str, Any]:
    blocks = []
    for index, ttl in enumerate(ttls):
        control: dict[str, str] = (
            {"type": "ephemeral"}
            if ttl is None
            else {
                "type": "ephemeral",
                "ttl": ttl,
            }
        )
        blocks.append(
            {"type": "text", "text": f"Part {index}: " + "context " * 400, "cache_control": control}
        )
    return body(system=blocks)


def test_cache_writes_are_broken_down_by_lifetime(vertex_emulator: VertexEmulator) -> None:
    first = post(vertex_emulator, cached_prompt("1h", None)).json()["usage"]
    written = first["cache_creation_input_tokens"]
    breakdown = first["cache_creation"]
    assert written > 0
    assert breakdown["ephemeral_1h_input_tokens"] > 0
    assert breakdown["ephemeral_5m_input_tokens"] > 0
    assert breakdown["ephemeral_1h_input_tokens"] + breakdown["ephemeral_5m_input_tokens"] == (
        written
    )
    again = post(vertex_emulator, cached_prompt("1h", None)).json()["usage"]
    assert again["cache_read_input_tokens"] == written
    assert "cache_creation" not in again  # nothing written


def test_a_5_minute_write_is_all_5m(vertex_emulator: VertexEmulator) -> None:
    usage = post(vertex_emulator, cached_prompt(None)).json()["usage"]
    assert usage["cache_creation"] == {
        "ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"],
        "ephemeral_1h_input_tokens": 0,
    }


# -- vertex_event --------------------------------------------------------------------------
def test_vertex_event_carries_usage_with_tiers(vertex_emulator: VertexEmulator) -> None:
    headers = {"Authorization": f"Bearer {vertex_emulator.issue_token()}"}
    url = vertex_emulator.model_url(SONNET, REGION, stream=True)
    response = httpx2.post(url, json=body(stream=True), headers=headers)
    events = sse(response.content)
    assert [name for name, _ in events][:2] == ["message_start", "vertex_event"]
    event = events[1][1]
    usage = event["usage"]
    input_tokens = events[0][1]["message"]["usage"]["input_tokens"]
    assert usage["input_tokens"] == input_tokens
    assert usage["cache_creation_input_tokens"] is None  # null when nothing was cached
    assert usage["cache_creation"] == {
        "ephemeral_5m_input_tokens": 0,
        "ephemeral_1h_input_tokens": 0,
    }
    tiers = usage.pop("tiers")
    assert tiers == {"0-to-200000": usage}


def test_the_core_stream_skips_vertex_event(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with client.stream(hello()) as stream:
        kinds = [event.type for event in stream]
    assert "vertex_event" not in kinds
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"


# -- error bodies --------------------------------------------------------------------------
def test_model_layer_errors_carry_the_request_id(vertex_emulator: VertexEmulator) -> None:
    response = post(vertex_emulator, body(temperature=7))
    assert response.status_code == 400
    assert response.json()["request_id"] == response.headers["request-id"]
    assert response.json()["request_id"].startswith("req_vrtx_")


# -- betas ---------------------------------------------------------------------------------
def test_count_tokens_refuses_the_web_search_beta(vertex_emulator: VertexEmulator) -> None:
    payload = {**body(), "model": SONNET}
    beta = {"anthropic-beta": "web-search-2025-03-05"}
    assert post(vertex_emulator, payload, model="count-tokens", **beta).status_code == 400
    assert post(vertex_emulator, body(), **beta).status_code == 200


def test_the_client_drops_the_web_search_beta_for_count_tokens(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with pytest.warns(VertexBetaWarning, match="count-tokens on Vertex refuses it"):
        assert client.count_tokens(hello(), betas=["web-search-2025-03-05"]) > 0
    sent = vertex_emulator.requests[-1]
    assert sent.route == "count_tokens"
    assert "web-search-2025-03-05" not in sent.headers.get("anthropic-beta", "")


COMPACTION = {"edits": [{"type": "compact_20260112"}]}


def test_compaction_is_accepted_with_its_beta(vertex_emulator: VertexEmulator) -> None:
    beta = {"anthropic-beta": "compact-2026-01-12"}
    assert post(vertex_emulator, body(context_management=COMPACTION), **beta).status_code == 200


def test_compaction_without_its_beta_is_refused(vertex_emulator: VertexEmulator) -> None:
    beta = {"anthropic-beta": "context-management-2025-06-27"}
    refused = post(vertex_emulator, body(context_management=COMPACTION), **beta)
    assert refused.status_code == 400
    assert "compact-2026-01-12" in refused.json()["error"]["message"]


def test_context_management_needs_its_beta_in_the_header(vertex_emulator: VertexEmulator) -> None:
    in_body = body(context_management={}, anthropic_beta=["context-management-2025-06-27"])
    assert post(vertex_emulator, in_body).status_code == 400
    beta = {"anthropic-beta": "context-management-2025-06-27"}
    assert post(vertex_emulator, body(context_management={}), **beta).status_code == 200


def test_the_client_sends_the_compact_beta_to_vertex(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    client.create(hello(context_management=COMPACTION), betas=["compact-2026-01-12"])
    assert vertex_emulator.requests[-1].headers["anthropic-beta"] == "compact-2026-01-12"


# -- web search ----------------------------------------------------------------------------
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}


def test_web_search_is_a_server_tool(vertex_emulator: VertexEmulator) -> None:
    answer = post(vertex_emulator, body("Latest news on Lisbon", tools=[WEB_SEARCH])).json()
    kinds = [block["type"] for block in answer["content"]]
    assert kinds == ["server_tool_use", "web_search_tool_result", "text"]
    call, result = answer["content"][:2]
    assert call["id"].startswith("srvtoolu_vrtx_")
    assert call["name"] == "web_search"
    assert call["input"] == {"query": "Latest news on Lisbon"}
    assert result["tool_use_id"] == call["id"]
    assert {r["type"] for r in result["content"]} == {"web_search_result"}
    assert answer["stop_reason"] == "end_turn"
    assert answer["usage"]["server_tool_use"] == {"web_search_requests": 1}


def test_web_search_streams_through_the_core(client: VertexClient) -> None:
    params = hello(tools=[WEB_SEARCH])
    accumulator = StreamAccumulator()
    with client.stream(params) as stream:
        for event in stream:
            accumulator.feed(event)
    streamed = accumulator.message()
    created = client.create(params)
    assert [b.type for b in streamed.content] == [b.type for b in created.content]
    call, result = streamed.content[:2]
    assert result.model_dump()["tool_use_id"] == call.model_dump()["id"]
    assert result.model_dump()["content"] == created.content[1].model_dump()["content"]
    assert streamed.stop_reason == "end_turn"


def test_the_breakdown_can_be_shown_on_every_call() -> None:
    with VertexEmulator(cache_creation="always") as emu:
        usage = post(emu, body()).json()["usage"]
    assert usage["cache_creation"] == {
        "ephemeral_5m_input_tokens": 0,
        "ephemeral_1h_input_tokens": 0,
    }


def test_by_default_a_call_without_cache_writes_shows_no_breakdown(
    vertex_emulator: VertexEmulator,
) -> None:
    assert "cache_creation" not in post(vertex_emulator, body()).json()["usage"]
