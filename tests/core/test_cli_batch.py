"""``claude-vertex batch``: submit, status, wait (progress bar), results, cancel, list.

In-process through ``main(argv)`` against the session emulator, and once as real processes
(the console command end to end: a 10,000-line job submitted, waited for, read back).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from claude_vertex.cli import main
from claude_vertex.testing import VertexEmulator

#: Whether rich (the ``cli`` extra) draws a progress bar; without it ``wait`` prints lines.
RICH = importlib.util.find_spec("rich") is not None
MODEL = "claude-haiku-4-5"
STAGING = "gs://cli-bucket/runs"
JOB_NAME = re.compile(r"projects/[0-9a-z-]+/locations/us-east5/batchPredictionJobs/[0-9]+")


@pytest.fixture
def environment(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The variables `claude-vertex emulator` prints, set for the command."""
    env = vertex_emulator.environ(vertex_key_file)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    vertex_emulator.hold_batch_jobs(False)
    vertex_emulator.set_batch_pace(0)
    return env


def write_requests(path: Path, count: int, *, vertex_shape_every: int = 0) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            body = {"max_tokens": 24, "messages": [{"role": "user", "content": f"Row {n}"}]}
            if vertex_shape_every and n % vertex_shape_every == 0:
                line = {"custom_id": f"row-{n}", "request": body}
            else:
                line = {"custom_id": f"row-{n}", "params": body}
            out.write(json.dumps(line) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["batch", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def submit(capsys: pytest.CaptureFixture[str], requests: Path) -> str:
    status, out, err = run(
        capsys, "submit", str(requests), "--model", MODEL, "--region", "us-east5",
        "--staging", STAGING,
    )  # fmt: skip
    assert status == 0, err
    assert JOB_NAME.fullmatch(out.strip())
    return out.strip()


@pytest.mark.usefixtures("environment")
@pytest.mark.usefixtures("cloud_storage")
def test_submit_wait_results_round_trip(
    capsys: pytest.CaptureFixture[str], vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    vertex_emulator.fail_batch_lines(["row-2"])
    job = submit(capsys, write_requests(tmp_path / "in.jsonl", 6, vertex_shape_every=3))

    status, _, err = run(capsys, "wait", job, "--poll-interval", "0.05")
    assert status == 0, err
    assert "succeeded" in err
    if RICH:  # the progress bar: counts with their total, ok and failed
        assert "6/6" in err
        assert "5 ok" in err
        assert "1 failed" in err
    else:  # a line per reading
        assert "6 of 6 done (5 succeeded, 1 failed)" in err

    out_file = tmp_path / "out.jsonl"
    status, _, err = run(capsys, "results", job, "-o", str(out_file), "--in-order")
    assert status == 0, err
    records = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [r["custom_id"] for r in records] == [f"row-{n}" for n in range(6)]
    assert records[2]["result"]["type"] == "errored"
    assert records[2]["result"]["error"]["type"] == "error"
    assert records[2]["result"]["error"]["error"]["type"] == "overloaded_error"
    assert records[0]["result"]["type"] == "succeeded"
    assert records[0]["result"]["message"]["content"][0]["text"].endswith("Row 0")
    assert "5 succeeded, 1 errored" in err
    assert re.search(r"Cost at batch prices: \$0\.\d{4}", err)


@pytest.mark.usefixtures("environment")
@pytest.mark.usefixtures("cloud_storage")
def test_status_list_and_cancel(
    capsys: pytest.CaptureFixture[str], vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    vertex_emulator.hold_batch_jobs()
    job = submit(capsys, write_requests(tmp_path / "in.jsonl", 3))

    status, out, _ = run(capsys, "status", job, "--json")
    summary = json.loads(out)
    assert (status, summary["name"], summary["state"]) == (0, job, "JOB_STATE_PENDING")
    assert summary["requests"] == 3

    status, out, _ = run(capsys, "list", "--region", "us-east5", "--json")
    assert status == 0
    assert job in [listed["name"] for listed in json.loads(out)]

    status, _, err = run(capsys, "cancel", job)
    assert status == 0
    assert "Cancelling" in err
    vertex_emulator.hold_batch_jobs(False)
    status, _, err = run(capsys, "wait", job, "--poll-interval", "0.05")
    assert status == 1  # the job ended without succeeding
    assert "cancelled" in err

    status, out, _ = run(capsys, "status", job)
    assert status == 0
    assert "cancelled" in out


@pytest.mark.usefixtures("environment")
@pytest.mark.usefixtures("cloud_storage")
def test_a_failed_job_makes_wait_exit_1(
    capsys: pytest.CaptureFixture[str], vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    vertex_emulator.fail_batch_jobs("Internal error encountered.")
    job = submit(capsys, write_requests(tmp_path / "in.jsonl", 2))
    status, _, err = run(capsys, "wait", job, "--poll-interval", "0.05")
    assert status == 1
    assert "failed" in err
    assert "Internal error encountered." in err


@pytest.mark.usefixtures("environment")
def test_bad_input_is_refused_naming_lines_and_nothing_is_uploaded(
    capsys: pytest.CaptureFixture[str], vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    requests = tmp_path / "in.jsonl"
    requests.write_text(
        '{"custom_id": "a", "params": {"messages": [{"role": "user", "content": "x"}]}}\n'
        '{"custom_id": "a", "params": {"messages": [{"role": "user", "content": "y"}]}}\n'
    )
    status, out, err = run(
        capsys, "submit", str(requests), "--model", MODEL, "--region", "us-east5",
        "--staging", "gs://cli-bucket/refused",
    )  # fmt: skip
    assert (status, out) == (2, "")
    assert "line 2 (custom_id 'a'): custom_id repeats line 1's" in err
    assert vertex_emulator.list_objects("cli-bucket", "refused") == []


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list"], "single regions"),
        (
            ["status", "projects/p/locations/us-east5/batchPredictionJobs/1"],
            "Invalid Google Cloud project id",
        ),
        (["status", "projects/my-project/jobs/1"], "Invalid batch job"),
        (["status", "123"], "single regions"),
    ],
)
def test_refusals_exit_2_with_what_to_do(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err


def _command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "claude_vertex.cli", "batch", *argv]


@pytest.mark.usefixtures("cloud_storage")
def test_a_10000_line_job_from_the_command_line(
    environment: dict[str, str], vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    failing = [f"row-{n}" for n in range(0, 10_000, 997)]
    vertex_emulator.fail_batch_lines(failing)
    requests = write_requests(tmp_path / "in.jsonl", 10_000, vertex_shape_every=10)
    env = {**_process_environment(), **environment, "COLUMNS": "120"}

    def process(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _command(*argv), capture_output=True, text=True, env=env, timeout=300, check=False
        )

    submitted = process(
        "submit", str(requests), "--model", MODEL, "--region", "us-east5", "--staging", STAGING
    )
    assert submitted.returncode == 0, submitted.stderr
    job = submitted.stdout.strip()
    assert "Uploaded 10,000 request(s)" in submitted.stderr

    waited = process("wait", job, "--poll-interval", "0.2")
    assert waited.returncode == 0, waited.stderr
    if RICH:
        assert "10,000/10,000" in waited.stderr
        assert f"{10_000 - len(failing):,} ok" in waited.stderr
    else:
        assert f"10,000 of 10,000 done ({10_000 - len(failing):,} succeeded" in waited.stderr

    out_file = tmp_path / "out.jsonl"
    read = process("results", job, "-o", str(out_file))
    assert read.returncode == 0, read.stderr
    by_id = {}
    for text in out_file.read_text().splitlines():
        record = json.loads(text)
        by_id[record["custom_id"]] = record["result"]
    assert len(by_id) == 10_000
    for n in range(10_000):
        result = by_id[f"row-{n}"]
        if f"row-{n}" in failing:
            assert result["type"] == "errored"
        else:
            assert result["message"]["content"][0]["text"].endswith(f"Row {n}")
    assert f"{10_000 - len(failing):,} succeeded, {len(failing)} errored" in read.stderr


def _process_environment() -> dict[str, str]:
    """The test process's environment (already hermetic: see tests/conftest.py)."""
    import os

    return dict(os.environ)
