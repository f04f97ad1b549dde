"""4. Cold start: a fresh process imports the adapter, builds a model and makes its first call.

Each variant runs in a new interpreter (``cold_start_child.py``), the variants interleaved,
``repetitions`` times; the medians of each phase are reported beside the framework floors and
the peers (in their own environment, see :mod:`benchmarks.peers`). The target: the adapter's
import adds at most 150 ms over importing ``anthropic`` and the framework base class an
adapter must subclass (``BaseChatModel`` / ``CustomLLM``).

Every module is imported from compiled bytecode, as after ``pip install`` (which compiles what
it installs): the children share a bytecode cache in a temporary folder
(``PYTHONPYCACHEPREFIX``), filled by one discarded run of each variant. Without it the
editable checkout's own modules would be compiled from source in every child, which costs
this package about 60 ms that no installed copy pays, while the frameworks and peers, installed
by pip, would load theirs compiled.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .harness import Emulator, Results, Row, hermetic_environ, median
from .peers import Peers

SECTION = "4. cold start"
CHILD = Path(__file__).with_name("cold_start_child.py")
IMPORT_BUDGET_MS = 150.0

#: Every variant, in the order they run in each repetition.
VARIANTS = ("lc-adapter", "lc-floor", "lc-peer", "li-adapter", "li-floor", "li-peer")
#: The variant of ``--quick``: one child process, to check the child script works.
QUICK_VARIANTS = ("lc-adapter",)
#: The phases of a cold start, in order (see ``cold_start_child.py``).
PHASES = ("literal", "base", "import", "build", "call")


#: Each variant's runs: the figures of each, as ``cold_start_child.py`` printed them.
Runs = dict[str, list[dict[str, Any]]]


def _run_child(variant: str, python: Path, emulator: Emulator, bytecode: Path) -> dict[str, Any]:
    env = hermetic_environ(
        {
            "BENCH_BASE_URL": emulator.base_url,
            "BENCH_KEY_FILE": str(emulator.key_file),
            "BENCH_PROJECT": emulator.project,
            "PYTHONPYCACHEPREFIX": str(bytecode),
        }
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreters and script
        [str(python), str(CHILD), variant],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    wall = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    try:
        figures: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        figures = {
            "import": None,
            "build": None,
            "call": None,
            "error": f"exit {done.returncode}: {done.stderr.strip()[-300:]}",
        }
    figures["process"] = wall
    return figures


def measure(
    emulator: Emulator,
    peers: Peers,
    *,
    repetitions: int = 5,
    variants: Sequence[str] = VARIANTS,
    parallel: bool = False,
) -> Runs:
    """Run every variant ``repetitions`` times, interleaved; each run's figures by variant."""
    runs: Runs = {name: [] for name in variants}
    jobs: list[tuple[str, Path]] = []
    for _ in range(repetitions):
        for name in variants:
            peer = name.endswith("-peer")
            if peer and peers.python is None:
                continue
            jobs.append((name, peers.python if peer and peers.python else Path(sys.executable)))
    with tempfile.TemporaryDirectory(prefix="claude-vertex-bytecode-") as folder:
        bytecode = Path(folder)
        if parallel:  # --quick: figures are only checked for shape, not compared
            with ThreadPoolExecutor(max_workers=len(variants)) as pool:
                done = list(
                    pool.map(
                        lambda job: (job[0], _run_child(job[0], job[1], emulator, bytecode)), jobs
                    )
                )
        else:
            for name, python in dict(jobs).items():  # fill the bytecode cache; not counted
                _run_child(name, python, emulator, bytecode)
            done = [(name, _run_child(name, python, emulator, bytecode)) for name, python in jobs]
    for name, figures in done:
        runs[name].append(figures)
    return runs


_LABELS = {
    "lc-adapter": "ChatClaudeVertex",
    "lc-floor": "LangChain floor",
    "lc-peer": "langchain-anthropic ChatAnthropic",
    "li-adapter": "ClaudeVertex",
    "li-floor": "LlamaIndex floor",
    "li-peer": "llama-index-llms-anthropic Anthropic",
}


def _phase_ms(runs: list[dict[str, Any]], phase: str) -> float | None:
    values = [run[phase] for run in runs if run.get(phase) is not None]
    return median(values) * 1000 if values else None


def _describe(runs: list[dict[str, Any]]) -> str:
    parts = []
    imports = [
        sum(run[p] for p in ("literal", "base", "import"))
        for run in runs
        if all(run.get(p) is not None for p in ("literal", "base", "import"))
    ]
    if imports:
        parts.append(f"import {median(imports) * 1000:.0f} ms")
    for phase, label in (("build", "build"), ("call", "first call"), ("process", "process")):
        value = _phase_ms(runs, phase)
        if value is not None:
            parts.append(f"{label} {value:.0f} ms")
    return ", ".join(parts)


def run(
    emulator: Emulator, peers: Peers, results: Results, *, repetitions: int = 5, quick: bool = False
) -> None:
    """Measure and add the cold-start rows."""
    add_rows(
        measure(
            emulator,
            peers,
            repetitions=repetitions,
            variants=QUICK_VARIANTS if quick else VARIANTS,
            parallel=quick,
        ),
        peers,
        results,
    )


@dataclass(frozen=True)
class _Framework:
    """A framework whose adapter's import cost is reported over its base class."""

    #: The prefix of its variants (``{prefix}-adapter``, ``-floor``, ``-peer``).
    prefix: str
    adapter: str
    #: The base class (or classes) its adapter must subclass.
    base: str
    #: A statement importing that base class and ``anthropic``.
    literal: str


_FRAMEWORKS = (
    _Framework(
        "lc",
        "ChatClaudeVertex",
        "BaseChatModel",
        "import langchain_core.language_models, anthropic",
    ),
    _Framework(
        "li",
        "ClaudeVertex",
        "CustomLLM and FunctionCallingLLM",
        "import llama_index.core.llms, anthropic",
    ),
)


def add_rows(runs: Runs, peers: Peers, results: Results) -> None:
    """The cold-start rows of ``runs`` (see :func:`measure`)."""
    _raise_on_errors(runs)
    for framework in _FRAMEWORKS:
        _add_import_rows(runs, results, framework)
    for name, label in _LABELS.items():
        if name in runs:
            _add_cold_start_row(results, name, label, runs[name], peers)
    if peers.versions:
        results.facts["peers"] = peers.versions
    elif peers.reason:
        results.facts["peers"] = peers.reason


def _raise_on_errors(runs: Runs) -> None:
    """Fail if a run of this package or a floor failed (a peer's failure is only reported)."""
    errors = {
        name: run["error"]
        for name, runs_of in runs.items()
        for run in runs_of
        if run.get("error") and not name.endswith("-peer")
    }
    if errors:
        raise RuntimeError(f"cold-start runs failed: {errors}")


def _add_import_rows(runs: Runs, results: Results, framework: _Framework) -> None:
    """One framework's rows: the adapter's import cost, and its floor's and peer's."""
    prefix, adapter = framework.prefix, framework.adapter
    adapter_runs = runs.get(f"{prefix}-adapter") or []
    added, base_ms = _phase_ms(adapter_runs, "import"), _phase_ms(adapter_runs, "base")
    if added is None or base_ms is None:
        return
    results.add(
        Row(
            SECTION,
            f"{adapter} import over anthropic + {framework.base}",
            f"{added:+.0f} ms",
            f"<= +{IMPORT_BUDGET_MS:.0f} ms",
            added <= IMPORT_BUDGET_MS,
            note="measured in the same fresh process",
        )
    )
    results.add(
        Row(
            SECTION,
            f"{adapter} import over `{framework.literal}`",
            f"{added + base_ms:+.0f} ms",
            note=f"of which the base class itself {base_ms:+.0f} ms",
        )
    )
    for other, label in (("floor", "the floor"), ("peer", "the peer")):
        other_ms = _phase_ms(runs.get(f"{prefix}-{other}") or [], "import")
        if other_ms is not None:
            results.add(
                Row(
                    SECTION,
                    f"{label} ({_LABELS[f'{prefix}-{other}']}) import over the same base",
                    f"{other_ms:+.0f} ms",
                )
            )


def _add_cold_start_row(
    results: Results, name: str, label: str, runs_of: list[dict[str, Any]], peers: Peers
) -> None:
    """The whole cold start of one variant, or why it was not measured."""
    if not runs_of:
        results.add(
            Row(
                SECTION,
                f"{label}: cold start",
                "not measured",
                note=peers.reason or "no peer environment",
            )
        )
        return
    total = sum(_phase_ms(runs_of, phase) or 0.0 for phase in PHASES)
    error = next((run["error"] for run in runs_of if run.get("error")), None)
    note = _describe(runs_of)
    if name == "lc-peer":
        note += "; first-party API only, so no Vertex call"
    if error:
        note += f"; failed at {error}"
    results.add(Row(SECTION, f"{label}: cold start", f"{total:.0f} ms", note=note))
