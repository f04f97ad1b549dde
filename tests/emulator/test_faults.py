"""Fault injection: each fault as a client sees it, and how faults are queued and matched."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
import httpx2
import pytest

from claude_vertex.testing import Fault, VertexEmulator

SONNET = "claude-sonnet-4-5@20250929"


class _RequestId(str):
    """Equal to any request id in Vertex's form (``req_vrtx_`` and hex)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and re.fullmatch(r"req_vrtx_[0-9a-f]{24}", other) is not None

    __hash__ = str.__hash__


#: The model layer's error bodies carry a request id (claude-code #12429).
ANY_REQUEST_ID = _RequestId("req_vrtx_...")
REGION = "us-east5"
BODY = {
    "anthropic_version": "vertex-2023-10-16",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "one two three four five"}],
}
STREAM_BODY = {**BODY, "stream": True}


@pytest.fixture
def http(vertex_emulator: VertexEmulator) -> Iterator[httpx2.Client]:
    token = vertex_emulator.issue_token()
    with httpx2.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        yield client


def create(
    emu: VertexEmulator, http: httpx2.Client, model: str = SONNET, region: str = REGION
) -> httpx2.Response:
    return http.post(emu.model_url(model, region), json=BODY)


def stream_raw(emu: VertexEmulator, http: httpx2.Client) -> httpx2.Response:
    return http.post(emu.model_url(SONNET, REGION, stream=True), json=STREAM_BODY)


def sdk_client(emu: VertexEmulator) -> anthropic.AnthropicVertex:
    """The raw SDK's Vertex client on the emulator, with its own retries off."""
    return anthropic.AnthropicVertex(
        base_url=emu.base_url,
        region=REGION,
        project_id=emu.project,
        access_token=emu.issue_token(),
        max_retries=0,
    )


def sdk_stream(
    emu: VertexEmulator, client: anthropic.AnthropicVertex
) -> anthropic.Stream[anthropic.types.RawMessageStreamEvent]:
    """A streamed call through the raw SDK, events parsed as it would parse them."""
    return client.post(
        emu.model_url(SONNET, REGION, stream=True),
        body=STREAM_BODY,
        cast_to=anthropic.types.Message,
        stream=True,
        stream_cls=anthropic.Stream[anthropic.types.RawMessageStreamEvent],
    )


def sse_events(raw: bytes) -> list[tuple[str, Any]]:
    events = []
    for frame in raw.decode().split("\n\n"):
        if frame:
            event, data = frame.split("\n")
            events.append((event.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return events


# --------------------------------------------------------------------------- each fault


def test_quota_exhausted_is_google_429_without_retry_after(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=2)
    response = create(vertex_emulator, http)
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["message"].startswith(
        "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model "
        "with base model: anthropic-claude-sonnet-4-5. Please submit a quota increase request."
    )
    streamed = stream_raw(vertex_emulator, http)
    assert streamed.status_code == 429
    assert streamed.json()[0]["error"]["status"] == "RESOURCE_EXHAUSTED"  # list-wrapped
    assert create(vertex_emulator, http).status_code == 200


def test_overloaded_is_anthropic_529(vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.inject(Fault.overloaded())
    with sdk_client(vertex_emulator) as client, pytest.raises(anthropic.OverloadedError) as raised:
        client.post(
            vertex_emulator.model_url(SONNET, REGION), body=BODY, cast_to=anthropic.types.Message
        )
    assert raised.value.status_code == 529
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": ANY_REQUEST_ID,
    }


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (Fault.unavailable(), 503, "UNAVAILABLE"),
        (Fault.permission_denied(), 403, "PERMISSION_DENIED"),
    ],
    ids=["unavailable", "permission-denied"],
)
def test_google_faults_have_googles_shape(
    vertex_emulator: VertexEmulator, http: httpx2.Client, fault: Fault, code: int, status: str
) -> None:
    vertex_emulator.inject(fault)
    response = create(vertex_emulator, http)
    assert response.status_code == code
    assert response.json()["error"]["status"] == status


def test_permission_denied_names_the_resource(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.permission_denied())
    message = create(vertex_emulator, http).json()["error"]["message"]
    assert message == (
        "Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/"
        f"projects/test-project/locations/{REGION}/publishers/anthropic/models/{SONNET}' "
        "(or it may not exist)."
    )


def test_prompt_too_long_is_an_invalid_request(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.prompt_too_long())
    response = create(vertex_emulator, http)
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "prompt is too long: 250000 tokens > 200000 maximum",
        },
        "request_id": ANY_REQUEST_ID,
    }


def test_status_fault_answers_anything(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.status(502, "<html>Bad Gateway</html>", headers={"X-Edge": "1"}))
    vertex_emulator.inject(Fault.status(418, {"teapot": True}))
    first = create(vertex_emulator, http)
    assert (first.status_code, first.text, first.headers["x-edge"]) == (
        502,
        "<html>Bad Gateway</html>",
        "1",
    )
    second = create(vertex_emulator, http)
    assert second.status_code == 418
    assert second.json() == {"teapot": True}


def test_retry_after_adds_the_header(vertex_emulator: VertexEmulator, http: httpx2.Client) -> None:
    vertex_emulator.inject(Fault.quota_exhausted().retry_after(7))
    vertex_emulator.inject(Fault.overloaded(headers={"retry-after": "2"}))
    assert create(vertex_emulator, http).headers["retry-after"] == "7"
    assert create(vertex_emulator, http).headers["retry-after"] == "2"


def test_slow_delays_then_answers_normally(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.slow(0.3))
    started = time.perf_counter()
    response = create(vertex_emulator, http)
    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 200
    assert response.json()["type"] == "message"


def test_drop_mid_stream_closes_the_socket_after_some_events(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.drop_mid_stream(after_events=3))
    url = vertex_emulator.model_url(SONNET, REGION, stream=True)
    chunks: list[bytes] = []
    with http.stream("POST", url, json=STREAM_BODY) as response:
        assert response.status_code == 200
        with pytest.raises(httpx2.RemoteProtocolError):
            chunks.extend(response.iter_bytes())
    received = b"".join(chunks)
    assert [event for event, _ in sse_events(received)] == ["message_start", "vertex_event", "ping"]
    assert stream_raw(vertex_emulator, http).status_code == 200  # the next stream is whole


def test_drop_mid_stream_surfaces_in_the_sdk(vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.inject(Fault.drop_mid_stream(after_events=5))
    seen: list[str] = []
    with sdk_client(vertex_emulator) as client:
        events = sdk_stream(vertex_emulator, client)
        with pytest.raises((httpx2.TransportError, anthropic.APIConnectionError)):
            seen.extend(event.type for event in events)
    assert "message_stop" not in seen
    assert "message_start" in seen


def test_truncated_stream_ends_cleanly_without_message_stop(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.truncated_stream(after_events=4))
    response = stream_raw(vertex_emulator, http)
    assert response.status_code == 200
    events = [event for event, _ in sse_events(response.content)]
    assert events == ["message_start", "vertex_event", "ping", "content_block_start"]


def test_stream_error_event_arrives_inside_a_200_stream(vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.inject(Fault.stream_error_event("overloaded_error", after_events=2))
    seen: list[str] = []
    with sdk_client(vertex_emulator) as client:
        events = sdk_stream(vertex_emulator, client)
        with pytest.raises(anthropic.APIStatusError) as raised:
            seen.extend(event.type for event in events)
    assert seen == ["message_start", "vertex_event"]
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": ANY_REQUEST_ID,
    }


# --------------------------------------------------------------------------- queueing


def test_faults_are_consumed_in_order(vertex_emulator: VertexEmulator, http: httpx2.Client) -> None:
    vertex_emulator.inject(Fault.unavailable())
    vertex_emulator.inject(Fault.overloaded(), times=2)
    statuses = [create(vertex_emulator, http).status_code for _ in range(4)]
    assert statuses == [503, 529, 529, 200]


def test_times_none_lasts_until_reset(vertex_emulator: VertexEmulator, http: httpx2.Client) -> None:
    vertex_emulator.inject(Fault.unavailable(), times=None)
    assert [create(vertex_emulator, http).status_code for _ in range(5)] == [503] * 5
    vertex_emulator.reset()
    assert create(vertex_emulator, http).status_code == 200


def test_faults_match_route_region_and_model(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.overloaded(), route="stream")
    vertex_emulator.inject(Fault.unavailable(), region="europe-west1")
    vertex_emulator.inject(Fault.quota_exhausted(), model="claude-haiku-4-5")  # alias matches
    assert create(vertex_emulator, http).status_code == 200
    assert create(vertex_emulator, http, region="europe-west1").status_code == 503
    assert create(vertex_emulator, http, model="claude-haiku-4-5@20251001").status_code == 429
    assert stream_raw(vertex_emulator, http).status_code == 529
    assert create(vertex_emulator, http, region="europe-west1").status_code == 200


def test_faults_apply_to_count_tokens(vertex_emulator: VertexEmulator, http: httpx2.Client) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), route="count_tokens")
    body = {"model": SONNET, "messages": BODY["messages"]}
    url = vertex_emulator.model_url("count-tokens", REGION)
    assert http.post(url, json=body).status_code == 429
    assert http.post(url, json=body).status_code == 200


def test_stream_breaking_faults_wait_for_a_stream(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.truncated_stream(after_events=1))
    assert create(vertex_emulator, http).status_code == 200  # not consumed by create
    events = sse_events(stream_raw(vertex_emulator, http).content)
    assert [event for event, _ in events] == ["message_start"]


def test_faults_do_not_hit_the_token_endpoint(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.unavailable(), times=None)
    response = httpx2.post(vertex_emulator.token_uri, data={"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_faults_are_taken_once_under_concurrency(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    vertex_emulator.inject(Fault.overloaded(), times=5)

    def one(_: int) -> int:
        return create(vertex_emulator, http).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one, range(24)))
    assert statuses.count(529) == 5
    assert statuses.count(200) == 19
    assert sorted(r.status for r in vertex_emulator.requests) == [200] * 19 + [529] * 5


def test_random_faults_follow_the_rate_and_the_seed(
    vertex_emulator: VertexEmulator, http: httpx2.Client
) -> None:
    def run() -> list[int]:
        vertex_emulator.reset()
        vertex_emulator.inject_random(
            rate=0.5, faults=[Fault.overloaded(), Fault.unavailable()], seed=42
        )
        return [create(vertex_emulator, http).status_code for _ in range(40)]

    first = run()
    assert first == run()
    assert 8 <= first.count(200) <= 32
    assert {529, 503} <= set(first)
    vertex_emulator.reset()
    vertex_emulator.inject_random(rate=1.0)
    assert all(create(vertex_emulator, http).status_code in (429, 503, 529) for _ in range(5))
    vertex_emulator.reset()
    vertex_emulator.inject_random(rate=0.0)
    assert all(create(vertex_emulator, http).status_code == 200 for _ in range(5))


def test_bad_fault_arguments_are_refused(vertex_emulator: VertexEmulator) -> None:
    with pytest.raises(ValueError, match="times"):
        vertex_emulator.inject(Fault.overloaded(), times=0)
    with pytest.raises(ValueError, match="route"):
        vertex_emulator.inject(Fault.overloaded(), route="messages")
    with pytest.raises(ValueError, match="rate"):
        vertex_emulator.inject_random(rate=2)
    with pytest.raises(ValueError, match="seconds"):
        Fault.slow(-1)
