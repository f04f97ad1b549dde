"""The client side of one batch job, in a fresh process: check, upload, read back; peak memory.

Run by :mod:`benchmarks.batch` as ``python batch_child.py LINES JOB_LINES`` with the emulator's
address in ``BENCH_BASE_URL``, ``BENCH_KEY_FILE``, ``BENCH_PROJECT`` and
``STORAGE_EMULATOR_HOST`` (the emulator runs in a process of its own, so its memory is not
counted). Prints one JSON line:

- ``stage_s``: generating ``LINES`` requests one at a time, checking and transforming each
  (the call policy and conversation checks), spooling and uploading them in resumable chunks;
- ``read_s``: downloading the uploaded file as a stream and parsing every line back;
- ``results_s`` and ``job_lines``: reading a finished ``JOB_LINES``-line job's results in
  input order (the custom_id index on disk), after the emulator ran it (not timed);
- ``baseline_rss`` and ``peak_rss``: resident bytes after imports and a warm-up, and the
  process's peak (``VmHWM``) at the end.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MODEL = "claude-haiku-4-5"
REGION = "us-east5"
STAGING = "gs://bench-batch/runs"


def requests(count: int) -> Iterator[dict[str, Any]]:
    """``count`` classification requests, made one at a time."""
    for n in range(count):
        yield {
            "custom_id": f"doc-{n:08d}",
            "params": {
                "max_tokens": 16,
                "system": "Answer with one word: positive, negative or neutral.",
                "messages": [{"role": "user", "content": f"Review {n}: the parcel came on time."}],
            },
        }


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    """This process image's peak resident bytes (``VmHWM``).

    Not ``ru_maxrss``: Linux carries the parent's resident size at fork into it, so a child of
    a large benchmark process would report the parent's size.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(argv: list[str]) -> int:
    """Measure, and print the figures as one JSON line."""
    lines, job_lines = int(argv[1]), int(argv[2])
    from claude_vertex import resolve_settings
    from claude_vertex.batch import BatchClient
    from claude_vertex.batch_staging import download_lines, parse_gcs_uri

    settings = resolve_settings(
        model=MODEL,
        region=REGION,
        project=os.environ["BENCH_PROJECT"],
        base_url=os.environ["BENCH_BASE_URL"],
        credentials=os.environ["BENCH_KEY_FILE"],
    )
    with BatchClient(settings) as batch:
        batch.stage(requests(10), model=MODEL, staging=STAGING)  # warm up: imports, token
        baseline = _rss()

        started = time.perf_counter()
        staged = batch.stage(requests(lines), model=MODEL, staging=STAGING)
        stage_s = time.perf_counter() - started

        started = time.perf_counter()
        read = sum(
            1
            for _, text in download_lines(batch.storage, parse_gcs_uri(staged.uri))
            if json.loads(text)
        )
        read_s = time.perf_counter() - started

        job = batch.wait(
            batch.submit(requests(job_lines), model=MODEL, staging=STAGING), poll_interval=0.2
        )
        started = time.perf_counter()
        matched = sum(
            1 for result in batch.results(job, in_order=True) if result.message is not None
        )
        results_s = time.perf_counter() - started
    peak = _peak_rss()
    print(
        json.dumps(
            {
                "lines": lines,
                "read": read,
                "bytes": staged.bytes,
                "stage_s": stage_s,
                "read_s": read_s,
                "job_lines": job_lines,
                "matched": matched,
                "results_s": results_s,
                "baseline_rss": baseline,
                "peak_rss": peak,
            }
        )
    )
    return 0


if __name__ == "__main__":
    # Run as a script, this file's folder would come first on sys.path, and the suite's
    # modules could shadow installed ones: the project root is used instead.
    _HERE = Path(__file__).resolve().parent
    sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]
    sys.exit(main(sys.argv))
