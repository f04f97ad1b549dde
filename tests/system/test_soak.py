"""A soak under random faults: every call through both adapters ends, typed and in time.

Calls go through one ``ChatClaudeVertex`` and one ``ClaudeVertex``, sync and async,
streamed and not, 50 at a time, while the emulator gives a share of requests a random fault:
429 quota, 529 overload, 503, a slow answer, a connection dropped mid-stream or an SSE
stream cut short. Every call must end in the right answer or a typed
``ClaudeVertexError`` within the bound the retry policy allows; nothing may hang, and once
the clients are closed no socket, file descriptor or thread may be left behind.

A second soak adds what callers and broken servers do: a share of calls is cut short by its
caller at a random moment (its task cancelled, an ``asyncio.wait_for`` timing out, a
``break`` out of a stream), a share goes to a hostile server (tests/hostile.py) that answers
with HTML, invalid UTF-8, JSON 10,000 deep, huge bodies, stream events out of order, answers
of the wrong shape, or stalls (pings only, a body trickled, no answer at all) that the
models' short deadline ends, and the emulator's tokens expire every second, so calls meet
401s and refreshes. Every call must end in the right answer (or, from the hostile server,
any answer), a typed ``ClaudeVertexError`` or its own cancellation, within its bound: no
untyped error, no hang, and again nothing left behind.

CI runs short soaks (a few seconds each). ``pytest tests/system/test_soak.py --soak`` (or
``CLAUDE_VERTEX_SOAK=1``) runs the long ones: 5,000 calls each.
"""

from __future__ import annotations

import asyncio
import faulthandler
import functools
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from claude_vertex import ClaudeVertexError, VertexClient
from claude_vertex.failover import RetryPolicy
from claude_vertex.testing import Fault, VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.helpers import MakeSettings, hello
from tests.hostile import (
    OUT_OF_ORDER,
    UNREADABLE,
    UNREADABLE_STREAMS,
    HostileServer,
    Picker,
    Scripted,
    huge,
    out_of_order,
    stall,
)
from tests.system.soak_support import (
    CALL_KINDS,
    CUT_SHORT,
    CallKind,
    Models,
    Outcome,
    Resources,
    at_rest,
    call_async,
    call_sync,
    core_threads,
    cut_short,
    settle,
    tally,
    unless_hung,
)
from tests.system.test_hostile_answers import ANSWERS as WRONG_SHAPE_ANSWERS
from tests.system.test_hostile_answers import STREAMS as WRONG_SHAPE_STREAMS

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
def long_soak(request: pytest.FixtureRequest) -> bool:
    """Whether to run the long soaks: ``--soak`` or ``CLAUDE_VERTEX_SOAK=1``."""
    return bool(request.config.getoption("--soak") or os.environ.get("CLAUDE_VERTEX_SOAK") == "1")


@pytest.fixture
def soak_calls(long_soak: bool) -> int:
    """How many calls the soak under random faults makes."""
    return LONG_CALLS if long_soak else SHORT_CALLS


def models_at(base_url: str, project: str, key_file: Path, **options: Any) -> Models:
    """A ``ChatClaudeVertex`` and a ``ClaudeVertex`` sending to ``base_url``.

    With equal settings and options both share one process-wide client (see
    :func:`client_of`), and with the same key file one token provider.
    """
    place: dict[str, Any] = {
        "project": project,
        "base_url": base_url,
        "timeout": ATTEMPT_TIMEOUT,
        **options,
    }
    return Models(
        ChatClaudeVertex(model=MODEL, credentials=str(key_file), **place),
        ClaudeVertex(MODEL, credentials=key_file, **place),
    )


def client_of(models: Models, deadline: float | None = None) -> VertexClient:
    """The process-wide client both ``models`` call through."""
    return VertexClient.shared(models.llm.settings, timeout=ATTEMPT_TIMEOUT, deadline=deadline)


def run_bounded(calls: Coroutine[Any, Any, list[Outcome]], overall: float) -> list[Outcome]:
    """Run the soak ``calls`` on a new event loop, for at most ``overall`` s.

    A hung thread would outlive ``wait_for``: then faulthandler dumps every stack a minute
    later and ends the run.
    """
    assert sys.__stderr__ is not None
    faulthandler.dump_traceback_later(overall + 60, exit=True, file=sys.__stderr__)
    try:
        return asyncio.run(asyncio.wait_for(calls, overall))
    finally:
        faulthandler.cancel_dump_traceback_later()


def durations(outcomes: list[Outcome], bound: float) -> str:
    """Median, p99 and longest call, for the report."""
    seconds = sorted(o.seconds for o in outcomes)
    return (
        f"median {statistics.median(seconds):.3f} s, p99 "
        f"{seconds[int(len(seconds) * 0.99)]:.3f} s, max {seconds[-1]:.3f} s "
        f"(bound {bound:.1f} s)"
    )


#: One soak call: its index, and the thread pool for sync calls; it ends as an Outcome.
Runner = Callable[[int, ThreadPoolExecutor], Awaitable[Outcome]]


async def soak(calls: int, run: Runner) -> list[Outcome]:
    """Make ``calls`` calls with ``run``, at most CONCURRENCY in flight at once.

    Sync calls run on a pool of CONCURRENCY threads, async ones on this loop; one semaphore
    bounds both together.
    """
    gate = asyncio.Semaphore(CONCURRENCY)
    with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="soak") as threads:

        async def one(index: int) -> Outcome:
            async with gate:
                return await run(index, threads)

        return await asyncio.gather(*(one(index) for index in range(calls)))


def plainly(models: Models) -> Runner:
    """Every kind of call in turn, each to its end."""

    async def run(index: int, threads: ThreadPoolExecutor) -> Outcome:
        kind, prompt = CALL_KINDS[index % len(CALL_KINDS)], f"soak call {index}"
        if kind.is_async:
            return await call_async(models, kind, prompt)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(threads, call_sync, models, kind, prompt)

    return run


def test_every_call_under_random_faults_ends_typed_within_its_bound_and_leaks_nothing(
    vertex_emulator: VertexEmulator,
    vertex_key_file: Path,
    soak_calls: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    models = models_at(vertex_emulator.base_url, vertex_emulator.project, vertex_key_file)
    client = client_of(models)
    bound = longest_call(client.policy)
    overall = math.ceil(soak_calls / CONCURRENCY) * bound  # every wave at its worst
    models.llm.settings.tokens.token()
    baseline = at_rest()

    vertex_emulator.inject_random(rate=FAULT_RATE, faults=FAULTS, seed=SEED)
    started = time.perf_counter()
    outcomes = run_bounded(soak(soak_calls, plainly(models)), overall)
    elapsed = time.perf_counter() - started
    answered = vertex_emulator.requests
    vertex_emulator.reset()
    client.close()
    after = settle(baseline, SLACK)

    counts = Counter(o.result for o in outcomes)
    with capsys.disabled():
        print(
            f"\nsoak: {soak_calls} calls at concurrency {CONCURRENCY}, fault rate "
            f"{FAULT_RATE:.0%}, {len(answered)} requests, {elapsed:.1f} s "
            f"({soak_calls / elapsed:.0f} calls/s)"
        )
        print(tally(outcomes))
        print(f"call duration: {durations(outcomes, bound)}")
        print(f"before: {baseline}\nafter:  {after}")

    defects = [o for o in outcomes if o.result != "ok" and o.result not in TYPED_ERRORS]
    assert not defects, [f"{o.kind}: {o.result}: {o.detail}" for o in defects[:5]]
    assert counts["ok"] > soak_calls // 2
    interrupted = [o for o in outcomes if o.result == "StreamInterruptedError"]
    assert all(o.kind.streaming and o.events_received for o in interrupted)
    assert max(o.seconds for o in outcomes) < bound
    assert {r.status for r in answered} >= {200, 429, 503, 529}
    assert after.within(baseline, SLACK), f"leaked: before {baseline}, after {after}"


# --------------------------------------------------------------------------- hostile soak

SHORT_HOSTILE_CALLS = 400
LONG_HOSTILE_CALLS = 5_000
#: The shares of calls sent to the hostile server, and of calls their caller cuts short
#: (of those that can be: a sync invoke cannot).
HOSTILE_SHARE = 0.25
CUT_SHARE = 0.3
#: The hostile models' deadline: a stall ends in a typed error then.
HOSTILE_DEADLINE = 2.0
#: How long a stall would go on without the deadline.
STALL = 3 * HOSTILE_DEADLINE
#: How far past its deadline a hostile call may end. The watchdog shuts a stalled socket at
#: the deadline itself; the rest is room for the soak's load on a small, shared machine.
DEADLINE_GRACE = 2.0
#: How often the emulator's tokens expire: the next calls meet a 401 and a token refresh,
#: which a cancellation may interrupt.
TOKEN_EXPIRY = 1.0
#: A call still running this long after its bound hangs.
HANG_AFTER = 30.0
#: What the emulator's side may end in: its faults, and a 401 that a second expiry made
#: while its call retried with a fresh token.
EMULATOR_ERRORS = TYPED_ERRORS | {"AuthenticationError"}


def _typed_names(cls: type[Exception] = ClaudeVertexError) -> set[str]:
    """The names of ``cls`` and every subclass of it."""
    return {cls.__name__}.union(*(_typed_names(sub) for sub in cls.__subclasses__()))


TYPED = _typed_names()


def hostile_replies(seed: int) -> Picker:
    """A random hostile reply for each request, one fit for its route (streamed or not)."""
    streams = [
        *UNREADABLE_STREAMS.values(),
        *(out_of_order(events) for events in OUT_OF_ORDER.values()),
        *WRONG_SHAPE_STREAMS.values(),
        huge("event", 9),  # over the 8 MB an event may hold
        huge("error", 2),  # over the 1 MB an error body may hold
        stall("pings", STALL),
        stall("hang", STALL),
    ]
    answers = [
        *UNREADABLE.values(),
        *(Scripted.json(answer) for answer in WRONG_SHAPE_ANSWERS.values()),
        huge("answer", 33),  # over the 32 MB an answer may hold
        huge("error", 2),
        stall("trickle", STALL),
        stall("hang", STALL),
    ]
    chance = random.Random(seed)

    def pick(path: str) -> Scripted:  # the server calls it under its lock
        return chance.choice(streams if path.endswith(":streamRawPredict") else answers)

    return pick


@dataclass(frozen=True)
class Plan:
    """What call ``index`` of the hostile soak does."""

    kind: CallKind
    prompt: str
    hostile: bool
    #: How its caller cuts it short: ``break`` (out of a stream), ``cancel`` (its task),
    #: ``wait_for`` (a timeout), or not at all (None).
    cut: str | None
    #: Chunks before a ``break``; seconds before a ``cancel`` or a ``wait_for`` timeout.
    after: float

    @classmethod
    def of(cls, index: int) -> Plan:
        chance = random.Random(SEED + index)
        kind = CALL_KINDS[index % len(CALL_KINDS)]
        hostile = chance.random() < HOSTILE_SHARE
        ways = ["break"] * kind.streaming + ["cancel", "wait_for"] * kind.is_async
        cut = chance.choice(ways) if ways and chance.random() < CUT_SHARE else None
        # A break after one to three chunks; a cancellation at any moment from 1 ms to 3 s,
        # as often in each decade: while connecting, in a backoff or a refresh, mid-stream.
        after = chance.randint(1, 3) if cut == "break" else 10 ** chance.uniform(-3, 0.5)
        return cls(kind, f"soak call {index}", hostile, cut, after)


def hostilely(models: Models, hostile: Models, limits: tuple[float, float]) -> Runner:
    """Each call as :meth:`Plan.of` says, its outcome or ``hang`` after ``limits`` s.

    ``limits``: the hang limits of a call to the emulator and to the hostile server.
    """

    async def run(index: int, threads: ThreadPoolExecutor) -> Outcome:
        plan = Plan.of(index)
        to = hostile if plan.hostile else models
        break_after = int(plan.after) if plan.cut == "break" else None
        running: asyncio.Future[Outcome]
        if plan.kind.is_async:
            call = call_async(
                to, plan.kind, plan.prompt, judged=not plan.hostile, break_after=break_after
            )
            if plan.cut in ("cancel", "wait_for"):
                call = cut_short(call, plan.kind, plan.cut, plan.after)
            running = asyncio.ensure_future(call)
        else:
            sync = functools.partial(
                call_sync,
                to,
                plan.kind,
                plan.prompt,
                judged=not plan.hostile,
                break_after=break_after,
            )
            running = asyncio.get_running_loop().run_in_executor(threads, sync)
        outcome = await unless_hung(running, plan.kind, limits[plan.hostile])
        return replace(outcome, server="hostile" if plan.hostile else "emulator")

    return run


async def with_tokens_expiring(
    emulator: VertexEmulator, calls: Awaitable[list[Outcome]]
) -> list[Outcome]:
    """Await ``calls`` while the emulator's tokens expire every TOKEN_EXPIRY s."""

    async def expire() -> None:
        while True:
            await asyncio.sleep(TOKEN_EXPIRY)
            emulator.expire_tokens()

    expiring = asyncio.ensure_future(expire())
    try:
        return await calls
    finally:
        expiring.cancel()


#: Before Python 3.11 asyncio has no ``Task.uncancel``, and the HTTP stack under the anthropic
#: SDK (httpx2 on anyio) can lose a cancellation that lands as a response completes: a plain
#: ``httpx2.AsyncClient().post`` cancelled at random showed it about once in a hundred
#: cancellations on 3.10 and never on 3.11. There the soak counts such calls but cannot fail
#: on them; from 3.11 on a swallowed cancellation is a defect.
SWALLOWS_CANCELLATION = sys.version_info < (3, 11)


def defect(outcome: Outcome) -> bool:
    """Whether the soak forbids ``outcome``.

    That is an untyped error, a hang, a wrong answer, a swallowed cancellation, or an error
    the emulator's faults (and its expiring tokens) cannot cause.
    """
    if outcome.result in CUT_SHORT or outcome.result == "ok":
        return False
    if outcome.result.startswith("cancel swallowed") and SWALLOWS_CANCELLATION:
        return False
    if outcome.server == "hostile":
        return outcome.result not in TYPED and outcome.result != "answered"
    return outcome.result not in EMULATOR_ERRORS


@pytest.fixture
def hostile_calls(long_soak: bool) -> int:
    """How many calls the soak with cancellations and hostile replies makes."""
    return LONG_HOSTILE_CALLS if long_soak else SHORT_HOSTILE_CALLS


def test_calls_cut_short_or_answered_by_a_hostile_server_end_typed_and_leak_nothing(
    vertex_emulator: VertexEmulator,
    vertex_key_file: Path,
    hostile_calls: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    models = models_at(vertex_emulator.base_url, vertex_emulator.project, vertex_key_file)
    client = client_of(models)
    # Every attempt at its worst, and one more after a 401 (its token expired meanwhile).
    bound = longest_call(client.policy) + ATTEMPT_TIMEOUT + SLOW
    hostile_bound = HOSTILE_DEADLINE + DEADLINE_GRACE
    overall = math.ceil(hostile_calls / CONCURRENCY) * bound + HANG_AFTER
    tokens = models.llm.settings.tokens
    tokens.token()
    refreshed = tokens.refresh_count
    baseline = at_rest()

    with HostileServer(
        hostile_replies(SEED), lifetime=overall + 60, max_requests=10 * hostile_calls
    ) as server:
        hostile = models_at(
            server.base_url, vertex_emulator.project, vertex_key_file, deadline=HOSTILE_DEADLINE
        )
        hostile_client = client_of(hostile, deadline=HOSTILE_DEADLINE)
        vertex_emulator.inject_random(rate=FAULT_RATE, faults=FAULTS, seed=SEED)
        run = hostilely(models, hostile, (bound + HANG_AFTER, hostile_bound + HANG_AFTER))
        started = time.perf_counter()
        outcomes = run_bounded(
            with_tokens_expiring(vertex_emulator, soak(hostile_calls, run)), overall
        )
        elapsed = time.perf_counter() - started
        hostile_requests = len(server.paths)
    refreshes = tokens.refresh_count - refreshed
    emulator_requests = len(vertex_emulator.requests)
    vertex_emulator.reset()
    client.close()
    hostile_client.close()
    after = settle(baseline, SLACK)
    left = core_threads()

    by_server = {
        name: [o for o in outcomes if o.server == name] for name in ("emulator", "hostile")
    }
    untyped = [o for o in outcomes if defect(o) and o.result.startswith(("untyped", "cancel"))]
    hangs = [o for o in outcomes if o.result == "hang"]
    late = [o for o in outcomes if o.seconds >= (hostile_bound if o.server == "hostile" else bound)]
    with capsys.disabled():
        print(
            f"\nhostile soak: {hostile_calls} calls at concurrency {CONCURRENCY} "
            f"({len(by_server['hostile'])} to the hostile server), {emulator_requests} "
            f"emulator and {hostile_requests} hostile requests, {refreshes} token refreshes, "
            f"{elapsed:.1f} s"
        )
        for (name, some), its_bound in zip(by_server.items(), (bound, hostile_bound), strict=True):
            print(f"{name}, calls by outcome:\n{tally(some)}")
            print(f"{name} call duration: {durations(some, its_bound)}")
        print(f"untyped errors: {len(untyped)}, hangs: {len(hangs)}, late: {len(late)}")
        if SWALLOWS_CANCELLATION:
            swallowed = [o for o in outcomes if o.result.startswith("cancel swallowed")]
            print(f"cancellations lost in the HTTP stack (Python < 3.11): {len(swallowed)}")
        print(f"before: {baseline}\nafter:  {after}")

    defects = [o for o in outcomes if defect(o)]
    assert not defects, [f"{o.server} {o.kind}: {o.result}: {o.detail}" for o in defects[:5]]
    assert not late, [f"{o.server} {o.kind}: {o.result} after {o.seconds:.1f} s" for o in late[:5]]
    results = Counter(o.result for o in outcomes)
    assert set(results) >= CUT_SHORT  # every way of cutting a call short happened
    assert results["ok"] > len(by_server["emulator"]) // 2
    hostile_ends = Counter(o.result for o in by_server["hostile"])
    assert hostile_ends["MalformedResponseError"]  # unreadable answers
    assert hostile_ends["VertexConnectionError"]  # stalls, ended by the deadline
    assert after.within(baseline, SLACK), f"leaked: before {baseline}, after {after}"
    assert not left, f"core threads still running: {left}"


def sockets_within(baseline: Resources, extra: int, patience: float = 5.0) -> Resources:
    """Counts once at most ``extra`` sockets are open beyond ``baseline``, or after ``patience``.

    The emulator's end of a connection closes a moment after the client's end does.
    """
    give_up = time.monotonic() + patience
    while True:
        now = Resources.now()
        if (
            now.sockets is None
            or baseline.sockets is None
            or now.sockets <= baseline.sockets + extra
            or time.monotonic() > give_up
        ):
            return now
        time.sleep(0.05)


def test_pools_of_closed_event_loops_do_not_pile_up(make_settings: MakeSettings) -> None:
    """Each ``asyncio.run`` gets its own pool; once its loop closes, the pool is let go."""
    client = VertexClient(make_settings())
    client.settings.tokens.token()
    baseline = at_rest()

    async def ten_calls() -> None:
        await asyncio.gather(*(client.acreate(hello()) for _ in range(10)))

    for _ in range(5):
        asyncio.run(ten_calls())
    # At most the last loop's pool (that loop may be reused): ten connections, both ends.
    assert SLACK.sockets is not None
    limit = 2 * 10 + SLACK.sockets
    held = sockets_within(baseline, limit)
    client.close()
    after = settle(baseline, SLACK)
    assert (
        held.sockets is None
        or baseline.sockets is None
        or (held.sockets <= baseline.sockets + limit)
    ), f"held: before {baseline}, after five loops {held}"
    assert after.within(baseline, SLACK), f"leaked: before {baseline}, after {after}"
