"""What ``claude-vertex chat`` and ``claude-vertex ask`` share: options, the client, one turn.

:func:`add_call_options` adds the options of a call (model, region, system prompt, output
limit, thinking); :func:`open_client` resolves them into a :class:`~claude_vertex.VertexClient`
and the call's parameters, checking them against the model's rules before any network I/O;
:func:`stream_turn` sends one streamed turn, handing text and thinking to callbacks as they
arrive; :func:`usage_line` says what a turn used and cost. :class:`Terminal` writes the notes,
errors and thinking that go to standard error (styled with ``rich`` when it is installed and
stderr is a terminal; plain otherwise).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any, TextIO

from .call_policy import CallPolicyWarning, ModelDeprecationWarning
from .client import VertexClient, VertexMessage
from .cost import CostTotalsSnapshot, cost_of
from .errors import ConfigurationError
from .models import DEFAULT_MODEL, ModelInfo, resolve_model
from .settings import resolve_settings
from .stream_accumulator import StreamAccumulator
from .transform import VertexBetaWarning
from .usage import UsageCounts, usage_counts

__all__ = [
    "CALL_FAILED",
    "CONFIG_ERROR",
    "DEFAULT_MODEL",
    "DEFAULT_THINKING_BUDGET",
    "INTERRUPTED",
    "Terminal",
    "add_call_options",
    "history_content",
    "open_client",
    "policy_notes",
    "stream_turn",
    "thinking_param",
    "totals_line",
    "usage_line",
]

#: The budget of a bare ``--thinking`` on a model that thinks with a budget only.
DEFAULT_THINKING_BUDGET = 4096
#: Exit status: the call failed (the error is on stderr).
CALL_FAILED = 1
#: Exit status: the options or the configuration are wrong; nothing was sent.
CONFIG_ERROR = 2
#: Exit status: stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130
#: ``--thinking`` given without a value.
_THINKING_AUTO = "auto"
#: Warnings of the core that the commands show as one-line notes.
_NOTES = (CallPolicyWarning, ModelDeprecationWarning, VertexBetaWarning)


def add_call_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--model``, ``--region``, ``--system``, ``--max-tokens`` and ``--thinking``."""
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="the model, by any of its ids (default: %(default)s; `claude-vertex models` "
        "lists them)",
    )
    parser.add_argument(
        "--region",
        help="the endpoint: global, us, eu or a region (default: $CLOUD_ML_REGION, else the "
        "model's default, with failover)",
    )
    parser.add_argument("--system", help="the system prompt")
    parser.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help="the most output tokens per answer, thinking included (default: the model's limit)",
    )
    parser.add_argument(
        "--thinking",
        nargs="?",
        const=_THINKING_AUTO,
        metavar="BUDGET|adaptive",
        help="think before answering: with a budget in tokens, or adaptive; alone, adaptive "
        f"where the model offers it, else a budget of {DEFAULT_THINKING_BUDGET:,}",
    )


def thinking_param(value: str | None, info: ModelInfo) -> dict[str, Any] | None:
    """The ``thinking`` parameter for ``--thinking VALUE`` on the model ``info``.

    ``None`` (no ``--thinking``): none. ``adaptive``: adaptive thinking. A whole number: a
    budget in tokens. The flag alone: adaptive where the model offers it (or the table does
    not know the model), else :data:`DEFAULT_THINKING_BUDGET`. The call policy then adapts it
    to the model (a budget becomes adaptive where the model thinks adaptively only).

    Raises:
        ConfigurationError: a value of none of those forms.
    """
    if value is None:
        return None
    if value == _THINKING_AUTO:
        if info.adaptive_thinking or not info.known:
            return {"type": "adaptive"}
        return {"type": "enabled", "budget_tokens": DEFAULT_THINKING_BUDGET}
    if value.strip().lower() == "adaptive":
        return {"type": "adaptive"}
    budget = value.strip().replace("_", "").replace(",", "")
    if not budget.isdigit():
        raise ConfigurationError(
            f"--thinking takes a budget in tokens (such as 4096) or 'adaptive'; got {value!r}."
        )
    return {"type": "enabled", "budget_tokens": int(budget)}


def open_client(args: argparse.Namespace) -> tuple[VertexClient, dict[str, Any]]:
    """The client and the call parameters (all but ``messages``) for the parsed options.

    The parameters are checked as a call would check them (the model's rules, the thinking
    budget against ``max_tokens``...), so a mistake is reported before any network I/O.

    Raises:
        ConfigurationError: an option, the project or the region is wrong.
        CredentialsError: the credentials cannot be loaded.
    """
    if args.max_tokens is not None and args.max_tokens < 1:
        raise ConfigurationError(f"--max-tokens must be at least 1; got {args.max_tokens}.")
    settings = resolve_settings(model=args.model, region=args.region)
    info = resolve_model(args.model)
    params: dict[str, Any] = {"model": args.model}
    if args.max_tokens is not None:
        params["max_tokens"] = args.max_tokens
    if args.system:
        params["system"] = args.system
    thinking = thinking_param(args.thinking, info)
    if thinking is not None:
        params["thinking"] = thinking
    client = VertexClient(settings)
    client.request_for({**params, "messages": [{"role": "user", "content": "?"}]})
    return client, params


def history_content(message: VertexMessage) -> list[dict[str, Any]]:
    """The content blocks of an answer as the next request sends them back.

    Every block as the API returned it (thinking with its signature, redacted thinking...),
    except empty text blocks, which the API refuses in a request.
    """
    return [
        block.model_dump(mode="json", exclude_none=True)
        for block in message.content
        if not (block.type == "text" and not block.text)
    ]


def stream_turn(
    client: VertexClient,
    params: dict[str, Any],
    messages: Sequence[dict[str, Any]],
    *,
    on_text: Callable[[str], None],
    on_thinking: Callable[[str], None] | None = None,
) -> VertexMessage:
    """Send one streamed call; each piece of text (and thinking) goes to the callbacks.

    Returns the whole answer (a :class:`~claude_vertex.VertexMessage`, as ``create`` gives).
    Raises what :meth:`VertexClient.stream <claude_vertex.VertexClient.stream>` raises.
    """
    with client.stream({**params, "messages": list(messages)}) as events:
        answer = StreamAccumulator(region=events.region, request_id=events.request_id)
        for event in events:
            answer.feed(event)
            if event.type != "content_block_delta":
                continue
            delta = event.delta
            if delta.type == "text_delta":
                on_text(delta.text)
            elif delta.type == "thinking_delta" and on_thinking is not None:
                on_thinking(delta.thinking)
    return answer.message()


def _dollars(cost: float | None) -> str:
    if cost is None:
        return "cost unknown"
    return f"${cost:.6f}" if cost < 0.01 else f"${cost:.4f}"


def _tokens(usage: UsageCounts) -> str:
    parts = [f"{usage.input_tokens:,} in", f"{usage.output_tokens:,} out"]
    if usage.cache_read_input_tokens:
        parts.append(f"{usage.cache_read_input_tokens:,} cache read")
    if usage.cache_creation_input_tokens:
        parts.append(f"{usage.cache_creation_input_tokens:,} cache write")
    return ", ".join(parts) + " tokens"


def usage_line(message: VertexMessage, totals: CostTotalsSnapshot | None = None) -> str:
    """``12 in, 34 out tokens · $0.000546 on global``, then the session's totals if given.

    The cost is the answer's (:func:`~claude_vertex.cost_of`: its usage, the model's prices
    and the endpoint that answered); one the model table cannot price reads ``cost unknown``.
    """
    line = f"{_tokens(usage_counts(message.usage))} · {_dollars(cost_of(message))}"
    if message.vertex_region:
        line += f" on {message.vertex_region}"
    if totals is not None:
        line += (
            f" · session: {_answers(totals)}, {totals.total_tokens:,} tokens, "
            f"{_dollars(totals.total_cost)}"
        )
    return line


def _answers(totals: CostTotalsSnapshot) -> str:
    return f"{totals.requests} answer{'s' if totals.requests != 1 else ''}"


def totals_line(totals: CostTotalsSnapshot) -> str:
    """The session's totals: answers, tokens by kind, and dollars."""
    spent = _dollars(totals.total_cost)
    if totals.total_cost is None and totals.priced_cost:
        spent += f" ({_dollars(totals.priced_cost)} for the answers with known prices)"
    tokens = _tokens(
        UsageCounts(
            input_tokens=totals.input_tokens,
            output_tokens=totals.output_tokens,
            cache_read_input_tokens=totals.cache_read_input_tokens,
            cache_creation_input_tokens=totals.cache_creation_input_tokens,
        )
    )
    return f"session: {_answers(totals)}, {tokens}, {spent}"


class Terminal:
    """Where a command writes what is not the answer: notes, errors, thinking, usage.

    Everything here goes to ``stream`` (standard error by default), styled with ``rich``
    when it is installed and ``stream`` is a terminal (``NO_COLOR`` honoured), plain
    otherwise, so standard output carries the answers alone.
    """

    def __init__(self, command: str, stream: IO[str] | None = None) -> None:
        self.command = command
        self.stream = sys.stderr if stream is None else stream
        self.is_terminal = _isatty(self.stream)
        self._console: Any = None
        if self.is_terminal:
            try:
                from rich.console import Console
            except ImportError:  # the cli extra is not installed: plain text
                pass
            else:
                self._console = Console(file=self.stream, highlight=False, soft_wrap=True)

    def write(self, text: str, style: str | None = None, *, end: str = "\n") -> None:
        """Write ``text`` (no markup is read in it), in ``style`` where styles show."""
        if self._console is not None and style:
            self._console.print(text, style=style, end=end, markup=False)
        else:
            self.stream.write(text + end)
        self.stream.flush()

    def note(self, text: str) -> None:
        """A dim line: usage, a turn stopped early, a rule the call policy applied."""
        self.write(text, "dim")

    def error(self, error: BaseException) -> None:
        """``claude-vertex COMMAND: error: MESSAGE``, in red where styles show."""
        self.write(f"claude-vertex {self.command}: error: {error}", "red")


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


@contextmanager
def policy_notes(terminal: Terminal) -> Iterator[None]:
    """Within the block, the core's call-policy, deprecation and beta warnings are notes.

    They read ``note: MESSAGE`` on the terminal instead of Python's warning format (file,
    line and category); other warnings are shown as usual.
    """
    with warnings.catch_warnings():
        shown = warnings.showwarning
        warnings.simplefilter("default", ModelDeprecationWarning)

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if issubclass(category, _NOTES):
                terminal.note(f"note: {message}")
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield
