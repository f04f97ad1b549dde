"""A batch job's results: one typed result per request, matched by ``custom_id``.

Each output line of a job (``{"custom_id", "request", "response", "status"}``: the request,
the Messages API answer, and an error when the line failed) becomes a :class:`BatchResult`:
the SDK ``Message`` (a :class:`~claude_vertex.client.VertexMessage`, so
:func:`~claude_vertex.cost.cost_of` prices it) or a :class:`BatchItemError`, an exception
carrying the ``custom_id``, the input line and the error. A request with no output line at
all (the job was cancelled, expired or failed first) gets a result too, so there is exactly
one result per input request.

How the matching stays in bounded memory: the job's input file is read once into a
:class:`~claude_vertex.batch_index.DiskIndex` (``custom_id`` -> input line, on disk). Then

* in output order (the default), each output line is looked up there as it streams past and
  yielded at once; the requests never answered follow, in input order;
* in input order (``in_order=True``), each output line is stored on disk under its
  ``custom_id`` first (outputs can come in any order, across several files), then the index
  is walked in line order.

Either way memory holds one line and SQLite's page cache, whatever the job's size; disk holds
the index (and, in input order, a copy of the outputs).

Output files are read from the job's output folder: every ``.jsonl`` object under it, in name
order. Vertex's generic batch outputs are named ``predictions*.jsonl``; the names of Claude
jobs' files are not documented (unconfirmed), so none is assumed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pydantic

from .batch_index import DiskIndex
from .batch_jobs import BatchJob, BatchJobState
from .batch_staging import GcsUri, download_lines, list_uris, parse_gcs_uri
from .client import VertexMessage
from .cost import CostTotals, CostTotalsSnapshot, usage_cost
from .errors import ClaudeVertexError, error_details
from .usage import usage_counts

if TYPE_CHECKING:
    from google.cloud.storage import Client as StorageClient

__all__ = [
    "BatchItemError",
    "BatchResult",
    "BatchResults",
    "ResultType",
    "output_uris",
    "result_of_line",
]

#: A result's kind, as Anthropic's Message Batches name them.
ResultType = Literal["succeeded", "errored", "canceled", "expired"]


class BatchItemError(ClaudeVertexError):
    """One request of a batch job that has no answer: it failed, or was never run.

    Attributes:
        custom_id: the request's ``custom_id``.
        line: its line in the job's input (None when the input did not name it).
        result_type: ``errored`` (it failed), ``canceled`` (the job was cancelled first) or
            ``expired`` (the job ended first).
        error_type: the Messages API's error type (``invalid_request_error``,
            ``overloaded_error``...); ``api_error`` when Vertex named none.
        vertex_message: what Vertex said about it.
    """

    def __init__(
        self,
        custom_id: str,
        line: int | None,
        *,
        error_type: str,
        vertex_message: str,
        result_type: ResultType = "errored",
    ) -> None:
        where = f"line {line}, " if line is not None else ""
        super().__init__(
            f"Batch request {custom_id!r} ({where}{result_type}): {error_type}: "
            f"{vertex_message or 'no message'}"
        )
        self.custom_id = custom_id
        self.line = line
        self.result_type: ResultType = result_type
        self.error_type = error_type
        self.vertex_message = vertex_message

    def error_body(self) -> dict[str, Any]:
        """The Messages API error body: ``{"type": "error", "error": {"type", "message"}}``."""
        return {
            "type": "error",
            "error": {"type": self.error_type, "message": self.vertex_message},
        }


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one request of a batch job: an answer or an error.

    Attributes:
        custom_id: the request's ``custom_id``.
        line: its line in the job's input (None if the input did not name it).
        message: the answer (an SDK ``Message``) when the request succeeded.
        error: why there is no answer, otherwise.
    """

    custom_id: str
    line: int | None
    message: VertexMessage | None = None
    error: BatchItemError | None = None

    @property
    def type(self) -> ResultType:
        """``succeeded``, ``errored``, ``canceled`` or ``expired``."""
        return "succeeded" if self.error is None else self.error.result_type

    @property
    def succeeded(self) -> bool:
        """Whether the request was answered."""
        return self.error is None

    def record(self) -> dict[str, Any]:
        """The result in the shape of Anthropic's Message Batches results (one JSONL line).

        ``{"custom_id", "result": {"type": "succeeded", "message": {...}}}``, or
        ``{"type": "errored", "error": {"type": "error", "error": {...}}}``, or
        ``{"type": "canceled"}`` / ``{"type": "expired"}``.
        """
        result: dict[str, Any] = {"type": self.type}
        if self.message is not None:
            result["message"] = self.message.model_dump(mode="json", exclude_unset=True)
        elif self.error is not None and self.error.result_type == "errored":
            result["error"] = self.error.error_body()
        return {"custom_id": self.custom_id, "result": result}


def _status_error(status: object) -> tuple[str, str] | None:
    """The error a line's ``status`` reports, or None when it reports none."""
    if status is None or status == "" or status == {}:
        return None
    if isinstance(status, str):
        text = status.strip()
        if not text:
            return None
        return error_details(text)
    return error_details(status)


def result_of_line(value: Mapping[str, Any], line: int | None, region: str) -> BatchResult:
    """The result one output line reports (``value`` parsed, its ``custom_id`` read already).

    ``region`` is where the job ran: the answer's :attr:`VertexMessage.vertex_region`.
    """
    custom_id = str(value.get("custom_id"))
    failure = _status_error(value.get("status"))
    response = value.get("response")
    if failure is None and isinstance(response, Mapping) and response.get("type") == "error":
        failure = error_details(dict(response))
    if failure is None and isinstance(response, Mapping):
        try:
            message = VertexMessage.model_validate(response)
        except pydantic.ValidationError as exc:
            failure = ("api_error", f"the answer is not a Messages API message: {exc}")
        else:
            message.vertex_region = region
            return BatchResult(custom_id, line, message=message)
    if failure is None:
        failure = ("api_error", "the output line holds neither an answer nor an error")
    error_type, text = failure
    return BatchResult(
        custom_id,
        line,
        error=BatchItemError(custom_id, line, error_type=error_type, vertex_message=text),
    )


def _unanswered(custom_id: str, line: int, job: BatchJob) -> BatchResult:
    """The result of a request with no output line, by how the job ended."""
    kind: ResultType = "errored"
    if job.state in (BatchJobState.CANCELLED, BatchJobState.CANCELLING):
        kind, why = "canceled", "the job was cancelled before this request ran"
    elif job.state is BatchJobState.EXPIRED:
        kind, why = "expired", "the job expired before this request ran"
    elif job.error is not None:
        why = f"the job failed before this request ran: {job.error.message}"
    else:
        why = f"no output line answers it (job {job.state.short})"
    error = BatchItemError(
        custom_id, line, error_type="api_error", vertex_message=why, result_type=kind
    )
    return BatchResult(custom_id, line, error=error)


def output_uris(client: StorageClient, job: BatchJob) -> list[GcsUri]:
    """The job's output files: every ``.jsonl`` object under its output folder, by name."""
    folder = job.output_directory or job.output_prefix
    if not folder:
        return []
    where = parse_gcs_uri(folder, what="output folder")
    return [uri for uri in list_uris(client, where) if uri.name.endswith(".jsonl")]


def _parsed(text: str) -> Mapping[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, Mapping) or not isinstance(value.get("custom_id"), str):
        return None
    return value


class BatchResults:
    """The results of a finished job, one per input request, read as they are iterated.

    Iterate it once. As it goes, it counts answers and errors and adds up usage and cost at
    batch prices (:data:`~claude_vertex.cost.BATCH_PRICE_FACTOR`): see :attr:`totals`.

    Args:
        client: the Cloud Storage client.
        job: the job (its input files, output folder, region and state).
        in_order: results in input order rather than in the order of the output files.
    """

    def __init__(self, client: StorageClient, job: BatchJob, *, in_order: bool = False) -> None:
        self.job = job
        self.in_order = in_order
        self._client = client
        self._costs = CostTotals()
        #: Requests answered, and requests with an error (or with no answer), so far.
        self.succeeded = 0
        self.errored = 0
        #: Output lines whose ``custom_id`` is in no input line, or that cannot be read.
        self.unmatched = 0

    @property
    def totals(self) -> CostTotalsSnapshot:
        """Usage and cost (at batch prices) of the answers read so far."""
        return self._costs.snapshot()

    def __iter__(self) -> Iterator[BatchResult]:
        with DiskIndex() as index:
            self._index_input(index)
            found = self._stored(index) if self.in_order else self._streamed(index)
            for result in found:
                self._count(result)
                yield result

    def _count(self, result: BatchResult) -> None:
        if result.message is None:
            self.errored += 1
            return
        self.succeeded += 1
        usage = usage_counts(result.message.usage)
        self._costs.add(
            usage, usage_cost(usage, model=result.message.model, region=self.job.region, batch=True)
        )

    def _index_input(self, index: DiskIndex) -> None:
        """``custom_id`` -> line of every input request (lines count across input files)."""
        offset = 0
        for uri in self.job.input_uris:
            last = 0
            for number, text in download_lines(self._client, parse_gcs_uri(uri, what="input")):
                last = number
                value = _parsed(text)
                if value is not None:
                    index.add(str(value["custom_id"]), offset + number)
            offset += last

    def _output_lines(self) -> Iterable[tuple[Mapping[str, Any], str]]:
        """Each readable output line, parsed and as read."""
        for uri in output_uris(self._client, self.job):
            for _, text in download_lines(self._client, uri):
                value = _parsed(text)
                if value is None:
                    self.unmatched += 1
                else:
                    yield value, text

    def _streamed(self, index: DiskIndex) -> Iterator[BatchResult]:
        for value, _ in self._output_lines():
            placed = index.attach(str(value["custom_id"]), "")
            if placed is None or not placed[1]:  # unknown, or a repeat of an answered id
                self.unmatched += 1
                continue
            yield result_of_line(value, placed[0], self.job.region)
        for custom_id, line, _ in index.in_order(without_text=True):
            yield _unanswered(custom_id, line, self.job)

    def _stored(self, index: DiskIndex) -> Iterator[BatchResult]:
        for value, text in self._output_lines():
            placed = index.attach(str(value["custom_id"]), text)
            if placed is None or not placed[1]:
                self.unmatched += 1
        for custom_id, line, stored in index.in_order():
            if stored is None:
                yield _unanswered(custom_id, line, self.job)
            else:
                yield result_of_line(json.loads(stored), line, self.job.region)
