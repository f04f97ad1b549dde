"""3. Concurrency: 1,000 calls with 100 in flight, through ``ainvoke`` / ``achat``.

Throughput (calls per second) of each adapter against its framework floor, of the core's
``acreate`` against the raw ``AsyncAnthropicVertex``, and of plain httpx2, which shows how
many calls a second the emulator itself can answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx2
from llama_index.core.base.llms.types import ChatMessage

from .contenders import SMALL_PROMPT, Contenders, core_params, raw_payload, wire_body
from .harness import Results, Row, interleaved, median, ratio_of_medians_by_round, ratio_row
from .report import TARGETS

SECTION = "3. concurrency"


async def _throughput(call: Callable[[], Awaitable[object]], calls: int, in_flight: int) -> float:
    """Calls per second of ``calls`` calls with at most ``in_flight`` at once."""
    gate = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with gate:
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    return calls / (time.perf_counter() - start)


def run(
    c: Contenders, results: Results, *, calls: int = 1000, in_flight: int = 100, rounds: int = 5
) -> None:
    """``rounds`` interleaved rounds of ``calls`` calls per contender."""
    loop = asyncio.new_event_loop()
    http = httpx2.AsyncClient(timeout=60, limits=httpx2.Limits(max_connections=in_flight))
    payload, params, body = (
        raw_payload(SMALL_PROMPT),
        core_params(SMALL_PROMPT),
        wire_body(SMALL_PROMPT),
    )
    chat = [ChatMessage(role="user", content=SMALL_PROMPT)]
    calls_of: dict[str, Callable[[], Awaitable[object]]] = {
        "httpx": lambda: c.plain.apost(http, body),
        "raw": lambda: c.araw.messages.create(**payload),
        "core": lambda: c.core.acreate(params),
        "lc_floor": lambda: c.lc_floor.ainvoke(SMALL_PROMPT),
        "lc": lambda: c.lc.ainvoke(SMALL_PROMPT),
        "li_floor": lambda: c.li_floor.achat(chat),
        "li": lambda: c.li.achat(chat),
    }

    def block(call: Callable[[], Awaitable[object]]) -> Callable[[], float]:
        return lambda: loop.run_until_complete(_throughput(call, calls, in_flight))

    try:
        for call in calls_of.values():  # warm up: open the pools
            loop.run_until_complete(_throughput(call, in_flight, in_flight))
        figures = interleaved({name: block(call) for name, call in calls_of.items()}, rounds)
    finally:
        loop.run_until_complete(http.aclose())
        loop.run_until_complete(c.araw.close())
        loop.close()
    per_s = {name: median(values) for name, values in figures.items()}
    for name, floor, label in (
        ("core", "raw", "core acreate vs raw AsyncAnthropicVertex"),
        ("lc", "lc_floor", "ChatClaudeVertex.ainvoke vs LangChain floor"),
        ("li", "li_floor", "ClaudeVertex.achat vs LlamaIndex floor"),
    ):
        results.add(
            ratio_row(
                SECTION,
                f"{label}: throughput",
                ratio_of_medians_by_round(figures[name], figures[floor]),
                TARGETS["throughput"],
                at_least=True,
                note=f"{per_s[name]:.0f} vs {per_s[floor]:.0f} calls/s",
            )
        )
    results.add(
        Row(
            SECTION,
            f"plain httpx2, {in_flight} in flight (emulator's limit)",
            f"{per_s['httpx']:.0f} calls/s",
            note=f"raw SDK {per_s['raw']:.0f} calls/s",
        )
    )
