"""7. Batch: a batch job's client side at 1,000,000 lines in bounded memory, beside online calls.

Each size runs in a fresh process (:mod:`benchmarks.batch_child`), with the emulator in its
own: the requests are generated one at a time, checked and transformed, spooled and uploaded
to the emulator's Cloud Storage in resumable chunks, downloaded and parsed back; then a smaller
job is run by the emulator and its results read in input order. The peak resident memory of
the full size must stay within :data:`FLAT_LIMIT_BYTES` of the peak at a tenth of it: memory
does not follow the line count. Online calls of the same requests (the core client, a thread
pool, against the same emulator) give the rate a loop of calls reaches, for comparison; on
Vertex itself the per-minute quota bounds it far lower.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from claude_vertex import VertexClient, resolve_settings

from .batch_child import MODEL, REGION, requests
from .harness import Emulator, Results, Row, hermetic_environ

SECTION = "7. batch"
CHILD = Path(__file__).with_name("batch_child.py")
#: Most the peak resident memory at the full line count may exceed the peak at a tenth of it.
FLAT_LIMIT_BYTES = 32 * 1024 * 1024
#: Threads making online calls at once.
ONLINE_THREADS = 16


def _child(emulator: Emulator, lines: int, job_lines: int) -> dict[str, Any]:
    env = hermetic_environ(
        {
            "BENCH_BASE_URL": emulator.base_url,
            "BENCH_KEY_FILE": str(emulator.key_file),
            "BENCH_PROJECT": emulator.project,
            "STORAGE_EMULATOR_HOST": emulator.url,
        }
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, str(CHILD), str(lines), str(job_lines)],
        capture_output=True,
        text=True,
        env=env,
        timeout=6 * 3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the batch child failed ({done.returncode}): {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _online_rate(emulator: Emulator, calls: int) -> float:
    """Lines per second of online calls of the same requests, ``ONLINE_THREADS`` at a time."""
    settings = resolve_settings(
        model=MODEL,
        region=REGION,
        project=emulator.project,
        base_url=emulator.base_url,
        credentials=emulator.key_file,
    )
    params = [{"model": MODEL, **item["params"]} for item in requests(calls)]
    with VertexClient(settings) as client, ThreadPoolExecutor(ONLINE_THREADS) as pool:
        client.create(params[0])  # warm up: token, pool
        started = time.perf_counter()
        answered = sum(1 for _ in pool.map(client.create, params))
        seconds = time.perf_counter() - started
    return answered / seconds


def _mib(value: float) -> str:
    return f"{value / 2**20:.0f} MiB"


def _duration(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{int(hours)} h {rest / 60:.0f} min" if hours else f"{seconds / 60:.1f} min"


def run(
    emulator: Emulator, results: Results, *, lines: int, job_lines: int, online_calls: int
) -> None:
    """Measure the client side at ``lines`` and ``lines // 10``, and online calls."""
    small = _child(emulator, max(lines // 10, 1), job_lines)
    full = _child(emulator, lines, job_lines)
    for figures in (small, full):
        assert figures["read"] == figures["lines"], figures
        assert figures["matched"] == figures["job_lines"], figures
    n = full["lines"]
    stage_rate = n / full["stage_s"]
    read_rate = n / full["read_s"]
    online = _online_rate(emulator, online_calls)
    growth = full["peak_rss"] - small["peak_rss"]
    results.add(
        Row(
            SECTION,
            f"check + transform + upload {n:,} lines",
            f"{stage_rate:,.0f} lines/s",
            note=f"{full['stage_s']:.1f} s, {full['bytes'] / 2**20:,.0f} MiB of JSONL, "
            "resumable upload in 16 MiB chunks",
        )
    )
    results.add(
        Row(
            SECTION,
            f"read back {n:,} lines (download streamed, each line parsed)",
            f"{read_rate:,.0f} lines/s",
            note=f"{full['read_s']:.1f} s",
        )
    )
    results.add(
        Row(
            SECTION,
            f"peak resident memory, {n:,} lines",
            _mib(full["peak_rss"]),
            f"<= {small['lines']:,} lines' + {FLAT_LIMIT_BYTES // 2**20} MiB",
            growth <= FLAT_LIMIT_BYTES,
            note=f"{small['lines']:,} lines: {_mib(small['peak_rss'])} "
            f"({growth / 2**20:+.1f} MiB); after imports {_mib(full['baseline_rss'])}",
        )
    )
    results.add(
        Row(
            SECTION,
            f"results in input order, {full['job_lines']:,}-line job",
            f"{full['job_lines'] / full['results_s']:,.0f} lines/s",
            note="custom_id index on disk; output downloaded as a stream",
        )
    )
    results.add(
        Row(
            SECTION,
            f"online calls of the same requests ({online_calls:,}, {ONLINE_THREADS} threads)",
            f"{online:,.0f} lines/s",
            note=f"{n:,} lines would take {_duration(n / online)} at this rate on loopback, "
            f"client side of the batch job {_duration(full['stage_s'] + full['read_s'])}",
        )
    )


def main() -> int:
    """``python -m benchmarks.batch [LINES]``: this measurement alone, its rows printed."""
    from .harness import emulator_process
    from .report import table

    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    results = Results()
    with emulator_process() as emulator:
        run(emulator, results, lines=lines, job_lines=20_000, online_calls=2_000)
    print(table(results.rows))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
