"""The request lines of a batch job: reading them, checking each one, and turning it into Vertex's.

A batch input holds one request a line, in either of two shapes:

* Anthropic's Message Batches shape, ``{"custom_id": "...", "params": {...}}``, whose
  ``params`` are Messages API parameters (``model`` may be left out: the job names it), so a
  file written for Anthropic's API works unchanged;
* Vertex's own shape, ``{"custom_id": "...", "request": {...}}``, whose ``request`` is the
  body of a ``rawPredict`` call.

:func:`read_request_lines` reads a JSONL file (or any lines) into :class:`BatchRequest`
objects, one at a time; :func:`as_batch_requests` takes requests made in Python.
:class:`LineTransform` turns each into the line Vertex reads, ``{"custom_id", "request"}``,
with the same rules as an online call: aliases resolve to the job's model, ``model`` leaves
the body, ``anthropic_version`` is set, the call policy and the conversation checks apply, and
betas are handled as online (one that must travel as a header, which a line cannot carry, is
refused). Every problem is a :class:`BatchLineError` naming the line and its ``custom_id``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Union

from .api_version import VERTEX_ANTHROPIC_VERSION
from .batch_index import DiskIndex
from .call_policy import apply_call_policy
from .errors import ConfigurationError
from .models import ModelInfo, resolve_model
from .transform import build_request

__all__ = [
    "CUSTOM_ID_PATTERN",
    "MAX_REPORTED_ERRORS",
    "BatchInputError",
    "BatchLineError",
    "BatchRequest",
    "LineTransform",
    "RequestSource",
    "as_batch_requests",
    "read_request_lines",
    "write_input",
]

#: What a ``custom_id`` may be: Anthropic's Message Batches rule (1 to 64 letters, digits,
#: ``_`` or ``-``), so one file suits both APIs.
CUSTOM_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
#: How many bad lines a :class:`BatchInputError` describes (it counts all of them).
MAX_REPORTED_ERRORS = 20
#: Body keys a batch line cannot carry, and why.
_REFUSED_KEYS = {
    "stream": "a batch job answers each line whole; remove 'stream'",
}

#: What :func:`read_request_lines` reads: a path, an open text file, or lines.
RequestSource = Union[str, "os.PathLike[str]", IO[str], Iterable[str]]


@dataclass(frozen=True)
class BatchRequest:
    """One request of a batch job.

    Attributes:
        custom_id: the caller's id of the request, unique in the job; results carry it.
        params: Messages API parameters (``model`` optional: the job's model answers).
        line: where the request was, counting from 1: its line in the input file, or its
            position among the requests given.
    """

    custom_id: str
    params: Mapping[str, Any]
    line: int


class BatchLineError(ConfigurationError):
    """One request line that cannot go into a batch job; raised before anything is uploaded.

    Attributes:
        line: the line (or position) of the request, counting from 1.
        custom_id: its ``custom_id``, when it had a readable one.
        problem: what is wrong, and what to do about it.
    """

    def __init__(self, line: int, problem: str, custom_id: str | None = None) -> None:
        where = f"line {line}" + (f" (custom_id {custom_id!r})" if custom_id else "")
        super().__init__(f"{where}: {problem}")
        self.line = line
        self.custom_id = custom_id
        self.problem = problem


class BatchInputError(ConfigurationError):
    """A batch input with bad lines (or none): nothing was uploaded.

    Attributes:
        errors: the first :data:`MAX_REPORTED_ERRORS` bad lines, in order.
        error_count: how many lines were bad in all.
        lines_read: how many requests were read.
    """

    def __init__(
        self, errors: Iterable[BatchLineError], *, error_count: int, lines_read: int
    ) -> None:
        self.errors = tuple(errors)
        self.error_count = error_count
        self.lines_read = lines_read
        if not error_count:
            message = (
                "The batch input holds no requests: give at least one line "
                '{"custom_id": "...", "params": {...}}.'
            )
        else:
            shown = "\n".join(f"  {error}" for error in self.errors)
            more = error_count - len(self.errors)
            tail = f"\n  ... and {more:,} more" if more > 0 else ""
            message = (
                f"{error_count:,} of {lines_read:,} batch request(s) cannot be sent; nothing "
                f"was uploaded. Fix these lines:\n{shown}{tail}"
            )
        super().__init__(message)


# ------------------------------------------------------------------------------- reading


def _object_request(value: object, line: int) -> BatchRequest:
    """A request from one parsed line or mapping, of either shape."""
    if not isinstance(value, Mapping):
        raise BatchLineError(
            line,
            'a request must be an object {"custom_id": "...", "params": {...}} (or '
            '{"custom_id": "...", "request": {...}}).',
        )
    raw_id = value.get("custom_id")
    custom_id = raw_id if isinstance(raw_id, str) else None
    if custom_id is None or not CUSTOM_ID_PATTERN.fullmatch(custom_id):
        shown = raw_id if raw_id is None or isinstance(raw_id, (str, int, float)) else "..."
        raise BatchLineError(
            line,
            f"custom_id {shown!r} is not valid: give each request a custom_id of 1 to 64 "
            "letters, digits, '_' or '-', unique in the batch.",
        )
    shapes = [key for key in ("params", "request") if key in value]
    if len(shapes) != 1:
        problem = (
            "it has both 'params' and 'request': give one"
            if shapes
            else "it has neither 'params' (Messages API parameters) nor 'request' "
            "(a Vertex request body)"
        )
        raise BatchLineError(line, f"{problem}.", custom_id)
    body = value[shapes[0]]
    if not isinstance(body, Mapping):
        raise BatchLineError(line, f"'{shapes[0]}' must be an object.", custom_id)
    others = sorted(set(value) - {"custom_id", shapes[0]})
    if others:
        raise BatchLineError(
            line, f"unexpected key(s) {', '.join(map(repr, others))} beside the request.", custom_id
        )
    return BatchRequest(custom_id, body, line)


def _parse_line(text: str, line: int) -> BatchRequest:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BatchLineError(line, f"not a JSON object ({exc}).") from None
    return _object_request(value, line)


def _lines_of(source: RequestSource) -> Iterator[str]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ConfigurationError(f"No batch input file at {str(path)!r}.")
        with path.open(encoding="utf-8") as handle:
            yield from handle
    else:
        yield from source


def read_request_lines(source: RequestSource) -> Iterator[BatchRequest | BatchLineError]:
    """The requests of a JSONL batch input, one at a time (blank lines are skipped).

    Each line is read as it is reached, so a file of any size is read in bounded memory.
    A line that cannot be read comes out as its :class:`BatchLineError` (not raised), so a
    caller can report every bad line at once.

    Args:
        source: a file path, an open text file, or an iterable of lines.

    Raises:
        ConfigurationError: ``source`` is a path with no file.
    """
    for number, text in enumerate(_lines_of(source), start=1):
        if not text.strip():
            continue
        try:
            yield _parse_line(text, number)
        except BatchLineError as error:
            yield error


def as_batch_requests(
    requests: Iterable[BatchRequest | Mapping[str, Any] | str],
) -> Iterator[BatchRequest | BatchLineError]:
    """Requests made in Python, as :class:`BatchRequest` objects, one at a time.

    Each item is a :class:`BatchRequest`, a mapping of either line shape, or such a mapping
    as a line of JSON; positions count from 1 and stand in for line numbers. A bad item comes
    out as its :class:`BatchLineError`.
    """
    for position, item in enumerate(requests, start=1):
        if isinstance(item, BatchRequest):
            yield item
            continue
        try:
            yield (
                _parse_line(item, position)
                if isinstance(item, str)
                else _object_request(item, position)
            )
        except BatchLineError as error:
            yield error


def write_input(
    requests: Iterable[BatchRequest | BatchLineError], transform: LineTransform, out: IO[str]
) -> int:
    """Check every request and write its Vertex line to ``out``; how many were written.

    Every line is checked before this returns: unreadable lines, repeated ``custom_id``
    values (kept on disk, not in memory: see :class:`~claude_vertex.batch_index.DiskIndex`)
    and requests the transform refuses. ``out`` is complete only when this returns.

    Raises:
        BatchInputError: any line was bad, or there was none; it names the first
            :data:`MAX_REPORTED_ERRORS` and counts them all.
    """
    errors: list[BatchLineError] = []
    bad = read = 0
    with DiskIndex() as seen:
        for item in requests:
            read += 1
            try:
                if isinstance(item, BatchLineError):
                    raise item
                earlier = seen.add(item.custom_id, item.line)
                if earlier is not None:
                    raise BatchLineError(
                        item.line,
                        f"custom_id repeats line {earlier}'s; each request needs its own.",
                        item.custom_id,
                    )
                out.write(transform.jsonl(item))
            except BatchLineError as error:
                bad += 1
                if len(errors) < MAX_REPORTED_ERRORS:
                    errors.append(error)
    if bad or not read:
        raise BatchInputError(errors, error_count=bad, lines_read=read)
    return read


# ------------------------------------------------------------------------------- the transform


class LineTransform:
    """Turns requests into the lines of one job's input, with the rules of an online call.

    Args:
        model: the job's model, in any id form (an alias resolves here, once).
        project: the job's project, and ``region`` its region (they name no line's URL, but
            the transform checks them as it does for online calls).
        anthropic_version: the ``anthropic_version`` every line carries.
    """

    def __init__(
        self,
        model: str,
        *,
        project: str,
        region: str,
        anthropic_version: str = VERTEX_ANTHROPIC_VERSION,
    ) -> None:
        self.info: ModelInfo = resolve_model(model)
        self.model = self.info.vertex_id
        self.project = project
        self.region = region
        self.anthropic_version = anthropic_version

    def _model_of(self, request: BatchRequest) -> None:
        """Refuse a request whose own ``model`` is another model than the job's."""
        own = request.params.get("model")
        if own is None:
            return
        if not isinstance(own, str) or resolve_model(own).vertex_id != self.model:
            raise BatchLineError(
                request.line,
                f"its model {own!r} is not the job's model {self.model!r}: a batch job runs "
                "one model; leave 'model' out, or split the input by model.",
                request.custom_id,
            )

    def body(self, request: BatchRequest) -> dict[str, Any]:
        """The Vertex request body of ``request`` (``model`` out, ``anthropic_version`` in).

        Raises:
            BatchLineError: the request is one Vertex would refuse, or that a batch line
                cannot carry; the message names the line and ``custom_id``.
        """
        self._model_of(request)
        for key, why in _REFUSED_KEYS.items():
            if request.params.get(key):
                raise BatchLineError(request.line, f"{why}.", request.custom_id)
        params = {**request.params, "model": self.model}
        params.pop("anthropic_version", None)
        try:
            # Adaptations warn as online calls do: once per process for a model and setting.
            sent = apply_call_policy(params, info=self.info)
            vertex = build_request(
                sent,
                project=self.project,
                region=self.region,
                route="create",
                anthropic_version=self.anthropic_version,
            )
        except ConfigurationError as error:
            raise BatchLineError(request.line, str(error), request.custom_id) from None
        if vertex.headers:
            raise BatchLineError(
                request.line,
                f"anthropic-beta {vertex.headers['anthropic-beta']!r} travels as an HTTP header "
                "on Vertex, and a batch line carries a body only; send it as an online call, "
                "or leave the beta out.",
                request.custom_id,
            )
        return vertex.body

    def line(self, request: BatchRequest) -> dict[str, Any]:
        """The input line of ``request``: ``{"custom_id", "request"}``."""
        return {"custom_id": request.custom_id, "request": self.body(request)}

    def jsonl(self, request: BatchRequest) -> str:
        """:meth:`line` as one line of JSON, newline included."""
        return json.dumps(self.line(request), ensure_ascii=False, separators=(",", ":")) + "\n"
