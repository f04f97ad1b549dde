"""The ``claude-vertex`` command.

Each subcommand is a function taking the parsed arguments and returning an exit status, and
is registered in :func:`build_parser`; ``claude-vertex emulator`` runs the Vertex emulator,
``claude-vertex models`` shows the model table, ``claude-vertex doctor`` checks what a call
needs, ``claude-vertex logging`` configures request-response logging, ``claude-vertex chat``
converses, ``claude-vertex ask`` asks once and ``claude-vertex batch`` runs batch prediction
jobs (each in its own module:
:mod:`claude_vertex.cli_models`, :mod:`claude_vertex.cli_doctor`,
:mod:`claude_vertex.cli_logging`, :mod:`claude_vertex.cli_chat`, :mod:`claude_vertex.cli_ask`,
:mod:`claude_vertex.cli_batch`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .cli_ask import add_ask_command
from .cli_batch import add_batch_command
from .cli_chat import add_chat_command
from .cli_doctor import add_doctor_command
from .cli_logging import add_logging_command
from .cli_models import add_models_command

__all__ = ["build_parser", "main"]


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``) stops the command as Ctrl-C does, cleanup included.

    Signal handlers can only be set from the main thread; elsewhere the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_emulator(args: argparse.Namespace) -> int:
    """Serve the emulator until Ctrl-C or SIGTERM, after printing how to point an app at it.

    A temporary key file (mode 0600: it holds a private key) is removed on either.
    """
    from claude_vertex.testing import EmulatorUnavailableError

    try:
        from claude_vertex.testing import VertexEmulator
    except EmulatorUnavailableError as missing:
        print(missing, file=sys.stderr)
        return 2
    temporary = args.key_file is None
    if temporary:
        handle, name = tempfile.mkstemp(prefix="claude-vertex-emulator-", suffix=".json")
        os.close(handle)
        key_file = Path(name)
    else:
        key_file = Path(args.key_file)
    emulator = VertexEmulator(port=args.port, project=args.project, host=args.host)
    try:
        with _terminate_as_interrupt(), emulator:
            emulator.write_service_account_key(key_file)
            print(f"Vertex AI emulator listening on {emulator.url}")
            print(f"Base URL: {emulator.base_url}")
            print(f"Service-account key file: {key_file}")
            print("Point your app at it with:")
            for name, value in emulator.environ(key_file, region=args.region).items():
                print(f"  export {name}={value}")
            print("Press Ctrl-C to stop.", flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopped.", flush=True)
    finally:
        if temporary:
            key_file.unlink(missing_ok=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``claude-vertex`` with all its subcommands."""
    parser = argparse.ArgumentParser(
        prog="claude-vertex", description="Tools for Claude on Google Vertex AI."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    emulator = commands.add_parser(
        "emulator",
        help="run a local Vertex AI emulator for offline tests",
        description="Serve Claude's Vertex AI routes and Google's token endpoint on loopback.",
    )
    emulator.add_argument("--port", type=int, default=0, help="port to listen on (0: a free port)")
    emulator.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    emulator.add_argument(
        "--key-file", help="where to write the service-account key file (default: a temp file)"
    )
    emulator.add_argument(
        "--project", default="test-project", help="the project id to serve (default: %(default)s)"
    )
    emulator.add_argument(
        "--region",
        help="also export CLOUD_ML_REGION=REGION (default: none, so apps use their default "
        "endpoint plan)",
    )
    emulator.set_defaults(handler=_run_emulator)
    add_models_command(commands)
    add_doctor_command(commands)
    add_logging_command(commands)
    add_chat_command(commands)
    add_ask_command(commands)
    add_batch_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``claude-vertex`` with ``argv`` (default: the process arguments); the exit status."""
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
