"""Many concurrent calls share one token request and never block the event loop on auth."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from claude_vertex import VertexClient
from claude_vertex.testing import VertexEmulator
from tests.conftest import MakeSettings
from tests.helpers import hello

SLOW_REFRESH = 1.5  # seconds the token exchange is made to take


def slow_down_refresh(client: VertexClient) -> list[float]:
    """Make google-auth's token exchange take SLOW_REFRESH seconds (a slow network).

    Returns a list that receives the refresh's start and end times (``perf_counter``).
    """
    creds = client.settings.tokens.credentials
    assert creds is not None
    original = creds.refresh
    window: list[float] = []

    def slow(request: object) -> None:
        window.append(time.perf_counter())
        time.sleep(SLOW_REFRESH)
        original(request)
        window.append(time.perf_counter())

    creds.refresh = slow  # type: ignore[method-assign]
    return window


def token_grants(emulator: VertexEmulator) -> int:
    return sum(1 for r in emulator.token_requests if r.route == "token")


async def loop_ticks(stop: asyncio.Event, ticks: list[float], tick: float = 0.005) -> None:
    """Record when the event loop wakes this coroutine, until ``stop`` is set."""
    while not stop.is_set():
        await asyncio.sleep(tick)
        ticks.append(time.perf_counter())


def test_200_concurrent_async_calls_one_token_request_and_a_free_event_loop(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    client = VertexClient(make_settings())
    window = slow_down_refresh(client)
    ticks: list[float] = []

    async def run() -> list[object]:
        stop = asyncio.Event()
        ticker = asyncio.create_task(loop_ticks(stop, ticks))
        results = await asyncio.gather(*(client.acreate(hello()) for _ in range(200)),
                                       return_exceptions=True)
        stop.set()
        await ticker
        return results

    results = asyncio.run(run())
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    assert token_grants(vertex_emulator) == 1
    assert len(vertex_emulator.requests) == 200
    # Loop lag while the refresh is in flight. Building 200 requests keeps the loop busy for
    # a few hundred ms at the start; after that every call waits on the token, and a refresh
    # on the loop thread would freeze it for the whole window (no tick at all).
    start, end = window
    during = [t for t in ticks if start + 0.8 <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert len(during) >= 10, "the event loop did not run while the token was refreshed"
    assert max(gaps) < 0.25, f"event loop lag {max(gaps):.3f}s during the refresh"


def test_many_threads_on_one_sync_client_one_token_request(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    client = VertexClient(make_settings())
    slow_down_refresh(client)
    start = threading.Barrier(32)

    def call(_: int) -> str:
        start.wait()
        return client.create(hello()).role

    with ThreadPoolExecutor(max_workers=32) as pool:
        roles = list(pool.map(call, range(128)))
    assert roles == ["assistant"] * 128
    assert token_grants(vertex_emulator) == 1
    client.close()
