"""``claude-vertex logging``: enable then status round-trips, disable, and what is refused.

The command runs through ``main(argv)`` with the environment pointing at the emulator, and
once as a real process; the core functions of :mod:`claude_vertex.request_logging` are tested
with settings objects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from claude_vertex import ConfigurationError, PermissionDeniedError
from claude_vertex.cli import main
from claude_vertex.publisher_model_config import OperationPendingError, set_publisher_model_config
from claude_vertex.request_logging import (
    RETENTION_RECOMMENDATION,
    LoggingConfig,
    disable_logging,
    enable_logging,
    logging_status,
    validate_bigquery_uri,
    validate_sampling_rate,
)
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings

SONNET = ["--model", "claude-sonnet-4-5", "--region", "us-east5"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["logging", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_enable_then_status_round_trips(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(
        capsys,
        "enable",
        *SONNET,
        "--bigquery",
        "bq://test-project.logs.claude",
        "--sampling-rate",
        "0.25",
    )
    assert (status, err) == (0, "")
    first, advice = out.splitlines()
    assert first == (
        "Request-response logging of claude-sonnet-4-5@20250929 at us-east5: on, 25% of "
        "requests to bq://test-project.logs.claude"
    )
    assert advice.startswith(RETENTION_RECOMMENDATION)

    status, out, _ = run(capsys, "status", *SONNET, "--json")
    assert status == 0
    assert json.loads(out) == {
        "model": "claude-sonnet-4-5@20250929",
        "region": "us-east5",
        "enabled": True,
        "sampling_rate": 0.25,
        "bigquery_uri": "bq://test-project.logs.claude",
    }
    [setting] = [r for r in at_emulator.requests if r.method == "POST"]
    assert setting.path.startswith("/v1beta1/projects/test-project/locations/us-east5/")
    assert setting.path.endswith("/models/claude-sonnet-4-5@20250929:setPublisherModelConfig")
    assert setting.body == {
        "publisherModelConfig": {
            "loggingConfig": {
                "enabled": True,
                "samplingRate": 0.25,
                "bigqueryDestination": {"outputUri": "bq://test-project.logs.claude"},
            }
        }
    }
    assert setting.headers["authorization"].startswith("Bearer ")
    # The set answered an operation; the client polled it until done.
    assert [r.route for r in at_emulator.requests] == ["model_config", "operation", "model_config"]


def test_disable_turns_it_off_at_that_region_only(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    for region in ("us-east5", "europe-west1"):
        enable_logging("claude-sonnet-4-5", region, "bq://test-project.logs")

    status, out, _ = run(capsys, "disable", *SONNET)

    assert status == 0
    assert out == "Request-response logging of claude-sonnet-4-5@20250929 at us-east5: off\n"
    assert not logging_status("claude-sonnet-4-5", "us-east5").enabled
    assert logging_status("claude-sonnet-4-5", "europe-west1").enabled


def test_status_of_a_model_never_configured_is_off(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "status", "--model", "claude-haiku-4-5", "--region", "asia-east1")
    assert status == 0
    assert out.endswith("at asia-east1: off\n")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["status", "--model", "claude-sonnet-4-5", "--region", "global"],
            "regional endpoints only",
        ),
        (["status", "--model", "claude-sonnet-4-5", "--region", "us"], "not at 'us'"),
        (["disable", "--model", "claude-sonnet-4-5", "--region", "eu"], "not at 'eu'"),
        (
            ["status", "--model", "claude-opus-4-7", "--region", "global"],
            "no regional endpoint serving claude-opus-4-7",
        ),
        (
            ["status", "--model", "claude-opus-4-1", "--region", "asia-east1"],
            "Use a regional endpoint that serves claude-opus-4-1@20250805: us-east5, europe-west1.",
        ),
        (["enable", *SONNET, "--bigquery", "test-project.logs"], "Invalid BigQuery destination"),
        (["enable", *SONNET, "--bigquery", "bq://test-project.logs.a b"], "Invalid BigQuery"),
        (["enable", *SONNET, "--bigquery", "bq://x.y"], "Invalid BigQuery destination"),
        (["enable", *SONNET, "--bigquery", "bq://p-roject.d", "--sampling-rate", "0"], "above 0"),
        (
            ["enable", *SONNET, "--bigquery", "bq://p-roject.d", "--sampling-rate", "1.5"],
            "at most 1",
        ),
        (
            ["enable", *SONNET, "--bigquery", "bq://p-roject.d", "--sampling-rate", "nan"],
            "a number",
        ),
    ],
)
def test_refused_before_any_request(
    argv: list[str], says: str, at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert says in err
    assert at_emulator.requests == []
    assert at_emulator.token_requests == []


def test_a_refusal_of_vertex_exits_1_with_its_fix(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "status", *SONNET, "--project", "other-project")
    assert (status, out) == (1, "")
    assert "403 PERMISSION_DENIED" in err
    assert "model-garden/claude-sonnet-4-5" in err


def test_enable_needs_a_destination(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["logging", "enable", *SONNET])
    assert exited.value.code == 2
    assert "--bigquery" in capsys.readouterr().err


def test_core_functions_take_settings(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    settings = make_settings()  # resolved for the global endpoint; aimed at each region

    enabled = enable_logging(
        "claude-sonnet-4-5@20250929", "europe-west4", "bq://test-project.d", settings=settings
    )
    assert (enabled.enabled, enabled.sampling_rate, enabled.bigquery_uri) == (
        True,
        1.0,
        "bq://test-project.d",
    )
    assert logging_status("claude-sonnet-4-5", "europe-west4", settings=settings) == enabled
    assert not disable_logging("claude-sonnet-4-5", "europe-west4", settings=settings).enabled
    assert {r.region for r in vertex_emulator.requests} == {"europe-west4"}


def test_vertex_refusals_are_typed(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(PermissionDeniedError, match="other-project"):
        logging_status(
            "claude-sonnet-4-5", "us-east5", settings=make_settings(project="other-project")
        )


@pytest.mark.parametrize(
    "uri",
    ["bq://my-project", "bq://my-project.dataset_1", "bq://my-project.dataset_1.table-2"],
)
def test_bigquery_uris_vertex_takes(uri: str) -> None:
    assert validate_bigquery_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    ["", "my-project.logs", "bq://", "bq://My-Project.logs", "bq://p-roject.a.b.c", "gs://b/o"],
)
def test_bigquery_uris_refused(uri: str) -> None:
    with pytest.raises(ConfigurationError, match=r"bq://PROJECT\.DATASET\.TABLE"):
        validate_bigquery_uri(uri)


@pytest.mark.parametrize("rate", [1, 1.0, 0.001])
def test_sampling_rates_taken(rate: float) -> None:
    assert validate_sampling_rate(rate) == float(rate)


@pytest.mark.parametrize("rate", [0, -0.5, 1.01, float("inf"), True, "1"])
def test_sampling_rates_refused(rate: object) -> None:
    with pytest.raises(ConfigurationError, match="sampling rate"):
        validate_sampling_rate(rate)  # type: ignore[arg-type]


def test_a_config_without_logging_reads_as_off() -> None:
    config = LoggingConfig.from_config(
        "claude-sonnet-4-5", "us-east5", {"dataSharingEnabledProvider": "anthropic"}
    )
    assert (config.enabled, config.sampling_rate, config.bigquery_uri) == (False, None, None)
    assert config.summary() == "off"


def test_logging_as_a_process(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, tmp_path: Path
) -> None:
    env = {
        **vertex_emulator.environ(vertex_key_file),
        "PATH": "",
        "CLOUDSDK_CONFIG": str(tmp_path / "no-gcloud"),
    }

    def logging(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "claude_vertex.cli", "logging", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )

    enabled = logging("enable", *SONNET, "--bigquery", "bq://test-project.logs", "--json")
    assert enabled.returncode == 0, enabled.stderr
    assert json.loads(enabled.stdout)["enabled"] is True
    assert RETENTION_RECOMMENDATION in enabled.stderr  # advice off stdout, which is JSON

    status = logging("status", *SONNET)
    assert status.returncode == 0, status.stderr
    assert status.stdout.endswith("on, 100% of requests to bq://test-project.logs\n")


def test_an_operation_is_polled_until_done(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.delay_operations(2)
    settings = make_settings()
    done = set_publisher_model_config(
        settings.for_region("us-east5"),
        "claude-sonnet-4-5",
        {"loggingConfig": {"enabled": False}},
        poll_interval=0.01,
    )
    assert done == {"loggingConfig": {"enabled": False}}
    assert [r.route for r in vertex_emulator.requests] == ["model_config"] + ["operation"] * 3


def test_an_operation_not_done_in_time_says_so(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.delay_operations(1000)
    with pytest.raises(OperationPendingError, match="may still land") as caught:
        set_publisher_model_config(
            make_settings().for_region("us-east5"),
            "claude-sonnet-4-5",
            {"loggingConfig": {"enabled": False}},
            operation_timeout=0.2,
            poll_interval=0.05,
        )
    assert caught.value.operation.startswith("projects/test-project/locations/us-east5/operations/")
