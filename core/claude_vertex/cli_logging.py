"""``claude-vertex logging status|enable|disable``: request-response logging of a model.

The work is :mod:`claude_vertex.request_logging`'s (checks before any I/O, then Vertex's
``v1beta1`` publisher-model config); this module parses the arguments, prints the result as a
line of text or as JSON, and exits 0 on success, 1 when Vertex refused or did not answer, and 2
for arguments refused before any request (as argparse does for a usage error).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .errors import ClaudeVertexError, ConfigurationError
from .request_logging import (
    RETENTION_ADVICE,
    LoggingConfig,
    disable_logging,
    enable_logging,
    logging_status,
)

__all__ = ["add_logging_command", "run_logging"]

#: Exit status when Vertex refused the request or did not answer.
FAILED = 1
#: Exit status for arguments refused before any request.
BAD_ARGUMENTS = 2


def _apply(args: argparse.Namespace) -> LoggingConfig:
    options: dict[str, Any] = {"project": args.project} if args.project else {}
    if args.action == "enable":
        return enable_logging(
            args.model, args.region, args.bigquery, sampling_rate=args.sampling_rate, **options
        )
    if args.action == "disable":
        return disable_logging(args.model, args.region, **options)
    return logging_status(args.model, args.region, **options)


def run_logging(args: argparse.Namespace) -> int:
    """``claude-vertex logging ACTION --model M --region R ...``; the exit status."""
    try:
        config = _apply(args)
    except ConfigurationError as error:
        print(f"claude-vertex logging {args.action}: {error}", file=sys.stderr)
        return BAD_ARGUMENTS
    except ClaudeVertexError as error:
        print(f"claude-vertex logging {args.action}: {error}", file=sys.stderr)
        return FAILED
    if args.json:
        print(json.dumps(config.to_dict(), indent=2))
    else:
        print(f"Request-response logging of {config.model} at {config.region}: {config.summary()}")
    if args.action == "enable":
        print(RETENTION_ADVICE, file=sys.stderr if args.json else sys.stdout)
    return 0


def _sampling_rate(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def add_logging_command(commands: Any) -> None:
    """Register ``logging`` (``status``, ``enable``, ``disable``) on ``claude-vertex``."""
    logging = commands.add_parser(
        "logging",
        help="show, enable or disable request-response logging of a model to BigQuery",
        description="Vertex's request-response logging of one Claude model at one regional "
        "endpoint (not global, us or eu), into BigQuery. Exit status: 0 done, 1 Vertex "
        "refused or did not answer, 2 bad arguments (refused before any request).",
    )
    actions = logging.add_subparsers(dest="action", required=True)
    for action, text in (
        ("status", "show whether logging is on, and where to"),
        ("enable", "log requests and responses into a BigQuery table"),
        ("disable", "stop logging (the logs already written stay)"),
    ):
        parser = actions.add_parser(action, help=text, description=text)
        parser.add_argument("--model", required=True, help="the model, by any of its ids")
        parser.add_argument(
            "--region", required=True, help="a regional endpoint serving it, e.g. us-east5"
        )
        parser.add_argument("--project", help="the project (default: found as calls find it)")
        parser.add_argument("--json", action="store_true", help="print the config as JSON")
        if action == "enable":
            parser.add_argument(
                "--bigquery",
                required=True,
                metavar="URI",
                help="the destination, bq://PROJECT.DATASET[.TABLE]",
            )
            parser.add_argument(
                "--sampling-rate",
                type=_sampling_rate,
                default=1.0,
                help="the fraction of requests logged, in (0, 1] (default: %(default)s)",
            )
        parser.set_defaults(handler=run_logging)
