"""Run the benchmark suite: ``python -m benchmarks.run`` (``python3 dev.py bench``).

Prints the results table, writes ``docs/benchmarks.md`` and ``docs/benchmarks.png``, and exits
1 when a target is missed (0 with ``--quick``, whose tiny counts prove nothing).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The measurements, by number: ``--only 1,3`` runs those.
MEASUREMENTS = {
    1: "call overhead",
    2: "streaming",
    3: "concurrency",
    4: "cold start",
    5: "auth",
    6: "memory",
    7: "batch",
}


@dataclass(frozen=True)
class Counts:
    """How much work each measurement does."""

    overhead_calls: int = 500
    overhead_rounds: int = 50
    stream_rounds: int = 10
    streams_per_round: int = 2
    stream_words: int = 1280
    concurrent_calls: int = 1000
    in_flight: int = 100
    concurrency_rounds: int = 5
    cold_repetitions: int = 5
    auth_instances: int = 10
    auth_calls: int = 200
    memory_instances: int = 1000
    memory_calls: int = 10_000
    batch_lines: int = 1_000_000
    batch_job_lines: int = 20_000
    batch_online_calls: int = 2_000


QUICK = Counts(
    overhead_calls=14,
    overhead_rounds=2,
    stream_rounds=1,
    streams_per_round=1,
    stream_words=64,
    concurrent_calls=20,
    in_flight=10,
    concurrency_rounds=1,
    cold_repetitions=1,
    auth_instances=2,
    auth_calls=8,
    memory_instances=20,
    memory_calls=100,
    batch_lines=2_000,
    batch_job_lines=200,
    batch_online_calls=20,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny counts: checks the suite runs; figures mean nothing",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated measurement numbers, e.g. 1,3 (default: all)"
    )
    parser.add_argument(
        "--no-peers",
        action="store_true",
        help="do not install or measure langchain-anthropic and llama-index-llms-anthropic",
    )
    parser.add_argument(
        "--docs",
        type=Path,
        default=ROOT / "docs",
        help="where benchmarks.md and its plot go (default: docs/)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the table only; leave docs/ alone"
    )
    return parser.parse_args(argv)


def _step(name: str) -> None:
    print(f"== {name}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected measurements; the exit status."""
    args = parse_args(argv)
    wanted = {int(n) for n in args.only.split(",") if n.strip()} or set(MEASUREMENTS)
    counts = QUICK if args.quick else Counts()
    started = time.perf_counter()

    from .harness import EmulatorProcess, Results

    results = Results()
    with EmulatorProcess() as starting, ThreadPoolExecutor(max_workers=1) as background:
        # The frameworks are imported while the emulator process starts.
        from . import auth, cold_start, concurrency, memory, overhead, streaming
        from .contenders import build_contenders
        from .peers import Peers, peer_environment

        emulator = starting.ready()
        peers = Peers(None, "not measured (--no-peers)")
        cold: Future[cold_start.Runs] | None = None
        if 4 in wanted and args.quick:  # figures do not count: overlap it with the rest
            cold = background.submit(
                cold_start.measure,
                emulator,
                peers,
                repetitions=1,
                variants=cold_start.QUICK_VARIANTS,
                parallel=True,
            )
        contenders = build_contenders(emulator)
        gc.collect()
        gc.freeze()  # what exists now is never garbage: keep it out of the collector's way
        steps: list[tuple[int, Callable[[], None]]] = [
            (
                1,
                lambda: overhead.run(
                    contenders, results, calls=counts.overhead_calls, rounds=counts.overhead_rounds
                ),
            ),
            (
                2,
                lambda: streaming.run(
                    contenders,
                    results,
                    rounds=counts.stream_rounds,
                    streams=counts.streams_per_round,
                    words=counts.stream_words,
                ),
            ),
            (
                6,
                lambda: memory.run(
                    contenders,
                    results,
                    instances=counts.memory_instances,
                    calls=counts.memory_calls,
                ),
            ),
            (
                3,
                lambda: concurrency.run(
                    contenders,
                    results,
                    calls=counts.concurrent_calls,
                    in_flight=counts.in_flight,
                    rounds=counts.concurrency_rounds,
                ),
            ),
        ]
        try:
            for number, step in steps:
                if number in wanted:
                    _step(f"{number}. {MEASUREMENTS[number]}")
                    step()
        finally:
            contenders.close()
            gc.unfreeze()
        if 7 in wanted:
            from . import batch

            _step("7. batch")
            batch.run(
                emulator,
                results,
                lines=counts.batch_lines,
                job_lines=counts.batch_job_lines,
                online_calls=counts.batch_online_calls,
            )
        if 4 in wanted:
            _step("4. cold start")
            if cold is not None:
                cold_start.add_rows(cold.result(), peers, results)
            else:
                if not args.no_peers:
                    peers = peer_environment()
                cold_start.run(emulator, peers, results, repetitions=counts.cold_repetitions)
    if 5 in wanted:
        _step("5. auth")
        auth.run(results, instances=counts.auth_instances, calls=counts.auth_calls)
    results.rows.sort(key=lambda row: row.section)

    print()
    from .report import table, write_markdown

    print(table(results.rows))
    seconds = time.perf_counter() - started
    if not args.no_write:
        command = "python3 dev.py bench" + (" --quick" if args.quick else "")
        page = write_markdown(results, args.docs, seconds=seconds, command=command)
        print(f"\nWrote {page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}")
    print(f"{'Every target met' if results.all_met else 'A target was MISSED'} ({seconds:.0f} s).")
    return 0 if results.all_met or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
