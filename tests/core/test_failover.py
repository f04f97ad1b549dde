"""Failover along the endpoint plan, backoff, circuit breakers, deadlines, safe streams."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from claude_vertex import (
    AuthenticationError,
    ConfigurationError,
    CredentialsError,
    PermissionDeniedError,
    QuotaExhaustedError,
    StreamInterruptedError,
    VertexClient,
    VertexConnectionError,
    resolve_model,
    resolve_settings,
)
from claude_vertex.endpoints import endpoint_plan
from claude_vertex.failover import BREAKERS, CircuitBreakers, RetryPolicy
from claude_vertex.testing import Fault, VertexEmulator
from tests.helpers import MakeSettings, hello, user_credentials

SONNET = resolve_model("claude-sonnet-4-5")


# -- the plan (pure) -----------------------------------------------------------------------
def test_default_plan_is_global_then_every_endpoint_that_serves_the_model() -> None:
    plan = endpoint_plan(SONNET, "global")
    assert plan[0] == "global"
    assert set(plan[1:]) == set(SONNET.regions)


def test_old_model_plan_stays_on_regions_that_serve_it() -> None:
    old = resolve_model("claude-3-7-sonnet")
    assert endpoint_plan(old, "us-east5") == old.regions


def test_a_pinned_region_is_never_left() -> None:
    assert endpoint_plan(SONNET, "europe-west1", pinned=True) == ("europe-west1",)


def test_fallback_regions_override_the_default_plan() -> None:
    plan = endpoint_plan(SONNET, "us-east5", pinned=True, fallback_regions=["europe-west4"])
    assert plan == ("us-east5", "europe-west4")


@pytest.mark.parametrize(
    ("residency", "inside"), [("eu", ("eu", "europe-")), ("us", ("us", "us-"))]
)
def test_data_residency_keeps_every_endpoint_inside_the_geography(
    residency: str, inside: tuple[str, str]
) -> None:
    plan = endpoint_plan(SONNET, inside[0], data_residency=residency)
    assert plan
    assert all(r == inside[0] or r.startswith(inside[1]) for r in plan)
    assert "global" not in plan


def test_fallbacks_outside_the_residency_are_refused(vertex_emulator: VertexEmulator) -> None:
    with pytest.raises(ConfigurationError, match="outside data_residency"):
        resolve_settings(
            project="my-project",
            access_token=vertex_emulator.issue_token(),
            region="europe-west1",
            fallback_regions=["us-east5"],
            data_residency="eu",
        )


def test_residency_picks_the_default_region_inside_it(vertex_emulator: VertexEmulator) -> None:
    settings = resolve_settings(
        model="claude-sonnet-4-5",
        project="my-project",
        access_token=vertex_emulator.issue_token(),
        data_residency="eu",
    )
    assert settings.region == "eu"
    old = resolve_settings(
        model="claude-3-7-sonnet",
        project="my-project",
        access_token=vertex_emulator.issue_token(),
        data_residency="eu",
    )
    assert old.region == "europe-west1"


def test_full_jitter_backoff_stays_under_its_doubling_ceiling() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (3, 4.0), (10, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread over the range, not a constant
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.delay(0, retry_after=60.0) == 8.0


def test_breaker_opens_after_repeated_failures_and_probes_after_cooldown() -> None:
    breakers = CircuitBreakers(threshold=3, cooldown=10.0)
    key = ("", "p", "m", "global")
    for _ in range(2):
        breakers.failure(key, now=0.0)
    assert breakers.allows(key, now=1.0)
    breakers.failure(key, now=1.0)
    assert not breakers.allows(key, now=5.0)
    assert breakers.allows(key, now=12.0)  # half-open: one probe
    assert not breakers.allows(key, now=12.1)  # and only one
    breakers.failure(key, now=12.2)
    assert not breakers.allows(key, now=13.0)  # the probe failed: open again
    breakers.success(key)
    assert breakers.allows(key, now=13.0)


# -- over the wire ---------------------------------------------------------------------------
def regions_tried(emulator: VertexEmulator) -> list[tuple[str | None, int]]:
    return [(r.region, r.status) for r in emulator.requests]


def test_quota_error_moves_to_the_next_endpoint_and_reports_where_it_answered(
    make_settings: MakeSettings,
    vertex_emulator: VertexEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), region="global")
    caplog.set_level(logging.DEBUG, logger="claude_vertex")
    with VertexClient(make_settings()) as client:
        message = client.create(hello())
    second = client.settings.plan_for("claude-sonnet-4-5")[1]
    assert regions_tried(vertex_emulator) == [("global", 429), (second, 200)]
    assert message.vertex_region == second
    assert f"answered by region {second}" in caplog.text


@pytest.mark.parametrize("fault", [Fault.overloaded(), Fault.unavailable()])
def test_529_and_503_fail_over_too(
    fault: Fault, make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(fault, region="global")
    with VertexClient(make_settings()) as client:
        assert client.create(hello()).vertex_region != "global"


def test_pinned_region_retries_in_place_then_raises(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=None)
    with (
        VertexClient(make_settings(region="europe-west1"), max_retries=2) as client,
        pytest.raises(QuotaExhaustedError),
    ):
        client.create(hello())
    assert regions_tried(vertex_emulator) == [("europe-west1", 429)] * 3


def test_data_residency_fails_over_only_inside_the_geography(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=None, region="eu")
    with VertexClient(make_settings(data_residency="eu"), max_retries=4) as client:
        message = client.create(hello())
    assert message.vertex_region is not None
    assert message.vertex_region.startswith("europe-")
    assert all(
        region == "eu" or str(region).startswith("europe-")
        for region, _ in regions_tried(vertex_emulator)
    )


def test_retry_after_is_honoured(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted().retry_after(0.3))
    with VertexClient(make_settings(region="us-east5")) as client:
        started = time.monotonic()
        client.create(hello())
    assert time.monotonic() - started >= 0.3


def test_the_deadline_stops_further_attempts(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted().retry_after(2), times=None)
    with (
        VertexClient(make_settings(), max_retries=5, deadline=1.0) as client,
        pytest.raises(QuotaExhaustedError),
    ):
        client.create(hello())
    assert len(vertex_emulator.requests) == 1


def test_open_circuit_is_skipped_by_every_client(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=BREAKERS.threshold, region="global")
    with VertexClient(make_settings()) as client:
        for _ in range(BREAKERS.threshold):
            client.create(hello())
    vertex_emulator.reset()
    with VertexClient(make_settings(), default_headers={"x-other": "client"}) as other:
        assert other.create(hello()).vertex_region != "global"
    assert "global" not in [region for region, _ in regions_tried(vertex_emulator)]


def test_expired_token_is_refreshed_once_and_the_call_retried(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with VertexClient(make_settings(region="us-east5"), max_retries=0) as client:
        client.create(hello())
        vertex_emulator.expire_tokens()
        client.create(hello())
    assert [s for _, s in regions_tried(vertex_emulator)] == [200, 401, 200]
    grants = [r for r in vertex_emulator.token_requests if r.route == "token"]
    assert len(grants) == 2


def test_a_static_token_that_is_refused_is_not_retried(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    token = vertex_emulator.issue_token()
    vertex_emulator.expire_tokens()
    with (
        VertexClient(make_settings(credentials=None, access_token=token)) as client,
        pytest.raises(AuthenticationError),
    ):
        client.create(hello())
    assert len(vertex_emulator.requests) == 1


def test_connection_errors_are_retried_then_typed(
    vertex_emulator: VertexEmulator, make_settings: MakeSettings
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    settings = make_settings(base_url=f"http://127.0.0.1:{port}/v1")
    with (
        VertexClient(settings, max_retries=1) as client,
        pytest.raises(VertexConnectionError) as caught,
    ):
        client.create(hello())
    assert caught.value.region is not None
    assert "connection" in str(caught.value).lower()


# -- streams -----------------------------------------------------------------------------
def test_stream_fails_over_before_any_event(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), region="global")
    with VertexClient(make_settings()) as client, client.stream(hello()) as stream:
        events = list(stream)
        assert stream.region != "global"
    assert events[-1].type == "message_stop"


def test_error_event_before_the_first_event_is_retried(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.stream_error_event(after_events=0))
    with VertexClient(make_settings()) as client, client.stream(hello()) as stream:
        assert list(stream)[-1].type == "message_stop"
    assert len(vertex_emulator.requests) == 2


@pytest.mark.parametrize(
    "fault", [Fault.drop_mid_stream(after_events=0), Fault.truncated_stream(after_events=0)]
)
async def test_stream_that_ends_before_its_first_event_is_retried(
    fault: Fault, make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(fault, times=2)
    with VertexClient(make_settings()) as client:
        with client.stream(hello()) as stream:
            assert list(stream)[-1].type == "message_stop"
        async with await client.astream(hello()) as astream:
            assert [event async for event in astream][-1].type == "message_stop"
    assert [r.status for r in vertex_emulator.requests] == [200, 200, 200, 200]


@pytest.mark.parametrize(
    "fault", [Fault.drop_mid_stream(after_events=4), Fault.truncated_stream(after_events=4)]
)
def test_stream_broken_after_content_is_not_retried(
    fault: Fault, make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(fault)
    received: list[object] = []
    with (
        VertexClient(make_settings()) as client,
        client.stream(hello()) as stream,
        pytest.raises(StreamInterruptedError) as caught,
    ):
        received.extend(stream)  # list.extend keeps what arrived before the error
    assert len(vertex_emulator.requests) == 1, "never retried after content was yielded"
    assert caught.value.events_received == len(received) > 0
    assert f"{len(received)} events" in str(caught.value)


async def test_async_calls_fail_over_too(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=2, region="global")
    client = VertexClient(make_settings())
    message = await client.acreate(hello())
    assert message.vertex_region != "global"
    stream = await client.astream(hello())
    async with stream:
        events = [event async for event in stream]
    assert stream.region != "global"
    assert events[-1].type == "message_stop"


async def test_async_stream_broken_after_content_raises(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.drop_mid_stream(after_events=3))
    stream = await VertexClient(make_settings()).astream(hello())

    async def drain() -> None:
        async with stream:
            async for _ in stream:
                pass

    with pytest.raises(StreamInterruptedError):
        await drain()


# -- half-open probes always end -------------------------------------------------------------
@pytest.fixture
def open_global_circuit(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> VertexClient:
    """A client whose ``global`` circuit is open, with a cooldown that has already passed."""
    monkeypatch.setattr(BREAKERS, "cooldown", 0.2)
    vertex_emulator.inject(Fault.quota_exhausted(), times=BREAKERS.threshold, region="global")
    client = VertexClient(make_settings(), max_retries=1)
    for _ in range(BREAKERS.threshold):
        assert client.create(hello()).vertex_region != "global"
    time.sleep(0.3)
    vertex_emulator.reset()
    return client


def test_a_probe_ending_in_a_non_retryable_error_releases_the_circuit(
    open_global_circuit: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.permission_denied(), region="global")
    with pytest.raises(PermissionDeniedError):
        open_global_circuit.create(hello())  # the probe: 403
    assert open_global_circuit.create(hello()).vertex_region == "global"  # probed again


def test_a_probe_ending_in_an_untyped_error_releases_the_circuit(
    open_global_circuit: VertexClient,
    vertex_emulator: VertexEmulator,
    make_settings: MakeSettings,
) -> None:
    revoked = user_credentials(vertex_emulator, "1//revoked-refresh-token")
    with (
        VertexClient(make_settings(credentials=revoked), max_retries=0) as other,
        pytest.raises(CredentialsError),
    ):
        other.create(hello())  # probes global, fails before any HTTP answer
    assert open_global_circuit.create(hello()).vertex_region == "global"


async def test_a_cancelled_probe_releases_the_circuit(
    open_global_circuit: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.slow(3.0), region="global")
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(open_global_circuit.acreate(hello()), 0.5)
    message = await open_global_circuit.acreate(hello())
    assert message.vertex_region == "global"
