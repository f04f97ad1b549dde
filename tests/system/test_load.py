"""Many concurrent calls share one token request and never block the event loop on auth.

Through the core client and through one model instance of each adapter: 200 concurrent
async calls while the token exchange is slowed down (the loop must keep running while it is
in flight), and many threads on one sync instance.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from llama_index.core.base.llms.types import ChatMessage

from claude_vertex import TokenProvider, VertexClient, token_provider
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.helpers import MakeSettings, hello

SLOW_REFRESH = 1.5  # seconds the token exchange takes while the event loop is watched
#: Seconds it takes for the thread tests: long enough for every thread to be waiting on it.
SLOW_REFRESH_THREADS = 0.5
MODEL = "claude-sonnet-4-5"

T = TypeVar("T")


def slow_down_refresh(tokens: TokenProvider, seconds: float = SLOW_REFRESH) -> list[float]:
    """Make google-auth's token exchange for ``tokens`` take ``seconds`` (a slow network).

    Returns a list that receives the refresh's start and end times (``perf_counter``).
    """
    creds = tokens.credentials
    assert creds is not None
    original = creds.refresh
    window: list[float] = []

    def slow(request: object) -> None:
        window.append(time.perf_counter())
        time.sleep(seconds)
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


def gather_with_ticks(calls: Iterable[Awaitable[T]]) -> tuple[list[T | BaseException], list[float]]:
    """Run ``calls`` concurrently on a new event loop; their results and the loop's ticks."""
    ticks: list[float] = []

    async def run() -> list[T | BaseException]:
        stop = asyncio.Event()
        ticker = asyncio.create_task(loop_ticks(stop, ticks))
        results = await asyncio.gather(*calls, return_exceptions=True)
        stop.set()
        await ticker
        return results

    return asyncio.run(run()), ticks


def assert_loop_ran_during_refresh(window: list[float], ticks: list[float], setup: float) -> None:
    """The loop kept ticking while the token was refreshed.

    Starting the calls keeps the loop busy for up to ``setup`` seconds (each runs until it
    waits for the token); after that every call waits on the token, and a refresh on the
    loop's thread would freeze it for the whole window (no tick at all).
    """
    start, end = window
    during = [t for t in ticks if start + setup <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert len(during) >= 10, "the event loop did not run while the token was refreshed"
    assert max(gaps) < 0.25, f"event loop lag {max(gaps):.3f}s during the refresh"


def call_from_threads(call: Callable[[int], T], threads: int = 32, calls: int = 128) -> list[T]:
    """``call(i)`` for ``calls`` values of i from ``threads`` threads released at once."""
    start = threading.Barrier(threads)

    def released(index: int) -> T:
        if index < threads:
            start.wait()
        return call(index)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(released, range(calls)))


def answer(text: str) -> str:
    return f"Hello! You said: {text}"


# --------------------------------------------------------------------------- the core


def test_200_concurrent_async_calls_one_token_request_and_a_free_event_loop(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    client = VertexClient(make_settings())
    window = slow_down_refresh(client.settings.tokens)
    results, ticks = gather_with_ticks(client.acreate(hello()) for _ in range(200))
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    assert token_grants(vertex_emulator) == 1
    assert len(vertex_emulator.requests) == 200
    assert_loop_ran_during_refresh(window, ticks, setup=0.8)


def test_many_threads_on_one_sync_client_one_token_request(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    client = VertexClient(make_settings())
    slow_down_refresh(client.settings.tokens, SLOW_REFRESH_THREADS)
    roles = call_from_threads(lambda _: client.create(hello()).role)
    assert roles == ["assistant"] * 128
    assert token_grants(vertex_emulator) == 1
    client.close()


# --------------------------------------------------------------------------- the adapters


def langchain_model(place: dict[str, Any]) -> ChatClaudeVertex:
    return ChatClaudeVertex(model=MODEL, **{**place, "credentials": str(place["credentials"])})


def llama_index_model(place: dict[str, Any]) -> ClaudeVertex:
    return ClaudeVertex(MODEL, **place)


async def langchain_ainvoke(chat: ChatClaudeVertex, text: str) -> str:
    return (await chat.ainvoke(text)).text


async def llama_index_achat(llm: ClaudeVertex, text: str) -> str:
    response = await llm.achat([ChatMessage(role="user", content=text)])
    return str(response.message.content)


def test_200_concurrent_ainvoke_on_one_langchain_model(
    place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    chat = langchain_model(place)
    window = slow_down_refresh(token_provider(place["credentials"]))
    results, ticks = gather_with_ticks(langchain_ainvoke(chat, f"call {i}") for i in range(200))
    assert results == [answer(f"call {i}") for i in range(200)]
    assert token_grants(vertex_emulator) == 1
    assert len(vertex_emulator.requests) == 200
    assert_loop_ran_during_refresh(window, ticks, setup=0.5)


def test_200_concurrent_achat_on_one_llama_index_model(
    place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    llm = llama_index_model(place)
    window = slow_down_refresh(llm.settings.tokens)
    results, ticks = gather_with_ticks(llama_index_achat(llm, f"call {i}") for i in range(200))
    assert results == [answer(f"call {i}") for i in range(200)]
    assert token_grants(vertex_emulator) == 1
    assert len(vertex_emulator.requests) == 200
    assert_loop_ran_during_refresh(window, ticks, setup=0.5)


def test_many_threads_on_one_langchain_model_one_token_request(
    place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    chat = langchain_model(place)
    slow_down_refresh(token_provider(place["credentials"]), SLOW_REFRESH_THREADS)
    answers = call_from_threads(lambda i: chat.invoke(f"call {i}").text)
    assert answers == [answer(f"call {i}") for i in range(128)]
    assert token_grants(vertex_emulator) == 1


def test_many_threads_on_one_llama_index_model_one_token_request(
    place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    llm = llama_index_model(place)
    slow_down_refresh(llm.settings.tokens, SLOW_REFRESH_THREADS)
    answers = call_from_threads(
        lambda i: llm.chat([ChatMessage(role="user", content=f"call {i}")]).message.content
    )
    assert answers == [answer(f"call {i}") for i in range(128)]
    assert token_grants(vertex_emulator) == 1
