"""The calls and the process resources of the soak test (tests/test_soak.py).

A soak call is one request through one of the two adapters, sync or async, streamed or
not; each ends as an :class:`Outcome`. :class:`Resources` counts what a leak would leave
behind: file descriptors, sockets and threads.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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
    exception, or ``wrong answer`` (a silently short stream, say).
    """

    kind: CallKind
    result: str
    seconds: float
    #: For a StreamInterruptedError: the events that had reached the caller.
    events_received: int | None = None
    #: The error message or the wrong answer, for the test's report.
    detail: str = ""


def _ended(
    kind: CallKind, prompt: str, started: float, text: str | None, error: Exception | None = None
) -> Outcome:
    """The outcome of a call that returned ``text`` or raised ``error``."""
    seconds = time.perf_counter() - started
    if isinstance(error, ClaudeVertexError):
        return Outcome(kind, type(error).__name__, seconds, getattr(error, "events_received", None))
    if error is not None:
        return Outcome(kind, f"untyped {type(error).__name__}", seconds, detail=str(error))
    if text != EXPECTED.format(prompt=prompt):
        return Outcome(kind, "wrong answer", seconds, detail=repr(text))
    return Outcome(kind, "ok", seconds)


def call_sync(models: Models, kind: CallKind, prompt: str) -> Outcome:
    """Make one sync call of ``kind``, timed to its last chunk."""
    started = time.perf_counter()
    text = ""
    try:
        if kind.adapter == "langchain":
            if kind.streaming:
                text = "".join(chunk.text for chunk in models.chat.stream([HumanMessage(prompt)]))
            else:
                text = models.chat.invoke([HumanMessage(prompt)]).text
        else:
            messages = [ChatMessage(role="user", content=prompt)]
            if kind.streaming:
                for response in models.llm.stream_chat(messages):
                    text = str(response.message.content)
            else:
                text = str(models.llm.chat(messages).message.content)
    except Exception as error:  # classified: typed, or a defect the test reports
        return _ended(kind, prompt, started, None, error)
    return _ended(kind, prompt, started, text)


async def call_async(models: Models, kind: CallKind, prompt: str) -> Outcome:
    """Make one async call of ``kind``, timed to its last chunk."""
    started = time.perf_counter()
    text = ""
    try:
        if kind.adapter == "langchain":
            if kind.streaming:
                text = "".join(
                    [chunk.text async for chunk in models.chat.astream([HumanMessage(prompt)])]
                )
            else:
                text = (await models.chat.ainvoke([HumanMessage(prompt)])).text
        else:
            messages = [ChatMessage(role="user", content=prompt)]
            if kind.streaming:
                async for response in await models.llm.astream_chat(messages):
                    text = str(response.message.content)
            else:
                text = str((await models.llm.achat(messages)).message.content)
    except Exception as error:  # classified: typed, or a defect the test reports
        return _ended(kind, prompt, started, None, error)
    return _ended(kind, prompt, started, text)


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


def settle(baseline: Resources, slack: Resources, patience: float = 10.0) -> Resources:
    """Counts once they are back within ``slack`` of ``baseline``, or after ``patience`` s.

    The emulator runs in this process: its handler thread for a connection ends, and its end
    of the socket closes, a moment after the client closes the connection.
    """
    give_up = time.monotonic() + patience
    while True:
        now = Resources.now()
        if now.within(baseline, slack) or time.monotonic() > give_up:
            return now
        time.sleep(0.05)
