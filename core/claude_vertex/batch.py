"""Vertex AI batch prediction for Claude: many Messages API requests as one job on Google's side.

:class:`BatchClient` submits a job from requests (a JSONL file or an iterable), waits for it,
cancels it, and reads its results back as typed messages or per-request errors::

    from claude_vertex import resolve_settings
    from claude_vertex.batch import BatchClient

    settings = resolve_settings(model="claude-haiku-4-5", region="us-east5")
    with BatchClient(settings) as batch:
        job = batch.submit(
            [{"custom_id": "q1", "params": {"max_tokens": 64,
              "messages": [{"role": "user", "content": "Hey Claude!"}]}}],
            model="claude-haiku-4-5",
            staging="gs://my-bucket/batches",
        )
        job = batch.wait(job)
        for result in batch.results(job, in_order=True):
            print(result.custom_id, result.message or result.error)

What happens, in order: every request is checked and turned into Vertex's line
(:mod:`claude_vertex.batch_lines`) while being written to a temporary file; only when every
line is good is the file uploaded to ``{staging}/{run}/input.jsonl`` in resumable chunks
(:mod:`claude_vertex.batch_staging`); then the job is created with its outputs under
``{staging}/{run}/output`` (:mod:`claude_vertex.batch_jobs`). Region, model, staging URI and
an empty input are refused before any I/O. Results (:mod:`claude_vertex.batch_results`) are
matched to the input by ``custom_id``, on disk rather than in memory.

The client is synchronous; :class:`AsyncBatchClient` runs the same calls in worker threads
(``asyncio.to_thread``), which is all it is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union, cast

from .batch_jobs import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    REQUESTS_LABEL,
    BatchCounts,
    BatchJob,
    BatchJobError,
    BatchJobNotFoundError,
    BatchJobs,
    BatchJobState,
    JobTimeoutError,
    JobUpdate,
)
from .batch_lines import (
    BatchInputError,
    BatchLineError,
    BatchRequest,
    LineTransform,
    as_batch_requests,
    read_request_lines,
    write_input,
)
from .batch_results import BatchItemError, BatchResult, BatchResults
from .batch_staging import (
    UPLOAD_CHUNK_BYTES,
    checked_chunk_bytes,
    parse_gcs_uri,
    storage_client,
    upload_file,
)
from .cost import CostTotalsSnapshot
from .endpoints import validate_batch_region
from .errors import ConfigurationError
from .models import resolve_model
from .settings import Settings

if TYPE_CHECKING:
    from google.cloud.storage import Client as StorageClient

__all__ = [
    "AsyncBatchClient",
    "AsyncBatchResults",
    "BatchClient",
    "BatchCounts",
    "BatchInput",
    "BatchInputError",
    "BatchItemError",
    "BatchJob",
    "BatchJobError",
    "BatchJobNotFoundError",
    "BatchJobState",
    "BatchLineError",
    "BatchRequest",
    "BatchResult",
    "BatchResults",
    "JobTimeoutError",
    "StagedInput",
]

#: What :meth:`BatchClient.submit` takes: a JSONL path or open file, or requests (each a
#: :class:`BatchRequest`, a mapping of either line shape, or such a mapping as JSON text).
BatchInput = Union[
    str, "os.PathLike[str]", IO[str], Iterable[BatchRequest | Mapping[str, Any] | str]
]


@dataclass(frozen=True)
class StagedInput:
    """A checked input, uploaded: where it is, how many requests, how many bytes."""

    uri: str
    requests: int
    bytes: int
    model: str
    #: Where the job's outputs go (beside the input).
    output_prefix: str
    #: The run's folder name under the staging prefix.
    run: str


def _requests_of(source: BatchInput) -> Iterable[BatchRequest | BatchLineError]:
    if isinstance(source, (str, os.PathLike)):
        return read_request_lines(source)
    if hasattr(source, "read"):  # an open text file
        return read_request_lines(cast("IO[str]", source))
    return as_batch_requests(source)


def _run_name() -> str:
    """A new run's folder name: UTC time and a random suffix (``batch-20261130-120000-1a2b3c``)."""
    now = dt.datetime.now(dt.timezone.utc)
    return f"batch-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class BatchClient:
    """Submits Claude batch prediction jobs on Vertex AI and reads their results.

    Args:
        settings: project, credentials and (when fixed) base URL, from
            :func:`~claude_vertex.resolve_settings`.
        region: where jobs run: a single region that serves the model (default: the
            settings' region, which must then be one; ``global`` and ``us``/``eu`` cannot
            run batch jobs).
        storage: a google-cloud-storage client to stage files with (default: one on the
            settings' project and shared token, honouring ``STORAGE_EMULATOR_HOST``).
        timeout: seconds each HTTP exchange with the job resource may take.
        max_retries: further attempts of job reads and cancels after a 429, 5xx or lost
            connection.
        upload_chunk_bytes: bytes per chunk of the resumable upload of an input (a multiple
            of 256 KiB): what memory holds of it at a time.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        region: str | None = None,
        storage: StorageClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        upload_chunk_bytes: int = UPLOAD_CHUNK_BYTES,
    ) -> None:
        self.settings = settings
        self.upload_chunk_bytes = checked_chunk_bytes(upload_chunk_bytes)
        self.jobs = BatchJobs(settings, region=region, timeout=timeout, max_retries=max_retries)
        self.region = self.jobs.region
        self._storage = storage

    def __repr__(self) -> str:
        return f"BatchClient({self.settings!r}, region={self.region!r})"

    @property
    def storage(self) -> StorageClient:
        """The Cloud Storage client (made on first use).

        Raises:
            MissingExtraError: google-cloud-storage (the ``batch`` extra) is not installed.
        """
        if self._storage is None:
            self._storage = storage_client(self.settings.tokens, self.settings.project)
        return self._storage

    def close(self) -> None:
        """Close the connections to the job resource."""
        self.jobs.close()

    def __enter__(self) -> BatchClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- submitting ------------------------------------------------------------------------
    def transform(self, model: str) -> LineTransform:
        """The line transform of a job of ``model`` here; refuses the region first.

        Raises:
            ConfigurationError: the region is ``global``, a multi-region, or does not serve
                the model; or the model id is malformed.
        """
        info = resolve_model(model)
        validate_batch_region(info, self.region)
        return LineTransform(
            model,
            project=self.settings.project,
            region=self.region,
            anthropic_version=self.settings.anthropic_version,
        )

    def stage(self, requests: BatchInput, *, model: str, staging: str) -> StagedInput:
        """Check every request, then upload the input; nothing is uploaded if one is bad.

        The input goes to ``{staging}/{run}/input.jsonl``, the job's outputs will go to
        ``{staging}/{run}/output`` (``run`` is new each time).

        Raises:
            ConfigurationError: region, model or staging URI refused (before any I/O).
            BatchInputError: bad lines, or none (before any upload).
            MissingExtraError: google-cloud-storage is not installed.
        """
        where = parse_gcs_uri(staging)
        transform = self.transform(model)
        run_name = _run_name()
        run = where.child(run_name)
        with tempfile.TemporaryDirectory(prefix="claude-vertex-batch-") as folder:
            spool = Path(folder) / "input.jsonl"
            with spool.open("w", encoding="utf-8") as out:
                count = write_input(_requests_of(requests), transform, out)
            target = run.child("input.jsonl")
            size = upload_file(self.storage, spool, target, chunk_bytes=self.upload_chunk_bytes)
        return StagedInput(
            uri=str(target),
            requests=count,
            bytes=size,
            model=transform.model,
            output_prefix=str(run.child("output")),
            run=run_name,
        )

    def create(self, staged: StagedInput, *, display_name: str | None = None) -> BatchJob:
        """Create the job that reads ``staged`` (see :meth:`stage`)."""
        name = display_name or f"claude-vertex {staged.run}"
        body = {
            "displayName": name[:128],
            "model": f"publishers/anthropic/models/{staged.model}",
            # The request count, so progress can show a total while the job runs.
            "labels": {REQUESTS_LABEL: str(staged.requests)},
            "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": [staged.uri]}},
            "outputConfig": {
                "predictionsFormat": "jsonl",
                "gcsDestination": {"outputUriPrefix": staged.output_prefix},
            },
        }
        return self.jobs.create(body, model=staged.model)

    def submit(
        self,
        requests: BatchInput,
        *,
        model: str,
        staging: str,
        display_name: str | None = None,
    ) -> BatchJob:
        """Check and upload ``requests`` (:meth:`stage`), then create the job (:meth:`create`).

        Args:
            requests: a JSONL file (path or open file) or an iterable of requests; each line
                ``{"custom_id", "params"}`` (Anthropic's Message Batches shape) or
                ``{"custom_id", "request"}`` (Vertex's).
            model: the job's model, in any id form.
            staging: ``gs://bucket/prefix`` for the input and outputs, in the job's region.
            display_name: the job's name in the console (default: ``claude-vertex`` and the
                run's folder).

        Raises:
            ConfigurationError: region, model or staging URI refused (before any I/O).
            BatchInputError: bad lines, or none (before any upload).
            MissingExtraError: google-cloud-storage is not installed.
            VertexAPIError: Vertex refused the job (a 429 is the concurrent-jobs quota).
        """
        return self.create(
            self.stage(requests, model=model, staging=staging), display_name=display_name
        )

    # -- the job ---------------------------------------------------------------------------
    def get(self, job: str | BatchJob) -> BatchJob:
        """The job now (by :class:`BatchJob`, full name, or number in this region)."""
        return self.jobs.get(job)

    def list(self, *, region: str | None = None, page_size: int = 100) -> Iterable[BatchJob]:
        """The project's jobs in ``region`` (default: this client's), read page by page."""
        return self.jobs.list(region=region, page_size=page_size)

    def cancel(self, job: str | BatchJob) -> BatchJob:
        """Cancel the job; requests not yet run get ``canceled`` results."""
        return self.jobs.cancel(job)

    def delete(self, job: str | BatchJob) -> None:
        """Delete the job's record (its files stay in Cloud Storage)."""
        self.jobs.delete(job)

    def wait(
        self,
        job: str | BatchJob,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
        on_update: JobUpdate | None = None,
    ) -> BatchJob:
        """Wait for the job to end (see :meth:`BatchJobs.wait`); the job as it ended."""
        return self.jobs.wait(
            job, poll_interval=poll_interval, timeout=timeout, on_update=on_update
        )

    def results(self, job: str | BatchJob, *, in_order: bool = False) -> BatchResults:
        """The job's results, one per input request, read as they are iterated.

        The job is read first; it must have ended. See
        :class:`~claude_vertex.batch_results.BatchResults` (counts, usage and cost at batch
        prices as it goes).

        Raises:
            ConfigurationError: the job has not ended yet (wait for it first).
        """
        current = self.jobs.get(job)
        if not current.done:
            raise ConfigurationError(
                f"Batch job {current.name} is still {current.state.short}: its results are "
                "read once it has ended; wait for it first (BatchClient.wait, or "
                "`claude-vertex batch wait`)."
            )
        return BatchResults(self.storage, current, in_order=in_order)


class AsyncBatchResults:
    """:class:`BatchResults` for ``async for``, read :data:`CHUNK` results at a time in a thread.

    Its counts and :attr:`totals` are the sync object's.
    """

    #: Results read per worker-thread step.
    CHUNK = 1000

    def __init__(self, results: BatchResults) -> None:
        self.sync = results

    @property
    def totals(self) -> CostTotalsSnapshot:
        """Usage and cost (at batch prices) of the answers read so far."""
        return self.sync.totals

    async def __aiter__(self) -> AsyncIterator[BatchResult]:
        iterator = iter(self.sync)

        def take() -> list[BatchResult]:
            return list(itertools.islice(iterator, self.CHUNK))

        while True:
            chunk = await asyncio.to_thread(take)
            for item in chunk:
                yield item
            if len(chunk) < self.CHUNK:
                return


class AsyncBatchClient:
    """:class:`BatchClient` for asyncio: each call runs in a worker thread (``asyncio.to_thread``).

    It blocks no event loop, and adds nothing else: the work is the sync client's.
    """

    def __init__(self, settings: Settings, **options: Any) -> None:
        self.sync = BatchClient(settings, **options)

    async def submit(
        self, requests: BatchInput, *, model: str, staging: str, display_name: str | None = None
    ) -> BatchJob:
        """:meth:`BatchClient.submit` in a worker thread."""
        return await asyncio.to_thread(
            self.sync.submit, requests, model=model, staging=staging, display_name=display_name
        )

    async def get(self, job: str | BatchJob) -> BatchJob:
        """:meth:`BatchClient.get` in a worker thread."""
        return await asyncio.to_thread(self.sync.get, job)

    async def cancel(self, job: str | BatchJob) -> BatchJob:
        """:meth:`BatchClient.cancel` in a worker thread."""
        return await asyncio.to_thread(self.sync.cancel, job)

    async def wait(
        self,
        job: str | BatchJob,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
    ) -> BatchJob:
        """:meth:`BatchClient.wait`, polling with ``asyncio.sleep`` between reads."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            current = await self.get(job)
            if current.done:
                return current
            if timeout is not None and loop.time() - started >= timeout:
                raise JobTimeoutError(current, timeout)
            await asyncio.sleep(poll_interval)

    async def results(self, job: str | BatchJob, *, in_order: bool = False) -> AsyncBatchResults:
        """:meth:`BatchClient.results`, iterated with ``async for``."""
        return AsyncBatchResults(await asyncio.to_thread(self.sync.results, job, in_order=in_order))

    async def close(self) -> None:
        """Close the sync client's connections."""
        await asyncio.to_thread(self.sync.close)
