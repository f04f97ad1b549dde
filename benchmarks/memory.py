"""6. Memory: memory per model instance, and over 10,000 calls (no growth trend).

Instances: ``instances`` more model objects with the same settings are built and kept; the
growth of the Python heap (and of resident memory) divided by their number is the cost of
one (they share settings, token provider and connection pool). Calls: resident memory is
sampled (after a garbage collection) every tenth of the calls; after the first tenth
(pools, caches and lazy imports warm up) the samples must show no trend: the least-squares
slope, projected over the calls, stays under :data:`GROWTH_LIMIT_BYTES`.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Sequence

from llama_index.core.base.llms.types import ChatMessage

from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex

from .contenders import SMALL_PROMPT, Contenders, adapter_options
from .floor_langchain import FloorChatModel
from .floor_llama_index import FloorLLM
from .harness import MODEL, VERTEX_MODEL, Results, Row, rss_bytes

SECTION = "6. memory"
#: Most resident-memory growth allowed over the measured calls (after the warm-up tenth).
GROWTH_LIMIT_BYTES = 2 * 1024 * 1024
SAMPLES = 10


def _per_instance(build: Callable[[], object], instances: int) -> tuple[float, float]:
    """Bytes per instance of ``instances`` kept instances: (Python heap, resident memory).

    Two passes: resident memory first, then the heap with ``tracemalloc`` (whose own
    bookkeeping would inflate resident memory). The heap figure is exact; resident memory
    moves in pages and reuses what the allocator freed before, so it is coarse.
    """
    gc.collect()
    before = rss_bytes()
    kept = [build() for _ in range(instances)]
    gc.collect()
    rss = rss_bytes() - before
    del kept
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [build() for _ in range(instances)]
    gc.collect()
    heap = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del kept
    return heap / instances, rss / instances


def slope(samples: Sequence[float]) -> float:
    """The least-squares slope of ``samples`` per sample."""
    n = len(samples)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(samples) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(samples))
    return num / sum((x - mean_x) ** 2 for x in range(n))


def _over_calls(call: Callable[[], object], calls: int) -> tuple[float, list[int]]:
    """Projected growth (bytes) over the calls after the first tenth, and the samples."""
    per_sample = max(1, calls // SAMPLES)
    samples = []
    for _ in range(SAMPLES):
        for _ in range(per_sample):
            call()
        gc.collect()
        samples.append(rss_bytes())
    steady = samples[1:]
    return slope(steady) * (len(steady) - 1), samples


def run(c: Contenders, results: Results, *, instances: int = 1000, calls: int = 10_000) -> None:
    """Measure instance cost over ``instances`` instances and growth over ``calls`` calls."""
    options = adapter_options(c.emulator)
    builders: dict[str, Callable[[], object]] = {
        "ChatClaudeVertex": lambda: ChatClaudeVertex(model=MODEL, **options),
        "LangChain floor": lambda: FloorChatModel(
            client=c.raw, async_client=c.araw, model=VERTEX_MODEL
        ),
        "ClaudeVertex": lambda: ClaudeVertex(model=MODEL, **options),
        "LlamaIndex floor": lambda: FloorLLM(client=c.raw, async_client=c.araw, model=VERTEX_MODEL),
    }
    for name, build in builders.items():
        build()
        heap, rss = _per_instance(build, instances)
        results.add(
            Row(
                SECTION,
                f"{name}: memory per instance",
                f"{heap / 1024:.1f} KiB",
                note=f"Python heap (tracemalloc) over {instances} instances kept; "
                f"resident {rss / 1024:+.1f} KiB",
            )
        )
    chat = [ChatMessage(role="user", content=SMALL_PROMPT)]
    for name, call in (
        ("ChatClaudeVertex.invoke", lambda: c.lc.invoke(SMALL_PROMPT)),
        ("ClaudeVertex.chat", lambda: c.li.chat(chat)),
    ):
        growth, samples = _over_calls(call, calls)
        mib = [f"{s / 2**20:.1f}" for s in samples]
        results.add(
            Row(
                SECTION,
                f"{name}: resident memory trend over {calls:,} calls",
                f"{growth / 1024:+.0f} KiB",
                f"< {GROWTH_LIMIT_BYTES // 1024} KiB",
                growth < GROWTH_LIMIT_BYTES,
                note=f"RSS MiB every {calls // SAMPLES:,} calls: {' '.join(mib)}",
            )
        )
