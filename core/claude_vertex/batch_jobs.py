"""Vertex AI's ``batchPredictionJobs`` resource, as plain REST on the core's settings and token.

``POST .../projects/{p}/locations/{r}/batchPredictionJobs`` creates a job, ``GET`` reads one
or lists them, ``:cancel`` cancels one and ``DELETE`` removes it. The host is the region's
(settings give it: the emulator's base URL in tests, as for model calls), the token is the
settings' shared :class:`~claude_vertex.credentials.TokenProvider`, and error answers become
the same typed errors as model calls (:func:`~claude_vertex.errors.error_from_response`), with
advice for batch jobs. :class:`BatchJob` is a job as read back: state, counts, times, error.

Field names follow Vertex's generic ``BatchPredictionJob`` resource (``completionStats``,
``outputInfo.gcsOutputDirectory``...); Google's Claude batch page shows the request, not every
field of the answer, so the reading tolerates missing fields.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from ._sdk import tls_context
from ._version import __version__
from .credentials import authorized_request
from .endpoints import validate_project, validate_region
from .errors import (
    ConfigurationError,
    MalformedResponseError,
    ModelNotFoundError,
    PermissionDeniedError,
    QuotaExhaustedError,
    VertexAPIError,
    VertexConnectionError,
    error_from_response,
)
from .failover import RETRYABLE_STATUSES, RetryPolicy
from .models import MULTI_REGIONS
from .settings import Settings

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "REQUESTS_LABEL",
    "BatchCounts",
    "BatchJob",
    "BatchJobError",
    "BatchJobNotFoundError",
    "BatchJobState",
    "BatchJobs",
    "JobTimeoutError",
    "parse_job_name",
]

#: ``projects/{project}/locations/{region}/batchPredictionJobs/{id}``.
_JOB_NAME = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<region>[^/]+)/batchPredictionJobs/(?P<id>[0-9]{1,30})"
)
_JOB_ID = re.compile(r"[0-9]{1,30}")
#: Seconds each HTTP exchange of the job resource may take.
DEFAULT_TIMEOUT = 60.0
#: Seconds between two reads of a job that :meth:`BatchJobs.wait` waits for.
DEFAULT_POLL_INTERVAL = 30.0
#: The label a job made by this package carries: how many requests its input holds.
REQUESTS_LABEL = "claude-vertex-requests"


class BatchJobState(str, enum.Enum):
    """A batch prediction job's ``state``, as Vertex names it."""

    UNSPECIFIED = "JOB_STATE_UNSPECIFIED"
    QUEUED = "JOB_STATE_QUEUED"
    PENDING = "JOB_STATE_PENDING"
    RUNNING = "JOB_STATE_RUNNING"
    SUCCEEDED = "JOB_STATE_SUCCEEDED"
    FAILED = "JOB_STATE_FAILED"
    CANCELLING = "JOB_STATE_CANCELLING"
    CANCELLED = "JOB_STATE_CANCELLED"
    PAUSED = "JOB_STATE_PAUSED"
    EXPIRED = "JOB_STATE_EXPIRED"
    UPDATING = "JOB_STATE_UPDATING"
    PARTIALLY_SUCCEEDED = "JOB_STATE_PARTIALLY_SUCCEEDED"

    @property
    def done(self) -> bool:
        """Whether the job has ended (its state will not change again)."""
        return self in _ENDED

    @property
    def short(self) -> str:
        """The state without ``JOB_STATE_``, lower case: ``running``, ``succeeded``..."""
        return self.value.removeprefix("JOB_STATE_").lower()


_ENDED = frozenset(
    {
        BatchJobState.SUCCEEDED,
        BatchJobState.FAILED,
        BatchJobState.CANCELLED,
        BatchJobState.EXPIRED,
        BatchJobState.PARTIALLY_SUCCEEDED,
    }
)


@dataclass(frozen=True)
class BatchCounts:
    """How many requests of a job have been answered (``completionStats``)."""

    succeeded: int = 0
    failed: int = 0
    incomplete: int = 0

    @property
    def done(self) -> int:
        """Requests answered, successfully or not."""
        return self.succeeded + self.failed


@dataclass(frozen=True)
class BatchJobError:
    """Why a job failed: Google's status ``code`` (a ``google.rpc.Code``) and message."""

    code: int
    message: str


@dataclass(frozen=True)
class BatchJob:
    """A batch prediction job as Vertex last described it.

    Attributes:
        name: the full resource name, ``projects/P/locations/R/batchPredictionJobs/ID``.
        display_name: the name given at creation.
        model: the model's resource name (``publishers/anthropic/models/M``).
        state: where the job is in its life.
        counts: requests answered so far.
        input_uris: the ``gs://`` input files (empty for a BigQuery source).
        output_prefix: the ``gs://`` prefix the job writes under.
        output_directory: the ``gs://`` folder of this job's outputs, once Vertex names it.
        create_time, start_time, end_time, update_time: as Vertex reports them (UTC).
        error: why the job failed, when it did.
        raw: the resource as read.
    """

    name: str
    display_name: str = ""
    model: str = ""
    state: BatchJobState = BatchJobState.UNSPECIFIED
    counts: BatchCounts = field(default_factory=BatchCounts)
    input_uris: tuple[str, ...] = ()
    output_prefix: str | None = None
    output_directory: str | None = None
    create_time: dt.datetime | None = None
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    update_time: dt.datetime | None = None
    error: BatchJobError | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def id(self) -> str:
        """The job's number, the last part of :attr:`name`."""
        return self.name.rsplit("/", 1)[-1]

    @property
    def project(self) -> str:
        """The project of the job (from its name)."""
        return parse_job_name(self.name)[0]

    @property
    def region(self) -> str:
        """The region of the job (from its name)."""
        return parse_job_name(self.name)[1]

    @property
    def requests(self) -> int | None:
        """How many requests the job has (None when unknown).

        The larger of its counts' sum and the label that
        :meth:`~claude_vertex.batch.BatchClient.submit` sets.
        """
        labelled = _int(_mapping(self.raw.get("labels")).get(REQUESTS_LABEL)) or None
        counted = self.counts.done + self.counts.incomplete
        return max(counted, labelled or 0) or None

    @property
    def model_id(self) -> str:
        """The model's id (the last part of :attr:`model`)."""
        return self.model.rsplit("/", 1)[-1]

    @property
    def done(self) -> bool:
        """Whether the job has ended."""
        return self.state.done

    def elapsed(self, now: dt.datetime | None = None) -> float | None:
        """Seconds from creation to the end (or to ``now`` while it runs), if known."""
        if self.create_time is None:
            return None
        end = self.end_time or now or dt.datetime.now(dt.timezone.utc)
        return max((end - self.create_time).total_seconds(), 0.0)

    def summary(self) -> dict[str, Any]:
        """The job as JSON-ready data (what ``claude-vertex batch status --json`` prints)."""
        return {
            "name": self.name,
            "display_name": self.display_name,
            "model": self.model_id,
            "state": self.state.value,
            "requests": self.requests,
            "counts": {
                "succeeded": self.counts.succeeded,
                "failed": self.counts.failed,
                "incomplete": self.counts.incomplete,
            },
            "input_uris": list(self.input_uris),
            "output_directory": self.output_directory or self.output_prefix,
            "create_time": _iso(self.create_time),
            "start_time": _iso(self.start_time),
            "end_time": _iso(self.end_time),
            "error": None
            if self.error is None
            else {"code": self.error.code, "message": self.error.message},
        }


class BatchJobNotFoundError(ModelNotFoundError):
    """404 for a batch job: no such job in the project and region (or no access to it)."""


class JobTimeoutError(TimeoutError):
    """:meth:`BatchJobs.wait` gave up before the job ended; the job goes on.

    Attributes:
        job: the job as last read.
    """

    def __init__(self, job: BatchJob, timeout: float) -> None:
        super().__init__(
            f"Batch job {job.name} is still {job.state.short} after {timeout:g} s; it goes on "
            "running. Wait again, or cancel it."
        )
        self.job = job


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _time(value: object) -> dt.datetime | None:
    """A Google timestamp (RFC 3339, ``Z`` and up to nanoseconds) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    main, dot, rest = text.partition(".")
    if dot:  # fromisoformat before 3.11 takes at most 6 digits of fraction
        digits = re.match(r"[0-9]*", rest)
        fraction = digits.group(0) if digits else ""
        text = f"{main}.{fraction[:6].ljust(6, '0')}{rest[len(fraction) :]}"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _int(value: object) -> int:
    """An int64 field (JSON string or number) as an int; 0 when absent or malformed."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def job_from_resource(resource: Mapping[str, Any]) -> BatchJob:
    """Read a ``BatchPredictionJob`` resource into a :class:`BatchJob`.

    Raises:
        MalformedResponseError: it has no valid ``name``.
    """
    name = resource.get("name")
    if not isinstance(name, str) or not _JOB_NAME.fullmatch(name):
        raise MalformedResponseError(f"a batch prediction job without a valid name ({name!r})")
    try:
        state = BatchJobState(resource.get("state") or BatchJobState.UNSPECIFIED.value)
    except ValueError:
        state = BatchJobState.UNSPECIFIED
    stats = _mapping(resource.get("completionStats"))
    input_config = _mapping(resource.get("inputConfig"))
    uris = _mapping(input_config.get("gcsSource")).get("uris") or ()
    output_config = _mapping(resource.get("outputConfig"))
    error = _mapping(resource.get("error"))
    return BatchJob(
        name=name,
        display_name=str(resource.get("displayName") or ""),
        model=str(resource.get("model") or ""),
        state=state,
        counts=BatchCounts(
            succeeded=_int(stats.get("successfulCount")),
            failed=_int(stats.get("failedCount")),
            incomplete=_int(stats.get("incompleteCount")),
        ),
        input_uris=tuple(
            u for u in ([uris] if isinstance(uris, str) else uris) if isinstance(u, str)
        ),
        output_prefix=_mapping(output_config.get("gcsDestination")).get("outputUriPrefix"),
        output_directory=_mapping(resource.get("outputInfo")).get("gcsOutputDirectory"),
        create_time=_time(resource.get("createTime")),
        start_time=_time(resource.get("startTime")),
        end_time=_time(resource.get("endTime")),
        update_time=_time(resource.get("updateTime")),
        error=BatchJobError(_int(error.get("code")), str(error.get("message") or ""))
        if error
        else None,
        raw=dict(resource),
    )


def _single_region(region: str) -> str:
    """``region``, if jobs can live there (not ``global``, ``us`` or ``eu``)."""
    validate_region(region)
    if region == "global" or region in MULTI_REGIONS:
        raise ConfigurationError(
            f"Batch prediction jobs live in single regions, not on the {region!r} endpoint: "
            "give the region (region=..., --region, or $CLOUD_ML_REGION), e.g. 'us-east5'."
        )
    return region


def parse_job_name(name: str) -> tuple[str, str, str]:
    """``(project, region, id)`` of a full job name, each validated.

    Raises:
        ConfigurationError: not of the form ``projects/P/locations/R/batchPredictionJobs/ID``.
    """
    match = _JOB_NAME.fullmatch(name.strip().strip("/")) if isinstance(name, str) else None
    if match is None:
        raise ConfigurationError(
            f"Invalid batch job name {name!r}: give the name submit printed, "
            "projects/PROJECT/locations/REGION/batchPredictionJobs/ID, or the job's number."
        )
    return (
        validate_project(match["project"]),
        validate_region(match["region"]),
        match["id"],
    )


#: What to do about errors of the job resource, where a model call's advice would mislead.
_HINTS: dict[type[VertexAPIError], str] = {
    QuotaExhaustedError: (
        "A project runs at most 4 batch prediction jobs at once by default: wait for one to "
        "end (`claude-vertex batch list`), or ask for more: "
        "https://console.cloud.google.com/iam-admin/quotas."
    ),
    PermissionDeniedError: (
        "The caller needs roles/aiplatform.user on the project, the model enabled in Model "
        "Garden, and the Vertex AI service agent needs access to the staging bucket."
    ),
    BatchJobNotFoundError: (
        "Check the job name and its region; `claude-vertex batch list --region R` lists the "
        "jobs of a region."
    ),
}


JobUpdate = Callable[[BatchJob], None]


class BatchJobs:
    """Creates, reads, lists, cancels and deletes batch prediction jobs. Thread-safe.

    Args:
        settings: the project and credentials (and the base URL, when fixed); each call goes
            to the host of the job's own region.
        region: the region of new jobs and of :meth:`list` (default: the settings').
        timeout: seconds each HTTP exchange may take.
        max_retries: further attempts of reads and cancels after a 429, 5xx or lost
            connection (creating a job is never repeated: it could make two jobs).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        region: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
    ) -> None:
        self.settings = settings
        self.region = validate_region(region or settings.region)
        self._policy = RetryPolicy(max_attempts=max_retries + 1)
        self._http = httpx2.Client(
            verify=tls_context(),
            timeout=httpx2.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"user-agent": f"claude-vertex/{__version__}"},
        )

    def __repr__(self) -> str:
        return f"BatchJobs({self.settings!r}, region={self.region!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> BatchJobs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- names ---------------------------------------------------------------------------
    def job_name(self, job: str | BatchJob) -> str:
        """The full name of ``job``: a :class:`BatchJob`, a full name or a job number."""
        if isinstance(job, BatchJob):
            return job.name
        text = str(job).strip()
        if _JOB_ID.fullmatch(text):
            return f"{self._collection(_single_region(self.region))}/{text}"
        project, region, number = parse_job_name(text)
        return f"projects/{project}/locations/{region}/batchPredictionJobs/{number}"

    def _collection(self, region: str) -> str:
        return f"projects/{self.settings.project}/locations/{region}/batchPredictionJobs"

    # -- HTTP ----------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        name: str,
        *,
        region: str,
        body: object = None,
        params: Mapping[str, str] | None = None,
        repeatable: bool = True,
        model: str | None = None,
    ) -> dict[str, Any]:
        """Send a request about ``name`` (a path under ``/v1``); its JSON answer."""
        url = f"{self.settings.for_region(region).base_url}/{name}"
        attempts = self._policy.max_attempts if repeatable else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = authorized_request(
                    self._http,
                    method,
                    url,
                    self.settings.tokens,
                    timeout=DEFAULT_TIMEOUT,
                    json=body,
                    params=params,
                )
            except httpx2.TransportError as exc:
                if last:
                    raise VertexConnectionError(
                        f"No answer from Vertex AI ({region}) for {method} {name}: {exc}",
                        request=exc.request,
                        region=region,
                    ) from exc
                time.sleep(self._policy.delay(attempt))
                continue
            if response.status_code in RETRYABLE_STATUSES and not last:
                time.sleep(self._policy.delay(attempt))
                continue
            return self._answer(response, region=region, model=model)
        raise AssertionError("unreachable")  # pragma: no cover

    def _answer(
        self, response: httpx2.Response, *, region: str, model: str | None
    ) -> dict[str, Any]:
        """The JSON of a successful answer, or the typed error of a failed one."""
        try:
            body: object = response.json() if response.content else {}
        except ValueError:
            body = response.text
        if response.is_success:
            if not isinstance(body, dict):
                raise MalformedResponseError("the answer is not a JSON object", response=response)
            return body
        # A 404 about a job (not about the model of a new one) says the job is not there.
        classes: dict[type[VertexAPIError], type[VertexAPIError]] | None = (
            None if model else {ModelNotFoundError: BatchJobNotFoundError}
        )
        raise error_from_response(
            response,
            body,
            project=self.settings.project,
            region=region,
            model=model,
            hints=_HINTS,
            classes=classes,
        )

    # -- the resource --------------------------------------------------------------------
    def create(self, body: Mapping[str, Any], *, model: str | None = None) -> BatchJob:
        """Create a job from a ``BatchPredictionJob`` body in this client's region."""
        answer = self._call(
            "POST",
            self._collection(self.region),
            region=self.region,
            body=dict(body),
            repeatable=False,
            model=model,
        )
        return job_from_resource(answer)

    def get(self, job: str | BatchJob) -> BatchJob:
        """The job as Vertex describes it now."""
        name = self.job_name(job)
        return job_from_resource(self._call("GET", name, region=parse_job_name(name)[1]))

    def list(
        self, *, region: str | None = None, page_size: int = 100, filter: str | None = None
    ) -> Iterator[BatchJob]:
        """The jobs of the project in ``region`` (default: this client's), newest first.

        Pages are read as the iteration reaches them. ``filter`` is Vertex's list filter
        (for example ``state="JOB_STATE_RUNNING"``).
        """
        where = _single_region(region or self.region)
        params = {"pageSize": str(page_size)}
        if filter:
            params["filter"] = filter
        while True:
            page = self._call("GET", self._collection(where), region=where, params=params)
            for resource in page.get("batchPredictionJobs") or ():
                if isinstance(resource, Mapping):
                    yield job_from_resource(resource)
            token = page.get("nextPageToken")
            if not isinstance(token, str) or not token:
                return
            params = {**params, "pageToken": token}

    def cancel(self, job: str | BatchJob) -> BatchJob:
        """Ask Vertex to cancel the job; the job as read right after (often ``cancelling``)."""
        name = self.job_name(job)
        region = parse_job_name(name)[1]
        self._call("POST", f"{name}:cancel", region=region, body={})
        return self.get(name)

    def delete(self, job: str | BatchJob) -> None:
        """Delete the job's record (not its output files); a running job is cancelled first."""
        name = self.job_name(job)
        self._call("DELETE", name, region=parse_job_name(name)[1])

    def wait(
        self,
        job: str | BatchJob,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
        on_update: JobUpdate | None = None,
    ) -> BatchJob:
        """Read the job every ``poll_interval`` seconds until it ends; the job as it ended.

        ``on_update`` is called with each reading (a progress bar draws from it).

        Raises:
            JobTimeoutError: ``timeout`` seconds passed first (the job goes on).
        """
        started = time.monotonic()
        while True:
            current = self.get(job)
            if on_update is not None:
                on_update(current)
            if current.done:
                return current
            if timeout is not None and time.monotonic() - started >= timeout:
                raise JobTimeoutError(current, timeout)
            pause = poll_interval
            if timeout is not None:
                pause = min(pause, max(timeout - (time.monotonic() - started), 0.0))
            time.sleep(pause)
