"""A call's ``deadline`` bounds all of it: streams of pings, trickled bodies, hung token endpoints.

The hostile side is :class:`~tests.stalling_server.StallingServer`, which would keep each reply
going for 12 s; every call here must end with a typed error within its deadline plus 1 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from claude_vertex import (
    ClaudeVertexError,
    CredentialsError,
    MediaError,
    StreamInterruptedError,
    VertexClient,
    VertexConnectionError,
    aload_media,
    load_media,
)
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello
from tests.stalling_server import StallingServer

#: How far past its deadline a call may end.
SLACK = 1.0


@pytest.fixture
def stalling() -> Iterator[StallingServer]:
    with StallingServer(interval=0.5, max_seconds=12.0) as server:
        yield server


@pytest.fixture
def stalling_client(
    stalling: StallingServer, make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> Iterator[VertexClient]:
    """timeout=2, deadline=6, aimed at the stalling server (a static token: no refresh)."""
    settings = make_settings(
        base_url=stalling.base_url, credentials=None, access_token=vertex_emulator.issue_token()
    )
    with VertexClient(settings, timeout=2, deadline=6, max_retries=2) as client:
        yield client


def assert_in_time(started: float, deadline: float) -> None:
    elapsed = time.monotonic() - started
    assert elapsed < deadline + SLACK, f"ended after {elapsed:.1f}s, deadline {deadline}s"


def test_a_stream_of_pings_ends_at_the_deadline(stalling_client: VertexClient) -> None:
    started = time.monotonic()
    with (
        stalling_client.stream(hello()) as stream,
        pytest.raises(StreamInterruptedError) as caught,
    ):
        for _ in stream:
            pass
    assert_in_time(started, 6)
    assert caught.value.events_received == 1  # message_start, then nothing but pings
    assert "deadline" in str(caught.value)


async def test_an_async_stream_of_pings_ends_at_the_deadline(
    stalling_client: VertexClient,
) -> None:
    started = time.monotonic()
    stream = await stalling_client.astream(hello())

    async def drain() -> None:
        async with stream:
            async for _ in stream:
                pass

    with pytest.raises(StreamInterruptedError) as caught:
        await drain()
    assert_in_time(started, 6)
    assert "deadline" in str(caught.value)


def test_a_trickled_body_ends_at_the_deadline(stalling_client: VertexClient) -> None:
    started = time.monotonic()
    with pytest.raises(VertexConnectionError) as caught:
        stalling_client.create(hello())
    assert_in_time(started, 6)
    assert "deadline" in str(caught.value)


async def test_an_async_trickled_body_ends_at_the_deadline(
    stalling_client: VertexClient,
) -> None:
    started = time.monotonic()
    with pytest.raises(VertexConnectionError):
        await stalling_client.acreate(hello())
    assert_in_time(started, 6)


def hung_token_client(
    stalling: StallingServer, make_settings: MakeSettings, emulator: VertexEmulator
) -> VertexClient:
    """A client of the emulator whose credentials' token endpoint never answers."""
    info = emulator.service_account_info(f"hung@{emulator.project}.iam.gserviceaccount.com")
    settings = make_settings(credentials={**info, "token_uri": stalling.token_uri})
    return VertexClient(settings, timeout=2, deadline=4, max_retries=0)


def test_a_hung_token_endpoint_ends_at_the_deadline(
    stalling: StallingServer, make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    started = time.monotonic()
    with (
        hung_token_client(stalling, make_settings, vertex_emulator) as client,
        pytest.raises(CredentialsError) as caught,
    ):
        client.create(hello())
    assert_in_time(started, 4)
    assert "deadline" in str(caught.value)
    assert vertex_emulator.requests == []


async def test_an_async_hung_token_endpoint_ends_at_the_deadline(
    stalling: StallingServer, make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    started = time.monotonic()
    with pytest.raises(CredentialsError):
        await hung_token_client(stalling, make_settings, vertex_emulator).acreate(hello())
    assert_in_time(started, 4)


def test_a_trickled_media_download_ends_at_its_deadline(stalling: StallingServer) -> None:
    started = time.monotonic()
    with pytest.raises(MediaError) as caught:
        load_media(f"{stalling.url}/media/cat.png", deadline=2)
    assert_in_time(started, 2)
    assert "deadline of 2 s" in str(caught.value)


async def test_an_async_trickled_media_download_ends_at_its_deadline(
    stalling: StallingServer,
) -> None:
    started = time.monotonic()
    with pytest.raises(ClaudeVertexError):
        await aload_media(f"{stalling.url}/media/cat.png", deadline=2)
    assert_in_time(started, 2)


@pytest.mark.parametrize("use_async", [False, True])
async def test_pings_just_under_the_timeout_still_end_at_the_deadline(
    use_async: bool, make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    """A ping every 1.8 s with timeout=2: nothing but the deadline itself can end the stream."""
    with StallingServer(interval=1.8, max_seconds=12.0) as server:
        settings = make_settings(
            base_url=server.base_url, credentials=None, access_token=vertex_emulator.issue_token()
        )
        client = VertexClient(settings, timeout=2, deadline=4)

        async def read_all() -> None:
            if use_async:
                async with await client.astream(hello()) as astream:
                    [event async for event in astream]
            else:
                with client.stream(hello()) as stream:
                    list(stream)

        started = time.monotonic()
        with pytest.raises(StreamInterruptedError):
            await read_all()
        assert_in_time(started, 4)


def test_no_deadline_thread_outlives_the_calls(client: VertexClient) -> None:
    def watchdogs() -> int:
        return sum(t.name == "claude-vertex-deadlines" for t in threading.enumerate())

    with client.stream(hello()) as stream:
        assert watchdogs() == 1  # watching the open stream
        list(stream)
    client.create(hello())
    give_up = time.monotonic() + 5
    while watchdogs() and time.monotonic() < give_up:
        time.sleep(0.1)
    assert watchdogs() == 0
