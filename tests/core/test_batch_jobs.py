"""Batch jobs end to end on the emulator: submit, wait, results by custom_id, failures, cancel.

The emulator runs each job's lines through the same rules and answers as online calls; its
Cloud Storage holds the input and outputs (``STORAGE_EMULATOR_HOST``); every call uses the
real service-account token flow.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claude_vertex import (
    BATCH_PRICE_FACTOR,
    ConfigurationError,
    QuotaExhaustedError,
    cost_of,
    resolve_settings,
)
from claude_vertex.batch import (
    AsyncBatchClient,
    BatchClient,
    BatchJobNotFoundError,
    BatchJobState,
    JobTimeoutError,
)
from claude_vertex.batch_staging import CloudStorageError
from claude_vertex.testing import Fault, VertexEmulator
from tests.helpers import MakeSettings

pytestmark = pytest.mark.usefixtures("cloud_storage")

MODEL = "claude-haiku-4-5"
REGION = "us-east5"
STAGING = "gs://batch-bucket/jobs"
FAST = 0.05  # seconds between readings of a job


@pytest.fixture
def batch(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BatchClient]:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    vertex_emulator.hold_batch_jobs(False)
    vertex_emulator.set_batch_pace(0)
    with BatchClient(make_settings(model=MODEL, region=REGION)) as client:
        yield client


def requests(count: int) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"item-{n}",
            "params": {"max_tokens": 40, "messages": [{"role": "user", "content": f"Item {n}"}]},
        }
        for n in range(count)
    ]


def test_a_job_runs_and_every_result_matches_its_custom_id_in_input_order(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-3", "item-7"])
    job = batch.submit(requests(12), model=MODEL, staging=STAGING, display_name="nightly")
    assert job.display_name == "nightly"
    assert job.region == REGION
    readings: list[BatchJobState] = []
    job = batch.wait(job, poll_interval=FAST, on_update=lambda j: readings.append(j.state))
    assert job.state is BatchJobState.SUCCEEDED
    assert readings[-1] is BatchJobState.SUCCEEDED
    assert (job.counts.succeeded, job.counts.failed) == (10, 2)
    assert job.requests == 12

    results = batch.results(job, in_order=True)
    found = list(results)
    assert [r.custom_id for r in found] == [f"item-{n}" for n in range(12)]
    assert [r.line for r in found] == list(range(1, 13))
    for result in found:
        if result.custom_id in ("item-3", "item-7"):
            assert result.type == "errored"
            assert result.error is not None
            assert result.error.error_type == "overloaded_error"
            assert result.error.line == int(result.custom_id.split("-")[1]) + 1
        else:
            assert result.message is not None
            assert f"Item {result.custom_id.split('-')[1]}" in result.message.content[0].text  # type: ignore[union-attr]
    assert (results.succeeded, results.errored, results.unmatched) == (10, 2, 0)
    online = sum(cost_of(r.message) or 0.0 for r in found if r.message is not None)
    assert results.totals.total_cost == pytest.approx(online * BATCH_PRICE_FACTOR)
    assert results.totals.requests == 10


def test_results_in_output_order_are_the_same_results(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-1"])
    job = batch.wait(batch.submit(requests(6), model=MODEL, staging=STAGING), poll_interval=FAST)
    unordered = {r.custom_id: r.type for r in batch.results(job)}
    ordered = {r.custom_id: r.type for r in batch.results(job, in_order=True)}
    assert unordered == ordered
    assert unordered["item-1"] == "errored"
    assert list(unordered.values()).count("succeeded") == 5


def test_a_failed_job_gives_answers_it_made_and_errors_for_the_rest(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_jobs("Internal error encountered.", after_lines=3)
    job = batch.wait(batch.submit(requests(8), model=MODEL, staging=STAGING), poll_interval=FAST)
    assert job.state is BatchJobState.FAILED
    assert job.error is not None
    assert "Internal error" in job.error.message
    found = list(batch.results(job, in_order=True))
    assert len(found) == 8
    assert [r.type for r in found].count("succeeded") == 3
    missing = [r for r in found if r.error is not None]
    assert all("job failed" in r.error.vertex_message for r in missing if r.error)


def test_a_cancelled_job_gives_canceled_results(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.hold_batch_jobs()
    job = batch.submit(requests(5), model=MODEL, staging=STAGING)
    cancelling = batch.cancel(job)
    assert cancelling.state in (BatchJobState.CANCELLING, BatchJobState.CANCELLED)
    vertex_emulator.hold_batch_jobs(False)
    job = batch.wait(job, poll_interval=FAST)
    assert job.state is BatchJobState.CANCELLED
    found = list(batch.results(job, in_order=True))
    assert {r.type for r in found} == {"canceled"}
    assert found[0].record() == {"custom_id": "item-0", "result": {"type": "canceled"}}


def test_wait_gives_up_at_its_timeout_and_results_need_an_ended_job(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.hold_batch_jobs()
    job = batch.submit(requests(2), model=MODEL, staging=STAGING)
    with pytest.raises(JobTimeoutError, match="still pending") as caught:
        batch.wait(job, poll_interval=FAST, timeout=0.2)
    assert caught.value.job.name == job.name
    with pytest.raises(ConfigurationError, match="wait for it first"):
        batch.results(job)
    batch.cancel(job)


def test_jobs_are_read_by_name_or_number_and_listed(batch: BatchClient) -> None:
    job = batch.submit(requests(1), model=MODEL, staging=STAGING)
    assert batch.get(job.name).name == job.name
    assert batch.get(job.id).id == job.id
    assert job.name in [listed.name for listed in batch.list()]
    batch.wait(job, poll_interval=FAST)
    batch.delete(job)
    with pytest.raises(BatchJobNotFoundError, match="batch list"):
        batch.get(job.name)


def test_a_job_over_the_concurrency_quota_is_a_typed_429(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with VertexEmulator(batch_concurrency=1, batch_over_limit="refuse") as emulator:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.storage_host)
        settings = resolve_settings(
            model=MODEL,
            region=REGION,
            project=emulator.project,
            base_url=emulator.base_url,
            credentials=emulator.write_service_account_key(tmp_path / "key.json"),
        )
        emulator.set_batch_pace(5.0)  # the first job runs while the second is asked for
        with BatchClient(settings) as client:
            first = client.submit(requests(1), model=MODEL, staging=STAGING)
            deadline = time.monotonic() + 10
            while client.get(first).state is not BatchJobState.RUNNING:
                assert time.monotonic() < deadline, "the first job never ran"
                time.sleep(FAST)
            with pytest.raises(QuotaExhaustedError, match="at most 4 batch prediction jobs"):
                client.submit(requests(1), model=MODEL, staging=STAGING)
            client.cancel(first)


def test_line_faults_use_the_online_fault_shapes(
    batch: BatchClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.fail_batch_lines(["item-0"], fault=Fault.quota_exhausted())
    job = batch.wait(batch.submit(requests(2), model=MODEL, staging=STAGING), poll_interval=FAST)
    first = next(iter(batch.results(job, in_order=True)))
    assert first.error is not None
    assert first.error.error_type == "rate_limit_error"


async def test_the_async_client_runs_the_same_calls_off_the_loop(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    client = AsyncBatchClient(make_settings(model=MODEL, region=REGION))
    job = await client.submit(requests(3), model=MODEL, staging=STAGING)
    job = await client.wait(job, poll_interval=FAST)
    results = await client.results(job, in_order=True)
    found = [r.custom_id async for r in results]
    assert found == ["item-0", "item-1", "item-2"]
    assert results.totals.requests == 3
    await client.close()


def test_a_storage_failure_is_a_typed_error_that_says_what_to_do(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", vertex_emulator.storage_host)
    settings = make_settings(model=MODEL, region=REGION, access_token="not-a-valid-token")
    with (
        BatchClient(settings) as client,
        pytest.raises(CloudStorageError, match="could not upload to gs://") as caught,
    ):
        client.submit(requests(1), model=MODEL, staging=STAGING)
    assert caught.value.status_code == 401
    assert "credentials" in str(caught.value)
    assert "not-a-valid-token" not in str(caught.value)
