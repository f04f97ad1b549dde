"""What every measurement shares: the emulator process, interleaved repetitions, medians.

The emulator runs in a process of its own (``claude-vertex emulator``), so the client under
test and the server never share a GIL: with both in one process, the server's threads would
slow the client down and squeeze every ratio towards 1.
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The project the emulator serves.
PROJECT = "test-project"
#: The model every benchmark calls, in the form each client takes.
MODEL = "claude-sonnet-4-5"
VERTEX_MODEL = "claude-sonnet-4-5@20250929"
REGION = "global"
#: The body field the raw SDK must be given to send what Vertex expects (anthropic 2.x
#: sends its own version otherwise); the core adds it itself.
VERTEX_VERSION = {"anthropic_version": "vertex-2023-10-16"}

#: Environment for child processes: nothing of this machine's Google setup, no metadata server.
HERMETIC_ENV = {
    "NO_GCE_CHECK": "True",
    "GCE_METADATA_HOST": "127.0.0.1:9",
    "GCE_METADATA_IP": "127.0.0.1:9",
}
_LEAKY_ENV = (
    "ANTHROPIC_VERTEX_PROJECT_ID",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "CLOUD_ML_REGION",
    "ANTHROPIC_VERTEX_BASE_URL",
    "GOOGLE_APPLICATION_CREDENTIALS",
)


def hermetic_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without Google settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env.update(HERMETIC_ENV)
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Emulator:
    """A running emulator: where it listens and the key file whose token_uri points at it."""

    url: str
    key_file: Path
    project: str = PROJECT

    @property
    def base_url(self) -> str:
        """The ``base_url`` clients take."""
        return self.url + "/v1"

    def model_url(self, stream: bool = False) -> str:
        """The full URL of the benchmark model's route."""
        method = "streamRawPredict" if stream else "rawPredict"
        return (
            f"{self.base_url}/projects/{self.project}/locations/{REGION}"
            f"/publishers/anthropic/models/{VERTEX_MODEL}:{method}"
        )


class EmulatorProcess:
    """``claude-vertex emulator`` in a child process, from ``with`` to the end of the block.

    The process starts on entering; :meth:`ready` waits until it listens. Whatever the caller
    does in between (importing the frameworks) overlaps with the emulator's own start.
    """

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._process: subprocess.Popen[str] | None = None
        self._emulator: Emulator | None = None
        self._key_file = Path()

    def __enter__(self) -> EmulatorProcess:
        workdir = Path(
            self._stack.enter_context(tempfile.TemporaryDirectory(prefix="claude-vertex-bench-"))
        )
        self._key_file = workdir / "emulator-key.json"
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed command
            [
                sys.executable,
                "-m",
                "claude_vertex.cli",
                "emulator",
                "--port",
                "0",
                "--key-file",
                str(self._key_file),
                "--project",
                PROJECT,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=hermetic_environ(),
        )
        return self

    def ready(self, timeout: float = 60.0) -> Emulator:
        """The running emulator, once it listens."""
        if self._emulator is not None:
            return self._emulator
        process = self._process
        if process is None or process.stdout is None:
            raise RuntimeError("the emulator process was not started (use `with`)")
        url = ""
        deadline = time.monotonic() + timeout
        for line in process.stdout:
            if line.startswith("Vertex AI emulator listening on "):
                url = line.split()[-1]
            if line.startswith("Press Ctrl-C") or time.monotonic() > deadline:
                break
        if not url or not self._key_file.is_file():
            raise RuntimeError(
                "the emulator did not start: " + (process.stderr.read() if process.stderr else "")
            )
        self._emulator = Emulator(url=url, key_file=self._key_file)
        return self._emulator

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        self._stack.close()


@contextlib.contextmanager
def emulator_process() -> Iterator[Emulator]:
    """A running emulator process for the duration of the block."""
    with EmulatorProcess() as starting:
        yield starting.ready()


# ------------------------------------------------------------------------------- timing

#: One repetition of one variant: runs a block of work and returns its figure.
Block = Callable[[], float]


def interleaved(
    variants: Mapping[str, Block], rounds: int, *, collect: bool = True
) -> dict[str, list[float]]:
    """Run every variant once per round, in an order that rotates from round to round.

    With ``collect``, garbage is collected before each block so one variant's garbage is not
    charged to the next (for long blocks; short ones leave the collector to its own pace).
    Returns each variant's figures, one per round, in round order.
    """
    names = list(variants)
    figures: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        order = names[shift:] + names[:shift]
        if round_index % 2:
            order.reverse()
        for name in order:
            if collect:
                gc.collect()
            figures[name].append(variants[name]())
    return figures


def timed_block(call: Callable[[], object], calls: int) -> Block:
    """A block that makes ``calls`` calls and returns the mean seconds per call."""

    def block() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            call()
        return (time.perf_counter() - start) / calls

    return block


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return statistics.median(values) if values else 0.0


def ratio_of_medians_by_round(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """The median over rounds of ``numerator[i] / denominator[i]``.

    Pairing the figures of one round cancels what drifted between rounds (CPU frequency,
    other load); the median drops the round a hiccup spoiled.
    """
    return median([a / b for a, b in zip(numerator, denominator, strict=True) if b > 0])


# ------------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the results table."""

    #: Measurement number and name, e.g. "1. call overhead".
    section: str
    what: str
    #: The figure as shown (a ratio, milliseconds, a count...).
    value: str
    target: str = ""
    #: True met, False missed, None: reported, no target.
    met: bool | None = None
    #: A ratio to plot against its target, if this row has one.
    ratio: float | None = None
    limit: float | None = None
    note: str = ""


@dataclass
class Results:
    """Every row of one run, and the facts of the machine it ran on."""

    rows: list[Row] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        """Append ``row`` and return it."""
        self.rows.append(row)
        return row

    @property
    def all_met(self) -> bool:
        """Whether no row missed its target."""
        return all(row.met is not False for row in self.rows)


def ratio_row(
    section: str, what: str, ratio: float, limit: float, *, at_least: bool = False, note: str = ""
) -> Row:
    """A row for a ratio with a ceiling (or, ``at_least``, a floor) as its target."""
    met = ratio >= limit if at_least else ratio <= limit
    target = f"{'>=' if at_least else '<='} {limit:.2f}x"
    return Row(section, what, f"{ratio:.3f}x", target, met, ratio, limit, note)


def rss_bytes() -> int:
    """This process's resident set size now (Linux ``/proc``; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
