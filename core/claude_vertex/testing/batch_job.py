"""One batch prediction job: its state, its resource JSON, and the thread that runs it.

A :class:`BatchJob` reads its input objects line by line from the object store, answers each
line through the :class:`~.model_layer.ModelLayer` (the same checks and answers as an online
``rawPredict`` call), writes one output line per input line to a spool file as it goes, and
publishes the spool as ``predictions.jsonl`` under its output directory when it ends.

An output line is the input line with two fields added, ``response`` (the Messages API
answer) and ``status`` (``""``), or, for a line that failed, ``status`` alone: the error's JSON
as text (the model layer's ``{"type": "error", ...}``). The field names are Google's; the
text of a failed line's ``status`` is unconfirmed (Gemini batch jobs write e.g.
``Bad Request: {...}``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from claude_vertex.batch_jobs import BatchJobState
from claude_vertex.models import ModelInfo

from .batch_faults import BatchFaultPlan, JobFailure
from .jsontypes import JSON
from .model_layer import ModelLayer
from .storage import ObjectStore, Spool, StoredObject, rfc3339

__all__ = ["OUTPUT_FILE", "BatchJob", "JobState"]

#: The name of the output object under a job's output directory (Gemini jobs' name; the name
#: Claude jobs use is unconfirmed).
OUTPUT_FILE = "predictions.jsonl"

#: A job's ``state``, as Vertex writes it (the core's names of the states).
JobState = str
PENDING: JobState = BatchJobState.PENDING.value
RUNNING: JobState = BatchJobState.RUNNING.value
SUCCEEDED: JobState = BatchJobState.SUCCEEDED.value
FAILED: JobState = BatchJobState.FAILED.value
CANCELLING: JobState = BatchJobState.CANCELLING.value
CANCELLED: JobState = BatchJobState.CANCELLED.value
#: States a job never leaves.
ENDED = frozenset({SUCCEEDED, FAILED, CANCELLED})


@dataclass
class BatchJob:
    """A job and its progress; its fields change under :attr:`lock` only."""

    name: str
    region: str
    model: ModelInfo
    request: dict[str, Any] = field(repr=False)
    inputs: tuple[tuple[str, str], ...]
    output: tuple[str, str]
    failure: JobFailure | None
    created: float = field(default_factory=time.time)
    state: JobState = PENDING
    started: float | None = None
    ended: float | None = None
    updated: float = field(default_factory=time.time)
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    output_directory: str | None = None
    error: JSON | None = None
    #: Whether the scheduler has given the job a thread (it then counts against the limit).
    launched: bool = False
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None

    @property
    def job_id(self) -> str:
        """The job's number, the last part of :attr:`name`."""
        return self.name.rsplit("/", 1)[-1]

    def resource(self) -> JSON:
        """The ``BatchPredictionJob`` resource as Vertex's REST API shows it."""
        with self.lock:
            resource: JSON = {
                "name": self.name,
                **{
                    key: self.request[key]
                    for key in ("displayName", "model")
                    if key in self.request
                },
                "inputConfig": self.request.get("inputConfig"),
                "outputConfig": self.request.get("outputConfig"),
                "state": self.state,
                "createTime": rfc3339(self.created),
                "updateTime": rfc3339(self.updated),
            }
            if "labels" in self.request:
                resource["labels"] = self.request["labels"]
            if self.started is not None:
                resource["startTime"] = rfc3339(self.started)
                # int64 fields are strings in Google's JSON; counts are updated as lines are
                # answered (whether Vertex updates them before the end is unconfirmed).
                resource["completionStats"] = {
                    "successfulCount": str(self.succeeded),
                    "failedCount": str(self.failed),
                    "incompleteCount": str(max(self.total - self.succeeded - self.failed, 0)),
                }
            if self.output_directory is not None:
                resource["outputInfo"] = {"gcsOutputDirectory": self.output_directory}
            if self.ended is not None:
                resource["endTime"] = rfc3339(self.ended)
            if self.error is not None:
                resource["error"] = self.error
            return resource

    def set_state(self, state: JobState, **changes: Any) -> None:
        """Move to ``state`` (and set ``changes``), stamping :attr:`updated`."""
        with self.lock:
            self.state = state
            for key, value in changes.items():
                setattr(self, key, value)
            self.updated = time.time()
            if state in ENDED and self.ended is None:
                self.ended = self.updated


@dataclass
class JobRunner:
    """Runs :class:`BatchJob` s: what a job's thread needs from the emulator."""

    objects: ObjectStore
    model_layer: ModelLayer
    faults: BatchFaultPlan
    #: Called (from the job's thread) when a job has ended, to start the next ones.
    on_end: Callable[[BatchJob], None]
    #: How the line failures the faults plan are answered: ``(fault, job) -> status text``.
    fault_status: Callable[[Any, BatchJob], str]

    def run(self, job: BatchJob) -> None:
        """The body of a job's thread: answer every line, publish, end."""
        try:
            self._run(job)
        finally:
            self.on_end(job)

    def _run(self, job: BatchJob) -> None:
        bucket, prefix = job.output
        # Vertex's generic layout: {outputUriPrefix}/prediction-model-{creation timestamp}.
        folder = "prediction-model-" + rfc3339(time.time())
        directory = f"{prefix.rstrip('/')}/{folder}" if prefix.strip("/") else folder
        inputs = [self.objects.get(bucket_name, name) for bucket_name, name in job.inputs]
        missing = [
            f"gs://{b}/{n}"
            for (b, n), found in zip(job.inputs, inputs, strict=True)
            if found is None
        ]
        if missing:
            job.set_state(FAILED, error={"code": 5, "message": f"Input not found: {missing[0]}"})
            return
        present = [stored for stored in inputs if stored is not None]
        job.set_state(RUNNING, started=time.time(), output_directory=f"gs://{bucket}/{directory}")
        spool = self.objects.spool()
        try:
            total = sum(_count_lines(stored) for stored in present)
            with job.lock:
                job.total = total
            ending = self._answer_all(job, present, spool)
        except OSError as problem:  # an input replaced or removed mid-run
            ending = (FAILED, {"code": 13, "message": f"Reading the input failed: {problem}"})
        if job.stop_requested.is_set():
            spool.discard()
            return
        if spool.size:
            self.objects.commit(bucket, f"{directory}/{OUTPUT_FILE}", spool, "application/jsonl")
        else:
            spool.discard()
        state, error = ending
        job.set_state(state, error=error)

    def _answer_all(
        self, job: BatchJob, inputs: list[StoredObject], spool: Spool
    ) -> tuple[JobState, JSON | None]:
        failure = job.failure
        for done, raw in enumerate(_lines(inputs)):
            if failure is not None and done >= failure.after_lines:
                return FAILED, {"code": failure.code, "message": failure.message}
            if job.stop_requested.is_set() or job.cancel_requested.is_set():
                return CANCELLED, None
            out, ok = self._answer_line(job, raw)
            spool.write(out)
            with job.lock:
                if ok:
                    job.succeeded += 1
                else:
                    job.failed += 1
                job.updated = time.time()
            pace = self.faults.pace
            if pace:
                job.cancel_requested.wait(pace)
        if failure is not None:
            return FAILED, {"code": failure.code, "message": failure.message}
        return SUCCEEDED, None

    def _answer_line(self, job: BatchJob, raw: bytes) -> tuple[bytes, bool]:
        """One output line (with its newline) and whether the line succeeded."""
        try:
            line = json.loads(raw)
        except ValueError:
            line = None
        if not isinstance(line, dict):
            status = _error_text("invalid_request_error", "The line is not a JSON object.")
            unreadable = {"request": raw.decode("utf-8", "replace").rstrip(), "status": status}
            return (json.dumps(unreadable) + "\n").encode(), False
        out: dict[str, object] = dict(line)
        fault = self.faults.line_fault(line.get("custom_id"))
        if fault is not None:
            out["status"] = self.fault_status(fault, job)
            return (json.dumps(out) + "\n").encode(), False
        answer = self.model_layer.answer(line.get("request"), "create", job.model)
        if answer.ok:
            out["response"], out["status"] = answer.payload, ""
        else:
            out["status"] = json.dumps(answer.payload)
        return (json.dumps(out) + "\n").encode(), answer.ok


def _error_text(error_type: str, message: str) -> str:
    return json.dumps({"type": "error", "error": {"type": error_type, "message": message}})


def _lines(inputs: list[StoredObject]) -> Iterator[bytes]:
    """The non-blank lines of the input objects, in order, read from disk as needed."""
    for stored in inputs:
        with stored.path.open("rb") as source:
            for raw in source:
                if raw.strip():
                    yield raw


def _count_lines(stored: StoredObject) -> int:
    """How many non-blank lines an input object holds (one pass over its file)."""
    count = 0
    with stored.path.open("rb") as source:
        for raw in source:
            if raw.strip():
                count += 1
    return count
