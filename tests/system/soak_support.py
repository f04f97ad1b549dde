"""The calls and the process resources of the soak test (tests/test_soak.py).

A soak call is one request through one of the two adapters, sync or async, streamed or
not; each ends as an :class:`Outcome`. :class:`Resources` counts what a leak would leave
behind: file descriptors, sockets and threads.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Generator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage

from claude_vertex import ClaudeVertexError
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex

Adapter = Literal["langchain", "llama_index"]

#: The emulator's answer to a user message that says ``prompt``.
EXPECTED = "Hello! You said: {prompt}"


@dataclass(frozen=True)
class CallKind:
    """One way of calling: which adapter, sync or async, streamed or not."""

    adapter: Adapter
    is_async: bool
    streaming: bool

    def __str__(self) -> str:
        return (
            f"{self.adapter} {'async' if self.is_async else 'sync'} "
            f"{'stream' if self.streaming else 'invoke'}"
        )


#: Every combination, so a soak of N calls spreads them evenly.
CALL_KINDS = tuple(
    CallKind(adapter, is_async, streaming)
    for adapter in ("langchain", "llama_index")
    for is_async in (False, True)
    for streaming in (False, True)
)


@dataclass(frozen=True)
class Models:
    """One model instance per adapter; the soak calls only these."""

    chat: ChatClaudeVertex
    llm: ClaudeVertex


@dataclass(frozen=True)
class Outcome:
    """How one call ended, and how long it took.

    ``result`` is ``ok``, a typed error's class name, ``untyped <class>`` for any other
    exception, or ``wrong answer`` (a silently short stream, say). A call whose answer is
    not judged (a hostile server's) that returns is ``answered``; a call cut short by its
    caller is ``broke off`` (out of a stream), ``cancelled`` or ``timed out``; one that
    outlived its hang limit is ``hang``.
    """

    kind: CallKind
    result: str
    seconds: float
    #: For a StreamInterruptedError: the events that had reached the caller.
    events_received: int | None = None
    #: The error message or the wrong answer, for the test's report.
    detail: str = ""
    #: Which server answered the call (``emulator`` or ``hostile``), for the report.
    server: str = "emulator"


#: The results of a call its caller cut short: the cancellation itself, not an error.
CUT_SHORT = {"broke off", "cancelled", "timed out"}


def _ended(
    kind: CallKind,
    prompt: str,
    started: float,
    text: str | None,
    error: Exception | None = None,
    *,
    judged: bool = True,
) -> Outcome:
    """The outcome of a call that returned ``text`` or raised ``error``."""
    seconds = time.perf_counter() - started
    if isinstance(error, ClaudeVertexError):
        return Outcome(kind, type(error).__name__, seconds, getattr(error, "events_received", None))
    if error is not None:
        return Outcome(kind, f"untyped {type(error).__name__}", seconds, detail=str(error))
    if not judged:
        return Outcome(kind, "answered", seconds)
    if text != EXPECTED.format(prompt=prompt):
        return Outcome(kind, "wrong answer", seconds, detail=repr(text))
    return Outcome(kind, "ok", seconds)


def _sync_answers(models: Models, kind: CallKind, prompt: str) -> Generator[str, None, None]:
    """The answer so far at each chunk of a sync stream; the whole answer of an invoke."""
    if kind.adapter == "langchain":
        if not kind.streaming:
            yield models.chat.invoke([HumanMessage(prompt)]).text
            return
        text = ""
        for chunk in models.chat.stream([HumanMessage(prompt)]):
            text += chunk.text
            yield text
        return
    messages = [ChatMessage(role="user", content=prompt)]
    if not kind.streaming:
        yield str(models.llm.chat(messages).message.content)
        return
    for response in models.llm.stream_chat(messages):
        yield str(response.message.content)


async def _async_answers(models: Models, kind: CallKind, prompt: str) -> AsyncIterator[str]:
    """The async form of :func:`_sync_answers`."""
    if kind.adapter == "langchain":
        if not kind.streaming:
            yield (await models.chat.ainvoke([HumanMessage(prompt)])).text
            return
        text = ""
        async for chunk in models.chat.astream([HumanMessage(prompt)]):
            text += chunk.text
            yield text
        return
    messages = [ChatMessage(role="user", content=prompt)]
    if not kind.streaming:
        yield str((await models.llm.achat(messages)).message.content)
        return
    async for response in await models.llm.astream_chat(messages):
        yield str(response.message.content)


def call_sync(
    models: Models,
    kind: CallKind,
    prompt: str,
    *,
    judged: bool = True,
    break_after: int | None = None,
) -> Outcome:
    """Make one sync call of ``kind``, timed to its last chunk.

    ``judged``: whether the answer must be the emulator's; ``break_after``: break out of a
    stream after that many chunks (the generator is closed then, as a ``for`` loop's is).
    """
    started = time.perf_counter()
    text = ""
    answers = _sync_answers(models, kind, prompt)
    try:
        for count, answer in enumerate(answers, 1):
            text = answer
            if count == break_after:
                return Outcome(kind, "broke off", time.perf_counter() - started)
    except Exception as error:  # classified: typed, or a defect the test reports
        return _ended(kind, prompt, started, None, error)
    finally:
        answers.close()
    return _ended(kind, prompt, started, text, judged=judged)


async def call_async(
    models: Models,
    kind: CallKind,
    prompt: str,
    *,
    judged: bool = True,
    break_after: int | None = None,
) -> Outcome:
    """Make one async call of ``kind``, timed to its last chunk.

    As :func:`call_sync`, but a stream broken out of is left to the event loop to close
    (as a plain ``break`` out of ``async for`` leaves it).
    """
    started = time.perf_counter()
    text = ""
    try:
        count = 0
        async for answer in _async_answers(models, kind, prompt):
            text, count = answer, count + 1
            if count == break_after:
                return Outcome(kind, "broke off", time.perf_counter() - started)
    except Exception as error:  # classified: typed, or a defect the test reports
        return _ended(kind, prompt, started, None, error)
    return _ended(kind, prompt, started, text, judged=judged)


async def cut_short(
    call: Coroutine[Any, Any, Outcome], kind: CallKind, how: str, after: float
) -> Outcome:
    """Run ``call``, cancelling it after ``after`` s: ``how`` is ``cancel`` or ``wait_for``.

    ``cancel`` cancels its task; ``wait_for`` runs it under :func:`asyncio.wait_for`. A call
    done by then keeps its outcome. A call whose task was cancelled and that ends other than
    by ``CancelledError`` swallowed the cancellation: ``cancel swallowed (<its result>)``.
    (Under ``wait_for`` that cannot be told from a call that ended in time.)
    """
    started = time.perf_counter()
    task = asyncio.ensure_future(call)
    if how == "wait_for":
        try:
            return await asyncio.wait_for(task, after)
        except asyncio.TimeoutError:  # the wait_for's own: call_async lets none through
            return Outcome(kind, "timed out", time.perf_counter() - started)
    done, _ = await asyncio.wait({task}, timeout=after)
    cancelled = not done and task.cancel()
    try:
        outcome = await task
    except asyncio.CancelledError:
        if not cancelled:
            raise
        return Outcome(kind, "cancelled", time.perf_counter() - started)
    if cancelled:
        return replace(outcome, result=f"cancel swallowed ({outcome.result})")
    return outcome


async def unless_hung(running: asyncio.Future[Outcome], kind: CallKind, limit: float) -> Outcome:
    """The outcome of ``running``, or ``hang`` if it has not ended after ``limit`` s.

    A sync call's thread cannot be stopped: a hung one keeps the soak's thread pool from
    closing, and the soak's overall timeout (faulthandler) ends the run.
    """
    done, _ = await asyncio.wait({running}, timeout=limit)
    if not done:
        running.cancel()
        return Outcome(kind, "hang", limit)
    try:
        return running.result()
    except asyncio.CancelledError as error:  # no one cancelled it: the library raised it
        return Outcome(kind, "untyped CancelledError", limit, detail=str(error))


def tally(outcomes: Iterable[Outcome]) -> str:
    """A table of outcomes (columns) per call kind (rows), for the test's output."""
    outcomes = list(outcomes)
    names = sorted({o.result for o in outcomes}, key=lambda name: (name != "ok", name))
    rows = [
        (str(kind), Counter(o.result for o in outcomes if o.kind == kind)) for kind in CALL_KINDS
    ]
    rows.append(("all", Counter(o.result for o in outcomes)))
    lines = [" " * 26 + "".join(f"{name:>{len(name) + 2}}" for name in names)]
    lines += [
        f"{label:26}" + "".join(f"{counts[name]:>{len(name) + 2}}" for name in names)
        for label, counts in rows
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- resources


_FD_DIR = Path("/proc/self/fd")


@dataclass(frozen=True)
class Resources:
    """Open file descriptors, sockets among them, and live threads of this process.

    Descriptors are read from ``/proc/self/fd``; where there is none (not Linux) they are
    ``None`` and only threads are compared.
    """

    fds: int | None
    sockets: int | None
    threads: int

    @classmethod
    def now(cls) -> Resources:
        """Count them now, after a garbage collection (so only live objects hold any)."""
        gc.collect()
        if not _FD_DIR.is_dir():
            return cls(None, None, threading.active_count())
        fds = sockets = 0
        for entry in os.listdir(_FD_DIR):
            try:
                target = os.readlink(_FD_DIR / entry)
            except OSError:  # the descriptor listdir itself used, closed since
                continue
            fds += 1
            sockets += target.startswith("socket:")
        return cls(fds, sockets, threading.active_count())

    def within(self, baseline: Resources, slack: Resources) -> bool:
        """Whether no count exceeds ``baseline`` by more than ``slack``."""
        pairs = (
            (self.fds, baseline.fds, slack.fds),
            (self.sockets, baseline.sockets, slack.sockets),
            (self.threads, baseline.threads, slack.threads),
        )
        return all(
            now is None or before is None or now <= before + (extra or 0)
            for now, before, extra in pairs
        )

    def __str__(self) -> str:
        fds = (
            "descriptors not countable here"
            if self.fds is None
            else (f"{self.fds} fds ({self.sockets} sockets)")
        )
        return f"{fds}, {self.threads} threads"


#: The names of the threads the core starts for a while: one per token refresh (it ends with
#: its token request) and the deadline watchdog (it ends a few seconds after the last
#: response of a call with a deadline closed).
CORE_THREADS = ("claude-vertex-auth", "claude-vertex-deadlines")


_NONE = Resources(0, 0, 0)


def core_threads() -> list[str]:
    """The core's background threads alive now (see :data:`CORE_THREADS`)."""
    return [thread.name for thread in threading.enumerate() if thread.name in CORE_THREADS]


def at_rest(patience: float = 10.0) -> Resources:
    """Counts once the core's background threads have ended (or after ``patience`` s).

    A baseline taken right after a token refresh could count the refresh's thread, which
    ends a moment after handing the token over, and so hide a leaked thread.
    """
    give_up = time.monotonic() + patience
    while core_threads() and time.monotonic() < give_up:
        time.sleep(0.05)
    return Resources.now()


def settle(
    baseline: Resources, slack: Resources, patience: float = 10.0, linger: float = 1.0
) -> Resources:
    """Counts once they are back at ``baseline`` and the core's background threads have ended.

    Counts within ``slack`` of ``baseline`` are returned after ``linger`` s more, and any
    counts after ``patience`` s. The emulator runs in this process: its handler thread for a
    connection ends, and its end of the socket closes, a moment after the client closes the
    connection. The core's watchdog sleeps at most a second between looks, and a refresh
    against the emulator ends at once: the default patience is ample for both.
    """
    give_up = time.monotonic() + patience
    close_since: float | None = None
    while True:
        now = Resources.now()
        quiet = not core_threads()
        if quiet and now.within(baseline, _NONE):
            return now
        if quiet and now.within(baseline, slack):
            close_since = close_since or time.monotonic()
            if time.monotonic() - close_since > linger:
                return now
        elif time.monotonic() > give_up:
            return now
        time.sleep(0.05)
