"""Batch jobs' pure parts: regions, gs:// URIs, job names and resources, result lines, cost."""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys
import tracemalloc

import pytest

from claude_vertex import (
    BATCH_PRICE_FACTOR,
    ConfigurationError,
    CostTotals,
    UsageCounts,
    resolve_model,
    usage_cost,
)
from claude_vertex.batch_index import DiskIndex
from claude_vertex.batch_jobs import BatchJob, BatchJobState, job_from_resource, parse_job_name
from claude_vertex.batch_results import BatchItemError, BatchResult, result_of_line
from claude_vertex.batch_run import BatchRun, batch_outputs, item_outcomes, outputs_of
from claude_vertex.batch_staging import GcsUri, parse_gcs_uri
from claude_vertex.endpoints import validate_batch_region
from claude_vertex.errors import MalformedResponseError

HAIKU = resolve_model("claude-haiku-4-5")
NAME = "projects/test-project/locations/us-east5/batchPredictionJobs/123456789"


@pytest.mark.parametrize("region", ["global", "us", "eu"])
def test_global_and_multi_regions_cannot_run_batch_jobs(region: str) -> None:
    with pytest.raises(ConfigurationError, match="single region") as caught:
        validate_batch_region(HAIKU, region)
    assert "us-east5" in str(caught.value)


def test_a_region_that_does_not_serve_the_model_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="does not serve"):
        validate_batch_region(HAIKU, "southamerica-east1")
    assert validate_batch_region(HAIKU, "us-east5") == "us-east5"


def test_a_model_served_only_on_global_and_multi_regions_says_so() -> None:
    opus = resolve_model("claude-opus-4-7")
    with pytest.raises(ConfigurationError, match="no single region"):
        validate_batch_region(opus, "us")


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/x",
        "gs://",
        "gs://UPPER/x",
        "gs://a/x",
        "gs://bucket/../x",
        "gs://bucket/a//b",
        "gs://bucket/a\nb",
        "bucket/x",
    ],
)
def test_bad_staging_uris_are_refused(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="gs://BUCKET/PREFIX"):
        parse_gcs_uri(uri)


def test_a_staging_uri_reads_into_bucket_and_prefix() -> None:
    uri = parse_gcs_uri("gs://my-bucket/batches/june/")
    assert uri == GcsUri("my-bucket", "batches/june")
    assert str(uri.child("run", "input.jsonl")) == "gs://my-bucket/batches/june/run/input.jsonl"
    assert str(parse_gcs_uri("gs://my-bucket")) == "gs://my-bucket"


def test_job_names_are_validated() -> None:
    assert parse_job_name(NAME) == ("test-project", "us-east5", "123456789")
    for bad in ("123", "projects/x/locations/us-east5/batchPredictionJobs/1", f"{NAME}/../x"):
        with pytest.raises(ConfigurationError):
            parse_job_name(bad)


def test_a_job_resource_reads_state_counts_times_and_error() -> None:
    job = job_from_resource(
        {
            "name": NAME,
            "displayName": "nightly",
            "model": "publishers/anthropic/models/claude-haiku-4-5@20251001",
            "state": "JOB_STATE_FAILED",
            "completionStats": {"successfulCount": "7", "failedCount": "2", "incompleteCount": "1"},
            "inputConfig": {"gcsSource": {"uris": ["gs://b/in.jsonl"]}},
            "outputConfig": {"gcsDestination": {"outputUriPrefix": "gs://b/out"}},
            "outputInfo": {"gcsOutputDirectory": "gs://b/out/prediction-model-1"},
            "createTime": "2026-11-30T12:00:00.123456789Z",
            "endTime": "2026-11-30T12:01:30Z",
            "error": {"code": 3, "message": "bad input"},
        }
    )
    assert job.state is BatchJobState.FAILED
    assert job.done
    assert job.state.short == "failed"
    assert (job.counts.succeeded, job.counts.failed, job.counts.incomplete) == (7, 2, 1)
    assert job.region == "us-east5"
    assert job.id == "123456789"
    assert job.model_id == "claude-haiku-4-5@20251001"
    assert job.elapsed() == pytest.approx(89.876544, abs=1e-3)
    assert job.create_time == dt.datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)
    assert job.error is not None
    assert job.error.message == "bad input"
    assert job.summary()["output_directory"] == "gs://b/out/prediction-model-1"


def test_unknown_states_and_missing_fields_are_tolerated_but_a_nameless_job_is_not() -> None:
    job = job_from_resource({"name": NAME, "state": "JOB_STATE_NEW_THING"})
    assert job.state is BatchJobState.UNSPECIFIED
    assert not job.done
    assert job.counts.done == 0
    with pytest.raises(MalformedResponseError):
        job_from_resource({"state": "JOB_STATE_RUNNING"})


MESSAGE = {
    "id": "msg_vrtx_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": "Done."}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 1000, "output_tokens": 200},
}


def test_an_output_line_with_a_response_is_a_message_served_in_the_job_region() -> None:
    result = result_of_line({"custom_id": "a", "response": MESSAGE, "status": ""}, 3, "us-east5")
    assert result.succeeded
    assert result.line == 3
    assert result.message is not None
    assert result.message.vertex_region == "us-east5"
    record = result.record()
    assert record["result"]["type"] == "succeeded"
    assert record["result"]["message"]["content"][0]["text"] == "Done."


@pytest.mark.parametrize(
    ("status", "response", "error_type"),
    [
        (
            '{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota"}}',
            None,
            "rate_limit_error",
        ),
        (
            {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad"}},
            None,
            "invalid_request_error",
        ),
        ("Internal error occurred", None, "api_error"),
        (
            "",
            {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
            "overloaded_error",
        ),
        ("", {"type": "message", "content": "not blocks"}, "api_error"),
        ("", None, "api_error"),
    ],
)
def test_failed_output_lines_are_typed_per_line_errors(
    status: object, response: object, error_type: str
) -> None:
    result = result_of_line(
        {"custom_id": "x", "status": status, "response": response}, 9, "us-east5"
    )
    assert result.type == "errored"
    assert result.error is not None
    assert result.error.error_type == error_type
    assert result.error.custom_id == "x"
    assert result.error.line == 9
    assert result.record()["result"]["error"]["error"]["type"] == error_type


def test_batch_cost_is_half_the_online_regional_cost() -> None:
    usage = UsageCounts(input_tokens=1_000_000, output_tokens=1_000_000)
    online = usage_cost(usage, model="claude-haiku-4-5", region="us-east5")
    batch = usage_cost(usage, model="claude-haiku-4-5", region="us-east5", batch=True)
    assert online is not None
    assert batch is not None
    assert batch == pytest.approx(online * BATCH_PRICE_FACTOR) == pytest.approx(3.3)


def test_disk_index_finds_repeats_and_walks_in_the_order_added() -> None:
    with DiskIndex() as index:
        assert index.add("a", 1) is None
        assert index.add("b", 3) is None
        assert index.add("a", 4) == 1
        assert index.attach("b", "answer") == (3, True)
        assert index.attach("b", "again") == (3, False)
        assert index.attach("zzz", "x") is None
        assert list(index.in_order()) == [("a", 1, None), ("b", 3, "answer")]
        assert list(index.in_order(without_text=True)) == [("a", 1, None)]


def test_disk_index_memory_stays_flat_as_keys_grow() -> None:
    def peak(count: int) -> int:
        gc.collect()
        tracemalloc.start()
        with DiskIndex() as index:
            for n in range(count):
                index.add(f"request-{n:09d}", n + 1)
            walked = sum(1 for _ in index.in_order())
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert walked == count
        return top

    small, large = peak(2_000), peak(40_000)
    # Twenty times the keys, and the Python heap's peak does not grow with them.
    assert large < small + 512 * 1024, (small, large)


def test_import_claude_vertex_loads_no_batch_code_until_a_batch_name_is_used() -> None:
    code = (
        "import sys, claude_vertex; "
        "before = sorted(m for m in sys.modules if 'batch' in m and m.startswith('claude_vertex') "
        "or m.startswith('google.cloud.storage')); "
        "claude_vertex.BatchClient; "
        "after = 'claude_vertex.batch' in sys.modules, 'google.cloud.storage' in sys.modules; "
        "print(before, after)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    # Nothing of batch at import; the batch code on first use, and still no google-cloud-storage
    # (staging imports it when a transfer starts).
    assert done.stdout.strip() == "[] (True, False)"


def _run_of(results: list[BatchResult]) -> BatchRun:
    return BatchRun(BatchJob(NAME), results, CostTotals().snapshot())


def _failed(custom_id: str) -> BatchResult:
    error = BatchItemError(custom_id, 2, error_type="overloaded_error", vertex_message="busy")
    return BatchResult(custom_id, 2, error=error)


def test_every_item_has_an_outcome_even_when_one_cannot_be_converted() -> None:
    malformed = MalformedResponseError("content: not a list")

    def convert(result: BatchResult) -> str:
        if result.custom_id == "item-2":
            raise malformed
        return f"answer of {result.custom_id}"

    failed = _failed("item-1")
    run = _run_of(
        [BatchResult("item-0", 1), failed, BatchResult("item-2", 3), BatchResult("item-3", 4)]
    )
    outcomes = item_outcomes(run, convert)
    assert outcomes == ["answer of item-0", failed.error, malformed, "answer of item-3"]
    # The first error in input order is raised; with return_exceptions, an item's own
    # BatchItemError takes its place but an answer that could not be read is still raised.
    with pytest.raises(BatchItemError) as raised:
        outputs_of(run, outcomes, return_exceptions=False)
    assert raised.value is failed.error
    with pytest.raises(MalformedResponseError) as unread:
        outputs_of(run, outcomes, return_exceptions=True)
    assert unread.value is malformed


def test_outputs_of_answered_and_failed_items_carry_the_job() -> None:
    failed = _failed("item-0")
    run = _run_of([failed, BatchResult("item-1", 2)])
    outputs = outputs_of(run, item_outcomes(run, lambda r: r.custom_id), return_exceptions=True)
    assert outputs == [failed.error, "item-1"]
    assert outputs.job is run.job
    assert outputs.totals is run.totals
    assert batch_outputs(run, lambda r: r.custom_id, return_exceptions=True) == outputs
