"""``claude-vertex batch``: submit, watch, cancel and read Vertex AI batch prediction jobs.

``submit`` checks and uploads a JSONL file (Anthropic's ``{"custom_id", "params"}`` lines or
Vertex's ``{"custom_id", "request"}``) and prints the job's name; ``status`` and ``list``
show jobs (``--json`` for scripts); ``wait`` draws a progress bar until the job ends and
exits 1 unless it succeeded; ``results`` writes one line per input request in the shape of
Anthropic's batch results, and totals and cost to stderr; ``cancel`` cancels.

Settings come from the environment as for any claude_vertex app (``ANTHROPIC_VERTEX_PROJECT_ID``
or ``GOOGLE_CLOUD_PROJECT``, credentials, ``ANTHROPIC_VERTEX_BASE_URL``); a job's region comes
from its name. The progress bar needs ``rich`` (the ``cli`` extra); without it ``wait``
prints a line per reading instead.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .batch import BatchClient
    from .batch_jobs import BatchJob
    from .batch_results import BatchResults

__all__ = ["add_batch_command", "run_batch"]

#: Exit statuses: the job ended without succeeding (``wait``), and a refused command.
JOB_NOT_SUCCEEDED = 1
FAILED = 1
REFUSED = 2


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _client(args: argparse.Namespace, *, job: str | None = None) -> BatchClient:
    """A batch client on the environment's settings, in the job's region (or ``--region``)."""
    from .batch import BatchClient
    from .batch_jobs import parse_job_name
    from .settings import resolve_settings

    region = getattr(args, "region", None)
    if job is not None and job.startswith("projects/"):
        region = parse_job_name(job)[1]
    model = getattr(args, "model", None)
    settings = resolve_settings(model=model, region=region)
    return BatchClient(settings, region=region)


# -- the subcommands -----------------------------------------------------------------------
def _submit(args: argparse.Namespace) -> int:
    with _client(args) as batch:
        staged = batch.stage(Path(args.requests), model=args.model, staging=args.staging)
        _say(f"Uploaded {staged.requests:,} request(s) ({staged.bytes:,} bytes) to {staged.uri}.")
        job = batch.create(staged, display_name=args.display_name)
    _say(f"Created {job.display_name or job.id} ({job.state.short}).")
    _say(f"Its outputs go to {staged.output_prefix}.")
    print(job.name)
    return 0


def _status(args: argparse.Namespace) -> int:
    with _client(args, job=args.job) as batch:
        job = batch.get(args.job)
    if args.json:
        print(json.dumps(job.summary(), indent=2))
    else:
        print(_status_line(job))
    return 0


def _status_line(job: BatchJob) -> str:
    counts = job.counts
    total = job.requests
    of = f" of {total:,}" if total else ""
    elapsed = job.elapsed()
    took = f", {_duration(elapsed)}" if elapsed is not None else ""
    error = f" - {job.error.message}" if job.error else ""
    return (
        f"{job.name}  {job.state.short}  {counts.done:,}{of} done "
        f"({counts.succeeded:,} succeeded, {counts.failed:,} failed){took}"
        f"  {job.display_name}{error}"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _list(args: argparse.Namespace) -> int:
    with _client(args) as batch:
        jobs = list(itertools.islice(batch.list(), args.limit))
    if args.json:
        print(json.dumps([job.summary() for job in jobs], indent=2))
    elif not jobs:
        _say(f"No batch jobs in {batch.region}.")
    else:
        for job in jobs:
            print(_status_line(job))
    return 0


def _cancel(args: argparse.Namespace) -> int:
    with _client(args, job=args.job) as batch:
        job = batch.cancel(args.job)
    _say(f"Cancelling {job.name}: now {job.state.short}.")
    return 0


@contextmanager
def _progress_view(name: str) -> Iterator[Callable[[BatchJob], None]]:
    """A function drawing each reading of the job: a rich progress bar, else plain lines."""
    try:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn
    except ImportError:
        _say('(install the cli extra for a progress bar: pip install "claude-vertex[cli]")')
        yield lambda job: _say(_status_line(job))
        return
    columns = (
        TextColumn("[bold]{task.fields[state]}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.fields[total_text]}"),
        TextColumn(
            "[green]{task.fields[succeeded]:,} ok[/] [red]{task.fields[failed]:,} failed[/]"
        ),
        TextColumn("{task.fields[elapsed]}"),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(
            name,
            total=None,
            state="reading",
            total_text="?",
            succeeded=0,
            failed=0,
            elapsed="",
        )

        def draw(job: BatchJob) -> None:
            total = job.requests
            progress.update(
                task,
                total=total,
                completed=job.counts.done,
                state=job.state.short,
                total_text=f"{total:,}" if total else "?",
                succeeded=job.counts.succeeded,
                failed=job.counts.failed,
                elapsed=_duration(job.elapsed() or 0.0),  # the job's own, since it was created
            )

        yield draw


def _wait(args: argparse.Namespace) -> int:
    from .batch_jobs import BatchJobState

    with _client(args, job=args.job) as batch, _progress_view(args.job) as draw:
        job = batch.wait(
            args.job, poll_interval=args.poll_interval, timeout=args.timeout, on_update=draw
        )
    _say(_status_line(job))
    ok = job.state in (BatchJobState.SUCCEEDED, BatchJobState.PARTIALLY_SUCCEEDED)
    return 0 if ok else JOB_NOT_SUCCEEDED


def _results(args: argparse.Namespace) -> int:
    started = time.monotonic()
    with _client(args, job=args.job) as batch:
        results = batch.results(args.job, in_order=args.in_order)
        target = Path(args.output)
        with target.open("w", encoding="utf-8") as out:
            for result in results:
                out.write(json.dumps(result.record(), ensure_ascii=False) + "\n")
    _say(_totals(results, target, time.monotonic() - started))
    return 0


def _totals(results: BatchResults, target: Path, seconds: float) -> str:
    totals = results.totals
    cost = (
        f"${totals.total_cost:,.4f}"
        if totals.total_cost is not None
        else f"unknown (${totals.priced_cost:,.4f} for the answers with known prices)"
    )
    unmatched = (
        f", {results.unmatched:,} output line(s) matched no request" if results.unmatched else ""
    )
    return (
        f"Wrote {results.succeeded + results.errored:,} result(s) to {target} in {seconds:.1f} s: "
        f"{results.succeeded:,} succeeded, {results.errored:,} errored{unmatched}. "
        f"Tokens: {totals.input_tokens:,} in, {totals.output_tokens:,} out, "
        f"{totals.cache_read_input_tokens:,} cache read, "
        f"{totals.cache_creation_input_tokens:,} cache write. Cost at batch prices: {cost}."
    )


def run_batch(args: argparse.Namespace) -> int:
    """Run one ``batch`` subcommand; its exit status (errors print what to do, on stderr)."""
    from .errors import ClaudeVertexError, ConfigurationError

    handler: Callable[[argparse.Namespace], int] = args.batch_handler
    try:
        return handler(args)
    except ConfigurationError as error:
        _say(f"claude-vertex batch {args.batch_command}: {error}")
        return REFUSED
    except (ClaudeVertexError, TimeoutError) as error:
        _say(f"claude-vertex batch {args.batch_command}: {error}")
        return FAILED


# -- the parser ----------------------------------------------------------------------------
def _job_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "job",
        help="the job's name as submit printed it (projects/P/locations/R/batchPredictionJobs/ID), "
        "or its number with --region",
    )
    parser.add_argument("--region", help="the job's region, when JOB is a number")


def _add(commands: Any, name: str, handler: Callable[[argparse.Namespace], int], **kw: Any) -> Any:
    parser = commands.add_parser(name, **kw)
    parser.set_defaults(handler=run_batch, batch_handler=handler)
    return parser


def add_batch_command(commands: Any) -> None:
    """Register ``batch`` and its subcommands on the subparsers ``commands``."""
    batch = commands.add_parser(
        "batch",
        help="Vertex AI batch prediction jobs: submit, status, wait, results, cancel, list",
        description="Run many Messages API requests as one Vertex AI batch prediction job.",
    )
    sub = batch.add_subparsers(dest="batch_command", required=True)

    submit = _add(sub, "submit", _submit, help="check and upload a JSONL file; print the job name")
    submit.add_argument(
        "requests", help='JSONL: {"custom_id", "params"} or {"custom_id", "request"} lines'
    )
    submit.add_argument("--model", required=True, help="the model of every request (any id form)")
    submit.add_argument(
        "--region", help="a single region serving the model (default: $CLOUD_ML_REGION)"
    )
    submit.add_argument("--staging", required=True, help="gs://BUCKET/PREFIX for input and output")
    submit.add_argument("--display-name", help="the job's name in the console")

    status = _add(sub, "status", _status, help="show a job's state and counts")
    _job_argument(status)
    status.add_argument("--json", action="store_true", help="print JSON")

    wait = _add(
        sub, "wait", _wait, help="show progress until the job ends; exit 1 unless it succeeded"
    )
    _job_argument(wait)
    wait.add_argument("--poll-interval", type=float, default=30.0, help="seconds between reads")
    wait.add_argument("--timeout", type=float, help="give up waiting after this many seconds")

    results = _add(sub, "results", _results, help="write one result line per request")
    _job_argument(results)
    results.add_argument("-o", "--output", required=True, help="the JSONL file to write")
    results.add_argument("--in-order", action="store_true", help="in the order of the input")

    cancel = _add(sub, "cancel", _cancel, help="cancel a job")
    _job_argument(cancel)

    listing = _add(sub, "list", _list, help="list the project's jobs in a region")
    listing.add_argument("--region", help="the region (default: $CLOUD_ML_REGION)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (newest first)")
