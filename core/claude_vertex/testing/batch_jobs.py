"""Vertex AI's ``batchPredictionJobs`` resource for Claude, on loopback.

Routes (``v1`` and ``v1beta1``), under ``/projects/{project}/locations/{region}``:

- ``POST .../batchPredictionJobs`` creates a job (``JOB_STATE_PENDING``), after Google's
  checks: credentials, project, a region that runs batch jobs (not ``global`` nor the ``us``
  and ``eu`` multi-regions), ``displayName``, a model ``publishers/anthropic/models/{id}``
  served in the region, a ``jsonl`` input from ``gcsSource.uris`` that exist (``*``
  wildcards expand) and a ``gcsDestination.outputUriPrefix``. A BigQuery source or
  destination is refused as not emulated.
- ``GET .../batchPredictionJobs`` lists them (newest first, ``pageSize``/``pageToken``),
  ``GET .../batchPredictionJobs/{id}`` reads one, ``DELETE`` removes an ended one,
  ``POST .../batchPredictionJobs/{id}:cancel`` cancels one.

At most ``concurrency`` jobs of the project run at once (4 by default, Google's documented
quota); further jobs wait ``JOB_STATE_PENDING`` for a slot, or are refused with 429 when the
emulator is made with ``batch_over_limit="refuse"`` (which of the two Vertex does is
unconfirmed). Each running job has a thread (:mod:`.batch_job`). Job names carry the
project's number, as Vertex's do; paths take the project's id or number.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import secrets
import threading
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from claude_vertex.models import MULTI_REGIONS, ModelInfo, resolve_model

from .auth import UNAUTHENTICATED_MESSAGE, Authority
from .batch_faults import BatchFaultPlan
from .batch_job import CANCELLED, CANCELLING, ENDED, PENDING, BatchJob, JobRunner
from .error_bodies import google_error
from .faults import Fault
from .front_door import FrontDoor
from .jsontypes import JSON
from .model_layer import ModelLayer
from .replies import Reply
from .request_log import INVALID_JSON, Incoming, parse_json
from .storage import BUCKET_NAME, ObjectStore

__all__ = ["BatchAnswer", "BatchJobs", "OverLimit", "project_number"]

OverLimit = Literal["queue", "refuse"]

_COLLECTION = re.compile(
    r"/(?:v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/batchPredictionJobs"
    r"(?:/([^/:]+))?(?::([A-Za-z]+))?"
)
_MODEL = re.compile(
    r"(?:projects/[^/]+/locations/[^/]+/)?publishers/anthropic/models/([A-Za-z0-9._@-]+)"
)
_GCS_URI = re.compile(r"gs://([^/]+)/(.*)")
_GCS_PREFIX = re.compile(r"gs://([^/]+)/?(.*)")
#: Endpoints that do not run batch prediction jobs.
_NO_BATCH = ("global", *MULTI_REGIONS)
_DEFAULT_PAGE_SIZE = 100


def project_number(project: str) -> str:
    """The 12-digit project number the emulator gives ``project`` (stable, made up)."""
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return str(10**11 + digest % (9 * 10**11))


class BatchAnswer(NamedTuple):
    """A batch route's reply, and what the request log records of the request."""

    reply: Reply
    body: JSON | None
    project: str
    region: str
    model: str | None = None


def _refusal(code: int, message: str, status: str | None = None) -> Reply:
    return Reply.json(code, google_error(code, message, status))


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _gcs(uri: object) -> tuple[str, str] | None:
    found = _GCS_URI.fullmatch(uri) if isinstance(uri, str) else None
    if found is None or not BUCKET_NAME.fullmatch(found.group(1)):
        return None
    return found.group(1), found.group(2)


class BatchJobs:
    """The jobs of the emulator's project, their routes and their scheduling. Thread-safe.

    Args:
        project: The project served.
        authority: Decides which bearer tokens are valid.
        front_door: Which models each region serves.
        objects: Where inputs are read and outputs written.
        model_layer: Answers each line.
        faults: Batch faults and pace.
        concurrency: How many jobs may run at once.
        over_limit: What a job beyond ``concurrency`` gets: ``queue`` (it waits pending) or
            ``refuse`` (429 RESOURCE_EXHAUSTED at creation).
    """

    def __init__(
        self,
        *,
        project: str,
        authority: Authority,
        front_door: FrontDoor,
        objects: ObjectStore,
        model_layer: ModelLayer,
        faults: BatchFaultPlan,
        concurrency: int = 4,
        over_limit: OverLimit = "queue",
    ) -> None:
        if concurrency < 1:
            raise ValueError("batch concurrency must be at least 1")
        if over_limit not in ("queue", "refuse"):
            raise ValueError(f"over_limit must be 'queue' or 'refuse', not {over_limit!r}")
        self._project = project
        self.number = project_number(project)
        self._authority = authority
        self._front_door = front_door
        self._objects = objects
        self._faults = faults
        self._concurrency = concurrency
        self._over_limit = over_limit
        self._lock = threading.Lock()
        self._jobs: dict[str, BatchJob] = {}
        self._runner = JobRunner(objects, model_layer, faults, self._ended, self._fault_status)

    @staticmethod
    def handles(path: str) -> bool:
        """Whether ``path`` (without its query) is a batch job path."""
        return _COLLECTION.fullmatch(path) is not None

    # ----------------------------------------------------------- lifecycle

    def reset(self) -> None:
        """Stop every job's thread and forget every job."""
        with self._lock:
            jobs = list(self._jobs.values())
            self._jobs.clear()
        for job in jobs:
            job.stop_requested.set()
            job.cancel_requested.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout=10)

    def release(self) -> None:
        """Start the pending jobs that have a slot (after a hold is lifted)."""
        self._launch_ready()

    # ----------------------------------------------------------- routes

    def answer(self, incoming: Incoming) -> BatchAnswer:
        """The answer to a batch request, with what the request log records of it."""
        path = urlsplit(incoming.path).path
        found = _COLLECTION.fullmatch(path)
        assert found is not None
        project, region, job_id, verb = (unquote(g) if g else g for g in found.groups())
        body = parse_json(incoming.raw_body)
        logged = body if isinstance(body, dict) else None
        reply, model = self._route(incoming, project, region, job_id, verb, body)
        return BatchAnswer(reply, logged, project, region, model)

    def _route(
        self,
        incoming: Incoming,
        project: str,
        region: str,
        job_id: str | None,
        verb: str | None,
        body: object,
    ) -> tuple[Reply, str | None]:
        refusal = self._gateway_refusal(incoming, project, region, body)
        if refusal is not None:
            return refusal, None
        method = incoming.method
        if job_id is None and verb is None:
            if method == "POST":
                return self._create(region, body)
            if method == "GET":
                return self._list(incoming, region), None
        elif job_id is not None:
            job = self._find(region, job_id)
            if job is None:
                return self._not_found(project, region, job_id), None
            model = job.model.vertex_id
            if method == "GET" and verb is None:
                return Reply.json(200, job.resource()), model
            if method == "POST" and verb == "cancel":
                return self._cancel(job), model
            if method == "DELETE" and verb is None:
                return self._delete(job), model
        return _refusal(
            404, f"The requested URL {urlsplit(incoming.path).path} was not found."
        ), None

    def _gateway_refusal(
        self, incoming: Incoming, project: str, region: str, body: object
    ) -> Reply | None:
        if not self._authority.bearer_valid(incoming.headers.get("authorization")):
            return _refusal(401, UNAUTHENTICATED_MESSAGE)
        if body is INVALID_JSON:
            return _refusal(400, "Invalid JSON payload received. Unexpected token.")
        if project not in (self._project, self.number):
            message = (
                f"Permission 'aiplatform.batchPredictionJobs.create' denied on resource "
                f"'//aiplatform.googleapis.com/projects/{project}/locations/{region}' (or it "
                "may not exist)."
            )
            return _refusal(403, message)
        if region in _NO_BATCH:
            message = (
                f"Batch prediction jobs are not supported in location {region}: use a region "
                "that serves the model, such as us-east5."
            )
            return _refusal(400, message)
        return None

    def _not_found(self, project: str, region: str, job_id: str) -> Reply:
        name = f"projects/{project}/locations/{region}/batchPredictionJobs/{job_id}"
        return _refusal(404, f"The BatchPredictionJob {name} does not exist.")

    def _find(self, region: str, job_id: str) -> BatchJob | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.region == region else None

    # ----------------------------------------------------------- create

    def _create(self, region: str, body: object) -> tuple[Reply, str | None]:
        if not isinstance(body, dict):
            return _refusal(400, "The request body must be a BatchPredictionJob."), None
        model, problem = self._model_of(region, body)
        if problem is not None:
            return problem, None
        assert model is not None
        plan, problem = self._storage_plan(body)
        if problem is not None:
            return problem, model.vertex_id
        assert plan is not None
        inputs, output = plan
        with self._lock:
            if self._over_limit == "refuse" and self._running() >= self._concurrency:
                message = (
                    "Quota exceeded for aiplatform.googleapis.com/concurrent_batch_prediction_jobs"
                    f": at most {self._concurrency} batch prediction jobs may run at once in "
                    "a project."
                )
                return _refusal(429, message), model.vertex_id
            job_id = str(secrets.randbelow(9 * 10**18) + 10**18)
            job = BatchJob(
                name=f"projects/{self.number}/locations/{region}/batchPredictionJobs/{job_id}",
                region=region,
                model=model,
                request=body,
                inputs=inputs,
                output=output,
                failure=self._faults.take_job_failure(),
            )
            self._jobs[job_id] = job
        resource = job.resource()
        self._launch_ready()
        return Reply.json(200, resource), model.vertex_id

    def _model_of(self, region: str, body: dict[str, Any]) -> tuple[ModelInfo | None, Reply | None]:
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            return None, _refusal(400, "BatchPredictionJob.display_name is required.")
        found = _MODEL.fullmatch(str(body.get("model", "")))
        if found is None:
            message = (
                f"Invalid model {body.get('model')!r}: use publishers/anthropic/models/MODEL_ID."
            )
            return None, _refusal(400, message)
        model_id = found.group(1)
        refusal = self._front_door.availability_refusal("create", self.number, region, model_id)
        if refusal is not None:
            return None, refusal
        return resolve_model(model_id), None

    def _storage_plan(
        self, body: dict[str, Any]
    ) -> tuple[tuple[tuple[tuple[str, str], ...], tuple[str, str]] | None, Reply | None]:
        source, sink = _mapping(body.get("inputConfig")), _mapping(body.get("outputConfig"))
        if "bigquerySource" in source or "bigqueryDestination" in sink:
            message = (
                "BigQuery sources and destinations are not emulated: use gcsSource and "
                "gcsDestination (JSONL in Cloud Storage)."
            )
            return None, _refusal(400, message)
        if source.get("instancesFormat") != "jsonl" or sink.get("predictionsFormat") != "jsonl":
            message = "instancesFormat and predictionsFormat must be 'jsonl' for Claude models."
            return None, _refusal(400, message)
        uris = _mapping(source.get("gcsSource")).get("uris")
        if not isinstance(uris, list) or not uris:
            return None, _refusal(400, "inputConfig.gcsSource.uris is required.")
        inputs: list[tuple[str, str]] = []
        for uri in uris:
            matched = self._expand(uri)
            if not matched:
                return None, _refusal(400, f"The input {uri!r} does not exist.")
            inputs.extend(matched)
        prefix = _mapping(sink.get("gcsDestination")).get("outputUriPrefix")
        output = _GCS_PREFIX.fullmatch(prefix) if isinstance(prefix, str) else None
        if output is None or not BUCKET_NAME.fullmatch(output.group(1)):
            message = "outputConfig.gcsDestination.outputUriPrefix must be gs://BUCKET[/PREFIX]."
            return None, _refusal(400, message)
        return (tuple(inputs), (output.group(1), output.group(2))), None

    def _expand(self, uri: object) -> list[tuple[str, str]]:
        """The objects a ``gs://`` input URI names: itself, or the matches of its ``*``."""
        found = _gcs(uri)
        if found is None:
            return []
        bucket, pattern = found
        if "*" not in pattern:
            return [found] if self._objects.get(bucket, pattern) is not None else []
        stem = pattern.split("*", 1)[0]
        return [
            (bucket, stored.name)
            for stored in self._objects.listing(bucket, stem)
            if fnmatch.fnmatchcase(stored.name, pattern)
        ]

    # ----------------------------------------------------------- read, cancel, delete

    def _list(self, incoming: Incoming, region: str) -> Reply:
        query = dict(parse_qsl(urlsplit(incoming.path).query))
        if query.get("filter"):
            return _refusal(400, "List filters are not emulated: list without `filter`.")
        try:
            size = int(query.get("pageSize") or _DEFAULT_PAGE_SIZE)
            start = int(query.get("pageToken") or 0)
        except ValueError:
            return _refusal(400, "Invalid pageSize or pageToken.")
        with self._lock:
            jobs = [job for job in self._jobs.values() if job.region == region]
        jobs.sort(key=lambda job: job.created, reverse=True)
        page = jobs[start : start + max(size, 1)]
        result: JSON = {}
        if page:
            result["batchPredictionJobs"] = [job.resource() for job in page]
        if start + len(page) < len(jobs):
            result["nextPageToken"] = str(start + len(page))
        return Reply.json(200, result)

    def _cancel(self, job: BatchJob) -> Reply:
        with job.lock:
            state, launched = job.state, job.launched
        if state in ENDED or state == CANCELLING:
            message = (
                f"The BatchPredictionJob {job.name} is in state {state} and cannot be cancelled."
            )
            return _refusal(400, message, "FAILED_PRECONDITION")
        if launched:
            job.set_state(CANCELLING)
            job.cancel_requested.set()
        else:
            job.set_state(CANCELLED)
        return Reply.json(200, {})

    def _delete(self, job: BatchJob) -> Reply:
        with job.lock:
            state = job.state
        if state not in ENDED:
            message = (
                f"The BatchPredictionJob {job.name} is in state {state}; cancel it and wait for "
                "it to end before deleting it."
            )
            return _refusal(400, message, "FAILED_PRECONDITION")
        with self._lock:
            self._jobs.pop(job.job_id, None)
        operation = {
            "name": f"{job.name}/operations/{secrets.randbelow(10**18)}",
            "metadata": {
                "@type": "type.googleapis.com/google.cloud.aiplatform.v1.DeleteOperationMetadata",
                "genericMetadata": {
                    "createTime": job.resource()["updateTime"],
                    "updateTime": job.resource()["updateTime"],
                },
            },
            "done": True,
            "response": {"@type": "type.googleapis.com/google.protobuf.Empty"},
        }
        return Reply.json(200, operation)

    # ----------------------------------------------------------- scheduling

    def _running(self) -> int:
        """Jobs holding a slot (call with the lock held)."""
        return sum(1 for job in self._jobs.values() if job.launched and job.state not in ENDED)

    def _launch_ready(self) -> None:
        """Give threads to the oldest pending jobs while slots are free (none while held)."""
        if self._faults.hold:
            return
        with self._lock:
            waiting = sorted(
                (job for job in self._jobs.values() if not job.launched and job.state == PENDING),
                key=lambda job: job.created,
            )
            free = self._concurrency - self._running()
            chosen = waiting[: max(free, 0)]
            for job in chosen:
                job.launched = True
                job.thread = threading.Thread(
                    target=self._runner.run,
                    args=(job,),
                    name=f"vertex-emulator-batch-{job.job_id}",
                    daemon=True,
                )
        for job in chosen:
            assert job.thread is not None
            job.thread.start()

    def _ended(self, job: BatchJob) -> None:
        if not job.stop_requested.is_set():
            self._launch_ready()

    def _fault_status(self, fault: Fault, job: BatchJob) -> str:
        """A failed line's ``status``: the error body ``fault`` answers, as text."""
        reply = fault.reply("create", self.number, job.region, job.model.vertex_id)
        return reply.body.decode("utf-8", "replace")
