"""The emulator's ``batchPredictionJobs`` resource over raw authorised HTTP.

Calls go through google-auth's ``AuthorizedSession`` with the emulator's service-account key
(the real token flow); inputs and outputs are Cloud Storage objects of the same emulator.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from claude_vertex.credentials import CLOUD_PLATFORM_SCOPE
from claude_vertex.testing import Fault, VertexEmulator

REGION = "us-east5"
MODEL = "claude-sonnet-4-5@20250929"
BUCKET = "batch-bucket"
VERSION = "vertex-2023-10-16"


@pytest.fixture
def session(vertex_emulator: VertexEmulator, vertex_key_file: Path) -> Iterator[AuthorizedSession]:
    credentials = service_account.Credentials.from_service_account_file(
        str(vertex_key_file), scopes=[CLOUD_PLATFORM_SCOPE]
    )
    with AuthorizedSession(credentials) as authorized:
        yield authorized


def line(custom_id: str, text: str = "Hello", **request: Any) -> dict[str, Any]:
    body = {
        "anthropic_version": VERSION,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
        **request,
    }
    return {"custom_id": custom_id, "request": body}


def put_lines(emulator: VertexEmulator, name: str, lines: list[dict[str, Any]]) -> str:
    data = "".join(json.dumps(item) + "\n" for item in lines).encode()
    return emulator.put_object(BUCKET, name, data, "application/jsonl")


def job_body(inputs: list[str], *, model: str = MODEL, prefix: str = "out") -> dict[str, Any]:
    return {
        "displayName": "emulator-test",
        "model": f"publishers/anthropic/models/{model}",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": inputs}},
        "outputConfig": {
            "predictionsFormat": "jsonl",
            "gcsDestination": {"outputUriPrefix": f"gs://{BUCKET}/{prefix}"},
        },
    }


@pytest.fixture
def create(
    vertex_emulator: VertexEmulator, session: AuthorizedSession
) -> Callable[..., dict[str, Any]]:
    def make(inputs: list[str], region: str = REGION, **options: Any) -> dict[str, Any]:
        answer = session.post(
            vertex_emulator.batch_jobs_url(region), json=job_body(inputs, **options)
        )
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        return job

    return make


def read_job(emulator: VertexEmulator, session: AuthorizedSession, name: str) -> dict[str, Any]:
    answer = session.get(f"{emulator.base_url}/{name}")
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


def wait(
    emulator: VertexEmulator,
    session: AuthorizedSession,
    name: str,
    states: tuple[str, ...] = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"),
    timeout: float = 60,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = read_job(emulator, session, name)
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, f"job still {job['state']}"
        time.sleep(0.02)


def outputs(emulator: VertexEmulator, job: dict[str, Any]) -> list[dict[str, Any]]:
    directory = job["outputInfo"]["gcsOutputDirectory"].removeprefix(f"gs://{BUCKET}/")
    names = emulator.list_objects(BUCKET, directory + "/")
    assert names == [f"{directory}/predictions.jsonl"]
    data = emulator.read_object(BUCKET, names[0]).decode()
    return [json.loads(text) for text in data.splitlines()]


def test_a_job_runs_from_pending_to_succeeded_and_writes_one_line_per_request(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(
        vertex_emulator, "in/three.jsonl", [line(f"r-{i}", f"Hi {i}") for i in range(3)]
    )
    created = create([uri])
    assert created["state"] == "JOB_STATE_PENDING"
    number = vertex_emulator.project_number
    assert created["name"].startswith(f"projects/{number}/locations/{REGION}/batchPredictionJobs/")
    assert created["model"] == f"publishers/anthropic/models/{MODEL}"
    job = wait(vertex_emulator, session, created["name"])
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["completionStats"] == {
        "successfulCount": "3",
        "failedCount": "0",
        "incompleteCount": "0",
    }
    assert {"createTime", "startTime", "endTime", "updateTime"} <= job.keys()
    assert job["outputInfo"]["gcsOutputDirectory"].startswith(
        f"gs://{BUCKET}/out/prediction-model-"
    )
    results = outputs(vertex_emulator, job)
    assert [r["custom_id"] for r in results] == ["r-0", "r-1", "r-2"]
    assert all(r["status"] == "" for r in results)
    assert results[1]["response"]["content"][0]["text"] == "Hello! You said: Hi 1"
    assert results[1]["response"]["model"] == "claude-sonnet-4-5-20250929"
    assert results[1]["request"] == line("r-1", "Hi 1")["request"]
    logged = [r for r in vertex_emulator.requests if r.route == "batch"]
    assert logged[0].method == "POST"
    assert (logged[0].region, logged[0].model, logged[0].status) == (REGION, MODEL, 200)
    # The project's number is accepted in paths as well as its id.
    by_number = session.get(vertex_emulator.batch_jobs_url(project=number))
    assert [j["name"] for j in by_number.json()["batchPredictionJobs"]] == [created["name"]]


def test_ten_thousand_lines_finish_quickly_in_input_order(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(
        vertex_emulator, "in/10k.jsonl", [line(f"id-{i}", f"n{i}") for i in range(10_000)]
    )
    job = wait(vertex_emulator, session, create([uri])["name"], timeout=120)
    assert job["completionStats"]["successfulCount"] == "10000"
    results = outputs(vertex_emulator, job)
    assert [r["custom_id"] for r in results] == [f"id-{i}" for i in range(10_000)]


def test_lines_that_break_a_rule_or_are_made_to_fail_carry_their_error_in_status(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    lines = [
        line("good"),
        line("too-many-tokens", max_tokens=10_000_000),
        line("unlucky"),
        {"custom_id": "no-request"},
    ]
    uri = put_lines(vertex_emulator, "in/mixed.jsonl", lines)
    vertex_emulator.fail_batch_lines(["unlucky"])
    job = wait(vertex_emulator, session, create([uri])["name"])
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["completionStats"]["successfulCount"] == "1"
    assert job["completionStats"]["failedCount"] == "3"
    by_id = {r["custom_id"]: r for r in outputs(vertex_emulator, job)}
    assert by_id["good"]["status"] == ""
    for custom_id in ("too-many-tokens", "unlucky", "no-request"):
        assert "response" not in by_id[custom_id]
    too_many = json.loads(by_id["too-many-tokens"]["status"])
    assert too_many["error"]["type"] == "invalid_request_error"
    assert "max_tokens" in too_many["error"]["message"]
    assert json.loads(by_id["unlucky"]["status"])["error"]["type"] == "overloaded_error"


def test_a_rate_of_lines_fails_with_the_fault_given(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(vertex_emulator, "in/rate.jsonl", [line(f"r{i}") for i in range(400)])
    vertex_emulator.fail_batch_lines(rate=0.25, fault=Fault.quota_exhausted(), seed=3)
    job = wait(vertex_emulator, session, create([uri])["name"])
    failed = [r for r in outputs(vertex_emulator, job) if r["status"]]
    assert 50 < len(failed) < 150
    assert json.loads(failed[0]["status"])["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_a_job_made_to_fail_has_an_error_and_publishes_what_it_answered(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(vertex_emulator, "in/fail.jsonl", [line(f"r{i}") for i in range(5)])
    vertex_emulator.fail_batch_jobs("Internal error encountered.", after_lines=2)
    job = wait(vertex_emulator, session, create([uri])["name"])
    assert job["state"] == "JOB_STATE_FAILED"
    assert job["error"] == {"code": 13, "message": "Internal error encountered."}
    assert job["completionStats"]["incompleteCount"] == "3"
    assert [r["custom_id"] for r in outputs(vertex_emulator, job)] == ["r0", "r1"]
    # Only the next job failed.
    assert wait(vertex_emulator, session, create([uri])["name"])["state"] == "JOB_STATE_SUCCEEDED"


def test_cancel_a_running_job_and_a_pending_one(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(vertex_emulator, "in/slow.jsonl", [line(f"r{i}") for i in range(200)])
    vertex_emulator.set_batch_pace(0.05)
    running = create([uri])["name"]
    wait(vertex_emulator, session, running, states=("JOB_STATE_RUNNING",))
    answer = session.post(f"{vertex_emulator.base_url}/{running}:cancel")
    assert (answer.status_code, answer.json()) == (200, {})
    job = wait(vertex_emulator, session, running)
    assert job["state"] == "JOB_STATE_CANCELLED"
    assert int(job["completionStats"]["incompleteCount"]) > 0
    again = session.post(f"{vertex_emulator.base_url}/{running}:cancel")
    assert again.status_code == 400
    assert again.json()["error"]["status"] == "FAILED_PRECONDITION"

    vertex_emulator.hold_batch_jobs()
    pending = create([uri])["name"]
    time.sleep(0.1)
    assert read_job(vertex_emulator, session, pending)["state"] == "JOB_STATE_PENDING"
    session.post(f"{vertex_emulator.base_url}/{pending}:cancel")
    assert read_job(vertex_emulator, session, pending)["state"] == "JOB_STATE_CANCELLED"


def test_held_jobs_stay_pending_until_released(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(vertex_emulator, "in/held.jsonl", [line("only")])
    vertex_emulator.hold_batch_jobs()
    name = create([uri])["name"]
    time.sleep(0.2)
    job = read_job(vertex_emulator, session, name)
    assert job["state"] == "JOB_STATE_PENDING"
    assert "startTime" not in job
    vertex_emulator.hold_batch_jobs(False)
    assert wait(vertex_emulator, session, name)["state"] == "JOB_STATE_SUCCEEDED"


def test_four_jobs_run_at_once_and_the_fifth_waits_for_a_slot(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(vertex_emulator, "in/limit.jsonl", [line(f"r{i}") for i in range(100)])
    vertex_emulator.set_batch_pace(0.05)
    names = [create([uri])["name"] for _ in range(5)]
    for name in names[:4]:
        wait(vertex_emulator, session, name, states=("JOB_STATE_RUNNING",))
    time.sleep(0.1)
    assert read_job(vertex_emulator, session, names[4])["state"] == "JOB_STATE_PENDING"
    session.post(f"{vertex_emulator.base_url}/{names[0]}:cancel")
    wait(vertex_emulator, session, names[4], states=("JOB_STATE_RUNNING",))


def test_over_the_limit_a_refusing_emulator_answers_429(tmp_path: Path) -> None:
    with VertexEmulator(batch_concurrency=1, batch_over_limit="refuse") as emulator:
        token = {"Authorization": f"Bearer {emulator.issue_token()}"}
        uri = put_lines(emulator, "in/x.jsonl", [line(f"r{i}") for i in range(50)])
        emulator.set_batch_pace(0.05)
        first = requests.post(
            emulator.batch_jobs_url(), json=job_body([uri]), headers=token, timeout=10
        )
        assert first.status_code == 200
        second = requests.post(
            emulator.batch_jobs_url(), json=job_body([uri]), headers=token, timeout=10
        )
        assert second.status_code == 429
        assert second.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_list_pages_newest_first_and_delete_only_ended_jobs(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    uri = put_lines(vertex_emulator, "in/list.jsonl", [line("a")])
    names = [create([uri])["name"] for _ in range(3)]
    for name in names:
        wait(vertex_emulator, session, name)
    first = session.get(vertex_emulator.batch_jobs_url(), params={"pageSize": 2}).json()
    assert [j["name"] for j in first["batchPredictionJobs"]] == names[::-1][:2]
    rest = session.get(
        vertex_emulator.batch_jobs_url(),
        params={"pageSize": 2, "pageToken": first["nextPageToken"]},
    ).json()
    assert [j["name"] for j in rest["batchPredictionJobs"]] == [names[0]]
    assert "nextPageToken" not in rest
    deleted = session.delete(f"{vertex_emulator.base_url}/{names[0]}")
    assert deleted.status_code == 200
    assert deleted.json()["done"] is True
    assert session.get(f"{vertex_emulator.base_url}/{names[0]}").status_code == 404

    vertex_emulator.hold_batch_jobs()
    pending = create([uri])["name"]
    refused = session.delete(f"{vertex_emulator.base_url}/{pending}")
    assert refused.status_code == 400


def test_wildcard_inputs_are_read_in_name_order(
    vertex_emulator: VertexEmulator, session: AuthorizedSession, create: Callable[..., Any]
) -> None:
    put_lines(vertex_emulator, "in/parts/b.jsonl", [line("b")])
    put_lines(vertex_emulator, "in/parts/a.jsonl", [line("a")])
    job = wait(vertex_emulator, session, create([f"gs://{BUCKET}/in/parts/*.jsonl"])["name"])
    assert [r["custom_id"] for r in outputs(vertex_emulator, job)] == ["a", "b"]


@pytest.mark.parametrize(
    ("region", "model", "status", "google_status", "words"),
    [
        ("global", MODEL, 400, "INVALID_ARGUMENT", "not supported in location global"),
        ("us", MODEL, 400, "INVALID_ARGUMENT", "not supported in location us"),
        (REGION, "claude-nonesuch@20250101", 404, "NOT_FOUND", "was not found"),
        (REGION, "claude-opus-4-7", 400, "FAILED_PRECONDITION", "not servable in region"),
    ],
)
def test_regions_and_models_that_cannot_run_the_job_are_refused(
    vertex_emulator: VertexEmulator,
    session: AuthorizedSession,
    region: str,
    model: str,
    status: int,
    google_status: str,
    words: str,
) -> None:
    uri = put_lines(vertex_emulator, "in/r.jsonl", [line("a")])
    answer = session.post(vertex_emulator.batch_jobs_url(region), json=job_body([uri], model=model))
    assert answer.status_code == status
    assert answer.json()["error"]["status"] == google_status
    assert words in answer.json()["error"]["message"]


def test_bad_job_requests_are_refused_before_a_job_exists(
    vertex_emulator: VertexEmulator, session: AuthorizedSession
) -> None:
    uri = put_lines(vertex_emulator, "in/ok.jsonl", [line("a")])
    url = vertex_emulator.batch_jobs_url()
    missing = session.post(url, json=job_body([f"gs://{BUCKET}/in/none.jsonl"]))
    assert missing.status_code == 400
    assert "does not exist" in missing.json()["error"]["message"]
    bigquery = job_body([uri])
    bigquery["inputConfig"] = {
        "instancesFormat": "bigquery",
        "bigquerySource": {"inputUri": "bq://p.d.t"},
    }
    answer = session.post(url, json=bigquery)
    assert answer.status_code == 400
    assert "not emulated" in answer.json()["error"]["message"]
    unnamed = job_body([uri])
    del unnamed["displayName"]
    assert session.post(url, json=unnamed).status_code == 400
    other = session.post(
        vertex_emulator.batch_jobs_url(project="someone-else"), json=job_body([uri])
    )
    assert other.status_code == 403
    anonymous = requests.post(url, json=job_body([uri]), timeout=10)
    assert anonymous.status_code == 401
    assert session.get(url).json() == {}  # none of them made a job
