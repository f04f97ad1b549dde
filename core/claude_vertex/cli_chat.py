"""``claude-vertex chat``: a streaming conversation with Claude, in a terminal or over a pipe.

Each line read is a user message; the answer streams to standard output as it arrives, and
a usage line (tokens, cost, the endpoint that answered, the session's totals) follows on
standard error. The history is kept across turns: each answer goes back as the API returned
it, thinking blocks with their signatures included, so a conversation with thinking stays
valid. :class:`ChatSession` holds the conversation; :func:`run_chat` is the subcommand.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import textwrap
from collections.abc import Iterator
from typing import IO, Any

from .cli_turns import (
    CALL_FAILED,
    CONFIG_ERROR,
    Terminal,
    add_call_options,
    history_content,
    open_client,
    policy_notes,
    stream_turn,
    totals_line,
    usage_line,
)
from .client import VertexClient
from .cost import CostTotals, cost_of
from .errors import ClaudeVertexError, ConfigurationError, CredentialsError
from .usage import usage_counts

__all__ = ["SLASH_COMMANDS", "ChatSession", "add_chat_command", "run_chat"]

#: The slash commands, as ``/help`` and ``--help`` list them.
SLASH_COMMANDS = {
    "/help": "list these commands",
    "/clear": "forget the conversation so far (the session's totals stay)",
    "/usage": "show the session's tokens and cost so far",
    "/exit": "end the session (also /quit, Ctrl-D, or Ctrl-C at the prompt)",
}
_EXIT = ("/exit", "/quit")
#: Why an answer stopped, when it stopped short: what to say about it.
_STOPPED = {
    "max_tokens": "the answer was cut at the output limit; raise it with --max-tokens",
    "refusal": "Claude declined to answer",
    "pause_turn": "the answer paused before it ended",
    "model_context_window_exceeded": "the conversation filled the context window; /clear "
    "starts afresh",
}
_INTERRUPTED = (
    "interrupted: this turn (your message and the partial answer) is left out of the "
    "history and the totals"
)


class _AnswerPrinter:
    """Writes an answer's text to ``out`` as it arrives, and its thinking to the terminal."""

    def __init__(self, out: IO[str], terminal: Terminal) -> None:
        self.out = out
        self.terminal = terminal
        self.text_ends_line = True  # nothing written yet
        self.thinking_open = False

    def text(self, piece: str) -> None:
        if not piece:
            return
        self._close_thinking()
        self.out.write(piece)
        self.out.flush()
        self.text_ends_line = piece.endswith("\n")

    def thinking(self, piece: str) -> None:
        """Thinking shows (dim) where standard error is a terminal; elsewhere it is left out."""
        if self.terminal.is_terminal and piece:
            self.terminal.write(piece, "dim italic", end="")
            self.thinking_open = not piece.endswith("\n")

    def _close_thinking(self) -> None:
        if self.thinking_open:
            self.terminal.write("")
            self.thinking_open = False

    def end(self) -> None:
        """End the answer's last line."""
        self._close_thinking()
        if not self.text_ends_line:
            self.out.write("\n")
            self.out.flush()
            self.text_ends_line = True


class ChatSession:
    """One conversation: its history, the session's totals, and a turn at a time.

    Args:
        client: the client to call.
        params: the call's parameters other than ``messages`` (model, system, thinking...).
        out: where answers are written (standard output).
        terminal: where notes, errors, thinking and usage are written.
    """

    def __init__(
        self,
        client: VertexClient,
        params: dict[str, Any],
        *,
        out: IO[str],
        terminal: Terminal,
    ) -> None:
        self.client = client
        self.params = params
        self.out = out
        self.terminal = terminal
        #: The conversation so far, as Messages API ``messages``.
        self.messages: list[dict[str, Any]] = []
        self.totals = CostTotals()
        #: Turns that failed with an error (interrupted ones are not counted).
        self.failed_turns = 0

    def turn(self, text: str) -> None:
        """Send ``text`` with the history, stream the answer, and keep both in the history.

        An error of the core is written to the terminal and the turn is left out of the
        history; so is a turn stopped by Ctrl-C (``KeyboardInterrupt``), whose connection is
        dropped.
        """
        prompt = {"role": "user", "content": text}
        printer = _AnswerPrinter(self.out, self.terminal)
        try:
            message = stream_turn(
                self.client,
                self.params,
                [*self.messages, prompt],
                on_text=printer.text,
                on_thinking=printer.thinking,
            )
        except KeyboardInterrupt:
            printer.end()
            # The connection was cut mid-read: start the next turn on fresh ones.
            self.client.close()
            self.terminal.note(_INTERRUPTED)
            return
        except ClaudeVertexError as error:
            printer.end()
            self.failed_turns += 1
            self.terminal.error(error)
            return
        printer.end()
        content = history_content(message)
        if content:
            self.messages += [prompt, {"role": "assistant", "content": content}]
        else:
            self.terminal.note("the answer was empty: this turn is left out of the history")
        self.totals.add(usage_counts(message.usage), cost_of(message))
        stopped = _STOPPED.get(message.stop_reason or "")
        if stopped:
            self.terminal.note(f"{stopped} (stop reason: {message.stop_reason})")
        self.terminal.note(usage_line(message, self.totals.snapshot()))

    def command(self, line: str) -> bool:
        """Run the slash command ``line``; ``False`` when it ends the session."""
        name = line.strip().lower()
        if name in _EXIT:
            return False
        if name == "/help":
            for command, what in SLASH_COMMANDS.items():
                self.terminal.write(f"{command:<8} {what}")
        elif name == "/clear":
            self.messages.clear()
            self.terminal.note("the conversation is cleared")
        elif name == "/usage":
            self.terminal.write(totals_line(self.totals.snapshot()))
        else:
            self.terminal.write(f"unknown command {line.strip()}; /help lists the commands")
        return True


def _is_command(line: str) -> bool:
    """``/word`` alone on its line is a command; any other line is a message."""
    word = line.strip()
    return word.startswith("/") and word[1:].isalpha()


def _lines(interactive: bool, prompt: Terminal | None) -> Iterator[str]:
    """The user's lines: read with ``input`` (line editing) at a terminal, else from stdin.

    Raises ``EOFError`` at the end of input and ``KeyboardInterrupt`` on Ctrl-C, as ``input``.
    """
    if not interactive:
        for line in sys.stdin:
            yield line.rstrip("\r\n")
        raise EOFError
    with contextlib.suppress(ImportError):  # not on every platform
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        if prompt is None:
            yield input("> ")
        else:  # stdout is not a terminal: the prompt goes where the notes go
            prompt.write("> ", "bold", end="")
            yield input()


def _banner(client: VertexClient, params: dict[str, Any]) -> str:
    settings = client.settings
    return (
        f"Chatting with {params['model']} (project {settings.project}, endpoint "
        f"{settings.region}). One line per message; /help lists the commands; Ctrl-C stops "
        "an answer; Ctrl-D or /exit ends."
    )


def _converse(session: ChatSession, interactive: bool) -> None:
    """Read lines and answer them until the input ends, ``/exit``, or Ctrl-C at the prompt."""
    out_is_terminal = session.out.isatty()
    lines = _lines(interactive, None if out_is_terminal else session.terminal)
    while True:
        try:
            line = next(lines)
        except (EOFError, StopIteration):
            if interactive:
                session.terminal.write("")
            return
        except KeyboardInterrupt:  # at the prompt: the session ends
            session.terminal.write("")
            return
        if not line.strip():
            continue
        if _is_command(line):
            if not session.command(line):
                return
            continue
        try:
            session.turn(line)
        except KeyboardInterrupt:  # after the answer, while its usage was written: go on
            session.terminal.write("")


def run_chat(args: argparse.Namespace) -> int:
    """``claude-vertex chat``; the exit status.

    0 when the session ends (end of input, ``/exit``, Ctrl-C or Ctrl-D at the prompt); 2
    when the options or the configuration are wrong (nothing is sent); 1 when standard input
    is not a terminal and a turn failed, so a script notices.
    """
    terminal = Terminal("chat")
    with policy_notes(terminal):
        try:
            client, params = open_client(args)
        except (ConfigurationError, CredentialsError) as error:
            terminal.error(error)
            return CONFIG_ERROR
        interactive = sys.stdin.isatty()
        with client:
            session = ChatSession(client, params, out=sys.stdout, terminal=terminal)
            if interactive:
                terminal.note(_banner(client, params))
            _converse(session, interactive)
    if not interactive and session.failed_turns:
        return CALL_FAILED
    return 0


_EPILOG = "\n\n".join(
    [
        "One line is one message. Slash commands (alone on their line):\n"
        + "\n".join(f"  {command:<8} {what}" for command, what in SLASH_COMMANDS.items()),
        *(
            textwrap.fill(paragraph, 79)
            for paragraph in (
                "Answers go to standard output; thinking (at a terminal), usage and errors go "
                "to standard error. Ctrl-C during an answer stops it: that turn is left out of "
                "the history and the totals, and the session goes on.",
                "With standard input not a terminal (a pipe, a file), each line is a message "
                "and the session ends at the end of input.",
                "Exit status: 0 when the session ends, 2 for a wrong option or configuration "
                "(nothing sent), 1 when standard input was not a terminal and a turn failed.",
            )
        ),
    ]
)


def add_chat_command(commands: Any) -> None:
    """Register ``chat`` on the subparsers ``commands`` of ``claude-vertex``."""
    chat = commands.add_parser(
        "chat",
        help="chat with Claude: streamed answers, history, tokens and cost per turn",
        description="A streaming conversation with Claude on Vertex AI. The model's rules "
        "apply as in the library (thinking sent as adaptive where a model needs it...).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_call_options(chat)
    chat.set_defaults(handler=run_chat)
