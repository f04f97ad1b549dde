"""2. Streaming a 2,000-token answer: total time against the floor, first text against raw.

The emulator streams one ``text_delta`` per word; ``[[words:1280]]`` makes an answer of
1,280 words, which it counts as 2,000 output tokens (``--quick`` streams 100). "First chunk"
is the first piece of answer text each contender hands its caller (an empty opening chunk does
not count).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from llama_index.core.base.llms.types import ChatMessage

from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex

from .contenders import Contenders, adapter_options, core_params, floors, raw_payload, wire_body
from .harness import MODEL, Results, Row, interleaved, median, ratio_of_medians_by_round, ratio_row
from .report import TARGETS

SECTION = "2. streaming"
WORDS = 1280
#: Output tokens the emulator counts per word of its vocabulary (6.25 characters a word).
TOKENS_PER_WORD = 1.5625
MAX_TOKENS = 4096


def prompt_for(words: int) -> str:
    """The prompt whose answer is ``words`` words long."""
    return f"Tell me a long story. [[words:{words}]]"


PROMPT = prompt_for(WORDS)


@dataclass
class StreamTimes:
    """Seconds to the first text and to the end of each stream of one contender."""

    first: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)


#: Opens one stream of a contender: the texts it hands its caller, piece by piece.
TextSource = Callable[[], Iterable[str]]


def _timed(texts: TextSource, times: StreamTimes, streams: int) -> Callable[[], float]:
    """A block that consumes ``streams`` streams, recording first-text and total seconds."""

    def block() -> float:
        firsts, totals = [], []
        for _ in range(streams):
            start = time.perf_counter()
            first = 0.0
            for text in texts():
                if text and not first:
                    first = time.perf_counter() - start
            totals.append(time.perf_counter() - start)
            firsts.append(first)
        times.first.append(median(firsts))
        times.total.append(median(totals))
        return times.total[-1]

    return block


def run(
    c: Contenders, results: Results, *, rounds: int = 10, streams: int = 2, words: int = WORDS
) -> None:
    """``streams`` streams per contender per round, ``rounds`` interleaved rounds."""
    prompt = prompt_for(words)
    options = {**adapter_options(c.emulator), "max_tokens": MAX_TOKENS}
    lc = ChatClaudeVertex(model=MODEL, **options)
    li = ClaudeVertex(model=MODEL, **options)
    sources = {**_baseline_sources(c, prompt), **_framework_sources(c, prompt, lc, li)}
    times = {name: StreamTimes() for name in sources}
    tokens = round(words * TOKENS_PER_WORD)
    _check_length(lc, prompt, tokens)
    for source in sources.values():  # warm up: pools, lazy imports
        for _ in source():
            pass
    interleaved(
        {name: _timed(source, times[name], streams) for name, source in sources.items()}, rounds
    )
    _add_rows(results, times, tokens)
    _add_delta_rows(results, times, words)


def _text_deltas(stream: AbstractContextManager[Iterable[Any]]) -> Iterator[str]:
    """The text of each ``text_delta`` of a stream of Messages API events; closes the stream."""
    with stream as events:
        for event in events:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                yield event.delta.text


def _plain_texts(c: Contenders, body: bytes) -> Iterator[str]:
    """A stream of plain httpx2: the SSE ``data:`` lines of its text deltas."""
    with c.http.stream(
        "POST", c.plain.stream_url, content=body, headers=c.plain.headers
    ) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("data:") and '"text_delta"' in line:
                yield line


def _baseline_sources(c: Contenders, prompt: str) -> dict[str, TextSource]:
    """The streams without a framework: plain httpx2, the raw SDK and the core."""
    payload = raw_payload(prompt, MAX_TOKENS)
    params = core_params(prompt, MAX_TOKENS)
    body = wire_body(prompt, MAX_TOKENS, stream=True)
    return {
        "httpx": partial(_plain_texts, c, body),
        "raw": lambda: _text_deltas(c.raw.messages.create(**payload, stream=True)),
        "core": lambda: _text_deltas(c.core.stream(params)),
    }


def _framework_sources(
    c: Contenders, prompt: str, lc: ChatClaudeVertex, li: ClaudeVertex
) -> dict[str, TextSource]:
    """The streams of each framework's floor and adapter."""
    lc_floor, li_floor = floors(c.raw, c.araw, MAX_TOKENS)
    chat = [ChatMessage(role="user", content=prompt)]
    return {
        "lc_floor": lambda: (str(chunk.content) for chunk in lc_floor.stream(prompt)),
        "lc": lambda: (str(chunk.content) for chunk in lc.stream(prompt)),
        "li_floor": lambda: (r.delta or "" for r in li_floor.stream_chat(chat)),
        "li": lambda: (r.delta or "" for r in li.stream_chat(chat)),
    }


def _add_rows(results: Results, times: dict[str, StreamTimes], tokens: int) -> None:
    """The rows: total time against each floor, first text against the raw SDK, plain httpx2."""
    total_ms = {name: median(t.total) * 1000 for name, t in times.items()}
    first_ms = {name: median(t.first) * 1000 for name, t in times.items()}
    for name, floor, label, target in (
        ("core", "raw", "core .stream vs raw SDK stream", TARGETS["core stream"]),
        ("lc", "lc_floor", "ChatClaudeVertex.stream vs LangChain floor", TARGETS["adapter stream"]),
        (
            "li",
            "li_floor",
            "ClaudeVertex.stream_chat vs LlamaIndex floor",
            TARGETS["adapter stream"],
        ),
    ):
        results.add(
            ratio_row(
                SECTION,
                f"{label}, {tokens:,}-token answer: total",
                ratio_of_medians_by_round(times[name].total, times[floor].total),
                target,
                note=f"{total_ms[name]:.1f} vs {total_ms[floor]:.1f} ms",
            )
        )
    for name, label in (("core", "core"), ("lc", "ChatClaudeVertex"), ("li", "ClaudeVertex")):
        gap = median([a - b for a, b in zip(times[name].first, times["raw"].first, strict=True)])
        results.add(
            Row(
                SECTION,
                f"{label}: first chunk after raw SDK's first text",
                f"{gap * 1000:+.2f} ms",
                "<= +2.00 ms",
                gap <= 0.002,
                note=f"{first_ms[name]:.2f} vs {first_ms['raw']:.2f} ms",
            )
        )
    results.add(
        Row(
            SECTION,
            "plain httpx2 stream (emulator + loopback)",
            f"{total_ms['httpx']:.1f} ms",
            note=f"first text {first_ms['httpx']:.2f} ms; raw SDK {total_ms['raw']:.1f} ms",
        )
    )


def _add_delta_rows(results: Results, times: dict[str, StreamTimes], deltas: int) -> None:
    """Microseconds per streamed delta (one per word), and the core against plain httpx2."""
    per_delta = {name: median(t.total) / deltas * 1e6 for name, t in times.items()}
    results.add(
        Row(
            SECTION,
            "core .stream: per streamed delta",
            f"{per_delta['core']:.1f} us",
            note=(
                f"raw SDK {per_delta['raw']:.1f} us, plain httpx2 {per_delta['httpx']:.1f} us "
                f"(emulator + loopback, {deltas:,} deltas)"
            ),
        )
    )
    results.add(
        Row(
            SECTION,
            "core .stream vs plain httpx2 stream (the transport's limit)",
            f"{ratio_of_medians_by_round(times['core'].total, times['httpx'].total):.3f}x",
            note=f"+{per_delta['core'] - per_delta['httpx']:.1f} us per delta over plain httpx2",
        )
    )


def _check_length(lc: ChatClaudeVertex, prompt: str, expected: int) -> None:
    """Fail loudly if the emulator no longer makes an answer of ``expected`` tokens."""
    answer = lc.invoke(prompt)
    tokens = answer.usage_metadata["output_tokens"] if answer.usage_metadata else 0
    if abs(tokens - expected) > expected * 0.05:
        raise RuntimeError(f"the streaming prompt made {tokens} output tokens, not ~{expected}")
