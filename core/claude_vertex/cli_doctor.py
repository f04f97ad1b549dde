"""``claude-vertex doctor``: what a call needs, checked step by step, with the fixes.

The checks are :func:`claude_vertex.doctor.diagnose`'s; this module prints them, as lines of
text or as JSON (``--json``), and exits with the diagnosis' code (0 when every required step
holds; :data:`~claude_vertex.doctor.EXIT_CODES` otherwise).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any, TextIO

from .doctor import DEFAULT_MODEL, FAILURES, Diagnosis, Step, diagnose

__all__ = ["add_doctor_command", "print_diagnosis", "run_doctor"]

_MARKS = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skipped": "skip"}
_WIDTH = 100


def _step_lines(step: Step) -> list[str]:
    head = f"  {_MARKS[step.status]:<5} {step.name:<22} "
    indent = " " * len(head)
    # Paths, URLs and commands stay whole: lines break at spaces only.
    wrapper = textwrap.TextWrapper(
        width=_WIDTH, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )
    lines = wrapper.wrap(head + step.found)
    for label, text in (("from", step.source), ("fix", step.fix)):
        if text and (label == "from" or step.status != "ok"):
            lines += wrapper.wrap(f"{indent}{label}: {text}")
    return lines


def print_diagnosis(diagnosis: Diagnosis, out: TextIO | None = None) -> None:
    """Print ``diagnosis`` as text (to ``out``, default stdout): each step, then the verdict."""
    out = sys.stdout if out is None else out
    print(f"claude-vertex doctor: {diagnosis.model}", file=out)
    for step in diagnosis.steps:
        print("\n".join(_step_lines(step)), file=out)
    failed = [step for step in diagnosis.steps if not step.holds]
    if not failed:
        print("Every required check passed.", file=out)
        return
    names = ", ".join(step.name for step in failed)
    print(
        f"{len(failed)} required check(s) failed ({names}); exit status {diagnosis.exit_code}.",
        file=out,
    )


def run_doctor(args: argparse.Namespace) -> int:
    """``claude-vertex doctor [--model M] [--region R] [--call] [--json]``; the exit status."""
    diagnosis = diagnose(args.model, args.region, call=args.call, project=args.project)
    if args.json:
        print(json.dumps(diagnosis.to_dict(), indent=2))
    else:
        print_diagnosis(diagnosis)
    return diagnosis.exit_code


def _exit_codes_epilog() -> str:
    lines = ["exit status: 0 when every required check holds; 2 for a usage error;"]
    lines += [f"  {code}: {meaning}" for code, meaning in FAILURES.values()]
    return "\n".join(lines)


def add_doctor_command(commands: Any) -> None:
    """Register ``doctor`` on the subparsers ``commands`` of ``claude-vertex``."""
    doctor = commands.add_parser(
        "doctor",
        help="check the project, credentials, model, endpoints and quota a call needs",
        description="Walk the resolution a call makes and probe each endpoint of its plan "
        "(a free count-tokens request; a one-token call with --call), saying what was found, "
        "where from, and how to fix what fails.",
        epilog=_exit_codes_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    doctor.add_argument(
        "--model", default=DEFAULT_MODEL, help="the model to check (default: %(default)s)"
    )
    doctor.add_argument("--region", help="the endpoint calls are pinned to (default: the plan)")
    doctor.add_argument("--project", help="the project (default: found as calls find it)")
    doctor.add_argument(
        "--call",
        action="store_true",
        help="also send a real one-token call to each endpoint (billed)",
    )
    doctor.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    doctor.set_defaults(handler=run_doctor)
