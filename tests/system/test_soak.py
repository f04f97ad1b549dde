"""A soak under random faults: every call through both adapters ends, typed and in time.

Calls go through one ``ChatClaudeVertex`` and one ``ClaudeVertex``, sync and async,
streamed and not, 50 at a time, while the emulator gives a share of requests a random fault:
429 quota, 529 overload, 503, a slow answer, a connection dropped mid-stream or an SSE
stream cut short. Every call must end in the right answer or a typed
``ClaudeVertexError`` within the bound the retry policy allows; nothing may hang, and once
the clients are closed no socket, file descriptor or thread may be left behind.

CI runs a short soak (a few seconds). ``pytest tests/system/test_soak.py --soak`` (or
``CLAUDE_VERTEX_SOAK=1``) runs the long one: 5,000 calls.
"""

from __future__ import annotations

import asyncio
import faulthandler
import math
import os
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from claude_vertex import VertexClient
from claude_vertex.failover import RetryPolicy
from claude_vertex.testing import Fault, VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.helpers import MakeSettings, hello
from tests.system.soak_support import (
    CALL_KINDS,
    Models,
    Outcome,
    Resources,
    call_async,
    call_sync,
    settle,
    tally,
)

MODEL = "claude-sonnet-4-5"
CONCURRENCY = 50
SHORT_CALLS = 400
LONG_CALLS = 5_000
FAULT_RATE = 0.3
SEED = 20_251_105
#: The slowest answer a fault makes; it applies to one attempt.
SLOW = 0.05
FAULTS = (
    Fault.quota_exhausted(),
    Fault.overloaded(),
    Fault.unavailable(),
    Fault.slow(SLOW),
    # Before the first event: retried like a connection error. After it: StreamInterrupted.
    Fault.drop_mid_stream(after_events=0),
    Fault.drop_mid_stream(after_events=3),
    Fault.truncated_stream(after_events=0),
    Fault.truncated_stream(after_events=4),
)
#: The models' per-request timeout. The emulator sends each answer in one burst, so an
#: attempt is one wait for it: no attempt lasts longer than this (plus a slow fault).
ATTEMPT_TIMEOUT = 3.0
#: What may stay open after the soak, beyond the baseline: one loopback connection (two
#: descriptors, since the emulator's end is in this process too) and the emulator thread
#: serving it, which a library under the adapters may keep alive (google-auth's session to
#: the token endpoint, say). A leak grows with the calls: one leaked pool is up to
#: 2 x CONCURRENCY sockets and CONCURRENCY threads, far beyond this.
SLACK = Resources(fds=2, sockets=2, threads=1)

#: What the injected faults may turn into once retries run out.
TYPED_ERRORS = {
    "QuotaExhaustedError",
    "OverloadedError",
    "ServerError",
    "StreamInterruptedError",
    "VertexConnectionError",
}


def longest_call(policy: RetryPolicy) -> float:
    """The longest a call may take under ``policy``.

    Every attempt waits its whole timeout, and every backoff its full ceiling (no fault here
    sends ``retry-after``).
    """
    backoffs = sum(
        min(policy.max_delay, policy.base_delay * 2**attempt)
        for attempt in range(policy.max_attempts - 1)
    )
    return policy.max_attempts * (ATTEMPT_TIMEOUT + SLOW) + backoffs


@pytest.fixture
def soak_calls(request: pytest.FixtureRequest) -> int:
    """How many calls: the long soak with ``--soak`` or ``CLAUDE_VERTEX_SOAK=1``."""
    long = request.config.getoption("--soak") or os.environ.get("CLAUDE_VERTEX_SOAK") == "1"
    return LONG_CALLS if long else SHORT_CALLS


async def soak(models: Models, calls: int) -> list[Outcome]:
    """Make ``calls`` calls, every kind in turn, at most CONCURRENCY in flight at once.

    Sync calls run on a pool of CONCURRENCY threads, async ones on this loop; one semaphore
    bounds both together.
    """
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(CONCURRENCY)
    with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="soak") as threads:

        async def one(index: int) -> Outcome:
            kind, prompt = CALL_KINDS[index % len(CALL_KINDS)], f"soak call {index}"
            async with gate:
                if kind.is_async:
                    return await call_async(models, kind, prompt)
                return await loop.run_in_executor(threads, call_sync, models, kind, prompt)

        return await asyncio.gather(*(one(index) for index in range(calls)))


def test_every_call_under_random_faults_ends_typed_within_its_bound_and_leaks_nothing(
    vertex_emulator: VertexEmulator,
    vertex_key_file: Path,
    soak_calls: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    place: dict[str, Any] = {
        "project": vertex_emulator.project,
        "base_url": vertex_emulator.base_url,
        "timeout": ATTEMPT_TIMEOUT,
    }
    models = Models(
        ChatClaudeVertex(model=MODEL, credentials=str(vertex_key_file), **place),
        ClaudeVertex(MODEL, credentials=vertex_key_file, **place),
    )
    # Equal settings and options: both models share this one process-wide client.
    client = VertexClient.shared(models.llm.settings, timeout=ATTEMPT_TIMEOUT)
    bound = longest_call(client.policy)
    overall = math.ceil(soak_calls / CONCURRENCY) * bound  # every wave at its worst
    models.llm.settings.tokens.token()
    baseline = Resources.now()

    vertex_emulator.inject_random(rate=FAULT_RATE, faults=FAULTS, seed=SEED)
    # A hung thread would outlive wait_for: then dump every stack and end the run.
    assert sys.__stderr__ is not None
    faulthandler.dump_traceback_later(overall + 60, exit=True, file=sys.__stderr__)
    started = time.perf_counter()
    try:
        outcomes = asyncio.run(asyncio.wait_for(soak(models, soak_calls), overall))
    finally:
        faulthandler.cancel_dump_traceback_later()
    elapsed = time.perf_counter() - started
    answered = vertex_emulator.requests
    vertex_emulator.reset()
    client.close()
    after = settle(baseline, SLACK)

    durations = sorted(o.seconds for o in outcomes)
    counts = Counter(o.result for o in outcomes)
    with capsys.disabled():
        print(
            f"\nsoak: {soak_calls} calls at concurrency {CONCURRENCY}, fault rate "
            f"{FAULT_RATE:.0%}, {len(answered)} requests, {elapsed:.1f} s "
            f"({soak_calls / elapsed:.0f} calls/s)"
        )
        print(tally(outcomes))
        print(
            f"call duration: median {statistics.median(durations):.3f} s, p99 "
            f"{durations[int(len(durations) * 0.99)]:.3f} s, max {durations[-1]:.3f} s "
            f"(bound {bound:.1f} s)"
        )
        print(f"before: {baseline}\nafter:  {after}")

    defects = [o for o in outcomes if o.result != "ok" and o.result not in TYPED_ERRORS]
    assert not defects, [f"{o.kind}: {o.result}: {o.detail}" for o in defects[:5]]
    assert counts["ok"] > soak_calls // 2
    interrupted = [o for o in outcomes if o.result == "StreamInterruptedError"]
    assert all(o.kind.streaming and o.events_received for o in interrupted)
    assert durations[-1] < bound
    assert {r.status for r in answered} >= {200, 429, 503, 529}
    assert after.within(baseline, SLACK), f"leaked: before {baseline}, after {after}"


def test_pools_of_closed_event_loops_do_not_pile_up(make_settings: MakeSettings) -> None:
    """Each ``asyncio.run`` gets its own pool; once its loop closes, the pool is let go."""
    client = VertexClient(make_settings())
    client.settings.tokens.token()
    baseline = Resources.now()

    async def ten_calls() -> None:
        await asyncio.gather(*(client.acreate(hello()) for _ in range(10)))

    for _ in range(5):
        asyncio.run(ten_calls())
    held = Resources.now()  # at most the last loop's pool: that loop may be reused
    client.close()
    after = settle(baseline, SLACK)
    assert SLACK.sockets is not None
    assert (
        held.sockets is None
        or baseline.sockets is None
        or (held.sockets <= baseline.sockets + 2 * 10 + SLACK.sockets)
    )
    assert after.within(baseline, SLACK), f"leaked: before {baseline}, after {after}"
