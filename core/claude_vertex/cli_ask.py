"""``claude-vertex ask PROMPT``: one question, the answer alone on standard output.

Made for shell pipelines: the answer's text streams to standard output as it arrives,
followed by a newline, and nothing else goes there. The prompt is the argument, the text
piped on standard input, or both (the argument, a blank line, then the piped text, as in
``git diff | claude-vertex ask "Review this change"``). Errors go to standard error with a
non-zero exit status; ``--usage`` adds the tokens and cost there.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .cli_turns import (
    CALL_FAILED,
    CONFIG_ERROR,
    INTERRUPTED,
    Terminal,
    add_call_options,
    open_client,
    policy_notes,
    stream_turn,
    usage_line,
)
from .errors import ClaudeVertexError, ConfigurationError, CredentialsError

__all__ = ["add_ask_command", "ask_prompt", "run_ask"]


def ask_prompt(argument: str | None, piped: str | None) -> str:
    """The prompt of ``ask``: the argument, the piped text, or the argument then the piped text.

    The two are joined by a blank line. ``piped`` is ``None`` when standard input is a
    terminal (nothing is read from it).

    Raises:
        ConfigurationError: neither holds any text.
    """
    parts = [text for text in (argument, piped) if text is not None and text.strip()]
    if not parts:
        raise ConfigurationError(
            'Nothing to ask: give the prompt as an argument (claude-vertex ask "...") or '
            "pipe it on standard input (echo ... | claude-vertex ask)."
        )
    return "\n\n".join(part.strip("\n") for part in parts)


def _piped_text() -> str | None:
    """Standard input's text when it is not a terminal (a pipe, a file), else ``None``."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    return sys.stdin.read()


class _Answer:
    """Writes the answer's text to standard output as it arrives."""

    def __init__(self) -> None:
        self.ends_line = True

    def text(self, piece: str) -> None:
        if piece:
            sys.stdout.write(piece)
            sys.stdout.flush()
            self.ends_line = piece.endswith("\n")

    def end(self) -> None:
        if not self.ends_line:
            sys.stdout.write("\n")
            sys.stdout.flush()
            self.ends_line = True


def _quiet_stdout() -> None:
    """Standard output was closed by its reader (``| head``): drop what is still buffered.

    Pointing the descriptor at ``os.devnull`` stops Python's flush at exit from failing again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _ask(args: argparse.Namespace, terminal: Terminal) -> int:
    try:
        prompt = ask_prompt(args.prompt, _piped_text())
        client, params = open_client(args)
    except (ConfigurationError, CredentialsError) as error:
        terminal.error(error)
        return CONFIG_ERROR
    answer = _Answer()
    with client:
        try:
            message = stream_turn(
                client, params, [{"role": "user", "content": prompt}], on_text=answer.text
            )
        except ClaudeVertexError as error:
            answer.end()
            terminal.error(error)
            return CALL_FAILED
        answer.end()
    if message.stop_reason == "max_tokens":
        terminal.note("note: the answer was cut at the output limit; raise it with --max-tokens")
    if args.usage:
        terminal.note(usage_line(message))
    return 0


def run_ask(args: argparse.Namespace) -> int:
    """``claude-vertex ask``; the exit status.

    0: the answer was written. 1: the call failed. 2: nothing to ask, or the options or the
    configuration are wrong (nothing was sent). 130: stopped by Ctrl-C.
    """
    terminal = Terminal("ask")
    with policy_notes(terminal):
        try:
            return _ask(args, terminal)
        except KeyboardInterrupt:
            terminal.write("")
            return INTERRUPTED
        except BrokenPipeError:
            _quiet_stdout()
            return CALL_FAILED


_EPILOG = (
    "The prompt is PROMPT, the text piped on standard input, or both: PROMPT, a blank line, "
    'then the piped text (git diff | claude-vertex ask "Review this change"). Only the '
    "answer goes to standard output, ending with a newline; errors (and the usage, with "
    "--usage) go to standard error. Exit status: 0 answered, 1 the call failed, 2 nothing to "
    "ask or a wrong option or configuration (nothing sent), 130 Ctrl-C."
)


def add_ask_command(commands: Any) -> None:
    """Register ``ask`` on the subparsers ``commands`` of ``claude-vertex``."""
    ask = commands.add_parser(
        "ask",
        help="ask Claude once and print only the answer (reads stdin when piped)",
        description="One streamed question to Claude on Vertex AI; the answer alone on "
        "standard output, so it composes in shell pipelines.",
        epilog=_EPILOG,
    )
    ask.add_argument("prompt", nargs="?", metavar="PROMPT", help="what to ask")
    add_call_options(ask)
    ask.add_argument(
        "--usage", action="store_true", help="also write the tokens and cost to standard error"
    )
    ask.set_defaults(handler=run_ask)
