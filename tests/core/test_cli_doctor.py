"""``claude-vertex doctor``: a good setup passes; each fault exits with its code and its fix.

The command runs through ``main(argv)`` in the test process with the environment pointing at
the emulator (the way a user's shell does), and once as a real process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from claude_vertex import register_model, resolve_model, resolve_settings
from claude_vertex.cli import main
from claude_vertex.doctor import EXIT_CODES, diagnose
from claude_vertex.publisher_model_config import set_publisher_model_config
from claude_vertex.request_logging import enable_logging
from claude_vertex.testing import Fault, VertexEmulator
from tests.helpers import secrets_of


def doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(["doctor", *argv])
    out, err = capsys.readouterr()
    assert err == ""
    return status, out


def doctor_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    status, out = doctor(capsys, *argv, "--json")
    return status, json.loads(out)


def step(report: dict, name: str) -> dict:
    return next(s for s in report["steps"] if s["name"] == name)


def test_a_good_setup_passes_every_step(
    at_emulator: VertexEmulator, vertex_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = doctor(capsys, "--region", "us-east5", "--call")

    assert status == 0
    assert out.splitlines()[-1] == "Every required check passed."
    assert "ok    project                test-project" in out
    assert "from: $ANTHROPIC_VERTEX_PROJECT_ID" in out
    assert "service account tester@test-project.iam.gserviceaccount.com" in out
    assert f"$GOOGLE_APPLICATION_CREDENTIALS={vertex_key_file}" in out
    assert "claude-sonnet-4-5@20250929 (claude-sonnet-4-5), active" in out
    assert "1 input token, counted at us-east5" in out
    assert "answered (1 output token" in out
    routes = [(r.route, r.region, r.status) for r in at_emulator.requests]
    assert routes == [
        ("count_tokens", "us-east5", 200),
        ("create", "us-east5", 200),
        ("model_config", "us-east5", 200),
    ]
    for secret in secrets_of(at_emulator, vertex_key_file):
        assert secret not in out


def test_json_lists_a_probe_per_endpoint_of_the_plan(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = doctor_json(capsys)

    assert (status, report["ok"], report["exit_code"]) == (0, True, 0)
    plan = step(report, "endpoint plan")["details"]["plan"]
    assert plan[:3] == ["global", "us", "eu"]
    assert "us-east5" in plan
    probes = [s["name"] for s in report["steps"] if s["name"].startswith("count-tokens")]
    assert probes == [f"count-tokens {region}" for region in plan]
    logging = [s["name"] for s in report["steps"] if s["name"].startswith("logging")]
    assert logging == [f"logging {r}" for r in plan if r not in ("global", "us", "eu")]
    credentials = step(report, "credentials")["details"]
    assert credentials["kind"] == "service account"
    assert credentials["principal"] == "tester@test-project.iam.gserviceaccount.com"
    assert step(report, "token")["details"]["milliseconds"] >= 0
    assert step(report, "project")["source"] == "$ANTHROPIC_VERTEX_PROJECT_ID"


def test_logging_status_shows_per_regional_endpoint(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    enable_logging("claude-sonnet-4-5", "us-east5", "bq://test-project.logs.claude")

    status, report = doctor_json(capsys, "--region", "us-east5")

    assert status == 0
    logging = step(report, "logging us-east5")
    assert logging["status"] == "ok"
    assert logging["found"] == "on, 100% of requests to bq://test-project.logs.claude"


def test_logging_off_is_advice_not_a_failure(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = doctor_json(capsys, "--region", "europe-west1")

    logging = step(report, "logging europe-west1")
    assert (status, logging["status"], logging["required"]) == (0, "warn", False)
    assert (
        "claude-vertex logging enable --model claude-sonnet-4-5 --region europe-west1"
        in (logging["fix"])
    )
    assert "rolling 30 days" in logging["fix"]


def test_model_not_enabled_names_model_garden(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    at_emulator.inject(Fault.model_not_enabled(), times=None)

    status, out = doctor(capsys, "--region", "us-east5")

    assert status == EXIT_CODES["not_enabled"] == 6
    assert "FAIL  count-tokens us-east5" in out
    assert "is not allowed to use Publisher Model" in " ".join(out.split())
    assert (
        "https://console.cloud.google.com/vertex-ai/publishers/anthropic/model-garden/"
        "claude-sonnet-4-5" in out
    )


def test_region_not_serving_the_model_names_the_regions_that_do(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    at_emulator.set_available("claude-sonnet-4-5", ["europe-west1"])

    status, report = doctor_json(capsys, "--region", "us-east5")

    assert status == EXIT_CODES["model"] == 5
    probe = step(report, "count-tokens us-east5")
    assert "not servable in region us-east5" in probe["found"]
    assert "is served in: global, us, eu, us-east5" in probe["fix"]
    assert probe["details"]["served_in"][:3] == ["global", "us", "eu"]


def test_a_region_the_table_rules_out_fails_before_any_request(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = doctor_json(capsys, "--model", "claude-opus-4-7", "--region", "us-east5")

    assert status == EXIT_CODES["model"]
    plan = step(report, "endpoint plan")
    assert plan["status"] == "fail"
    assert "claude-opus-4-7 is served at global, us, eu" in plan["fix"]
    assert at_emulator.requests == []


def test_quota_names_the_quota_metric(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    at_emulator.inject(Fault.quota_exhausted(), times=None)

    status, report = doctor_json(capsys, "--region", "us-east5")

    assert status == EXIT_CODES["quota"] == 8
    probe = step(report, "count-tokens us-east5")
    metric = "aiplatform.googleapis.com/online_prediction_requests_per_base_model"
    assert probe["details"]["quota_metric"] == metric
    assert (
        f"quota increase: https://console.cloud.google.com/iam-admin/quotas ({metric}"
        in (probe["fix"])
    )
    assert "anthropic-claude-sonnet-4-5" in probe["fix"]


def test_data_sharing_not_consented_then_consented(
    at_emulator: VertexEmulator, vertex_key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at_emulator.require_data_sharing("claude-sonnet-4-5")

    status, report = doctor_json(capsys, "--region", "us-east5")

    assert status == EXIT_CODES["data_sharing"] == 7
    probe = step(report, "count-tokens us-east5")
    assert "requires data sharing" in probe["found"]
    assert '{"dataSharingEnabledProvider": "anthropic"}' in probe["fix"]
    assert "claude-sonnet-4-5@20250929:setPublisherModelConfig" in probe["fix"]

    settings = resolve_settings(model="claude-sonnet-4-5", region="global")
    set_publisher_model_config(
        settings, "claude-sonnet-4-5", {"dataSharingEnabledProvider": "anthropic"}
    )
    assert doctor_json(capsys, "--region", "us-east5")[0] == 0


def test_credentials_the_token_endpoint_refuses(
    at_emulator: VertexEmulator,
    vertex_key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    info = json.loads(vertex_key_file.read_text())
    info["client_email"] = "deleted@test-project.iam.gserviceaccount.com"  # its key revoked
    revoked = tmp_path / "revoked.json"
    revoked.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(revoked))

    status, report = doctor_json(capsys)

    assert status == EXIT_CODES["credentials"] == 4
    token = step(report, "token")
    assert token["status"] == "fail"
    assert "invalid_grant" in token["fix"]
    assert "Check that the credentials are valid" in token["fix"]
    assert step(report, "endpoints")["status"] == "skipped"
    assert [r.route for r in at_emulator.requests] == []


def test_a_token_vertex_refuses_is_a_credentials_failure(at_emulator: VertexEmulator) -> None:
    diagnosis = diagnose(region="us-east5", access_token="ya29.not-issued-here")

    assert diagnosis.exit_code == EXIT_CODES["credentials"]
    [probe] = [s for s in diagnosis.steps if s.name == "count-tokens us-east5"]
    assert "401 UNAUTHENTICATED" in probe.found
    assert "gcloud auth application-default login" in (probe.fix or "")
    assert "ya29.not-issued-here" not in json.dumps(diagnosis.to_dict())


def test_no_project_lists_every_source_tried(
    at_emulator: VertexEmulator,
    vertex_key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    info = json.loads(vertex_key_file.read_text())
    del info["project_id"]
    no_project = tmp_path / "no-project.json"
    no_project.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(no_project))
    monkeypatch.delenv("ANTHROPIC_VERTEX_PROJECT_ID")

    status, out = doctor(capsys)

    assert status == EXIT_CODES["project"] == 3
    assert "FAIL  project" in out
    assert "No Google Cloud project found" in out
    assert "gcloud config set project PROJECT" in out
    assert at_emulator.requests == []


def test_a_wrong_project_says_where_it_came_from(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = doctor_json(capsys, "--region", "us-east5", "--project", "other-project")

    assert status == EXIT_CODES["not_enabled"]
    probe = step(report, "count-tokens us-east5")
    assert "Permission 'aiplatform.endpoints.predict' denied" in probe["found"]
    assert "the project 'other-project' (the project argument) is the one meant" in probe["fix"]


def test_a_retired_model_fails_before_any_request(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, report = doctor_json(capsys, "--model", "claude-3-7-sonnet")

    assert status == EXIT_CODES["model"]
    model = step(report, "model")
    assert model["status"] == "fail"
    assert model["fix"] == "Vertex no longer serves it. Move to claude-sonnet-4-6."
    assert at_emulator.requests == []


def test_count_tokens_probes_where_the_model_is_served(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """Claude Opus 4.7 is served on global, us and eu only; each counts tokens itself."""
    status, report = doctor_json(capsys, "--model", "claude-opus-4-7")
    assert status == 0
    probes = [step(report, f"count-tokens {r}") for r in ("global", "us", "eu")]
    assert [p["status"] for p in probes] == ["ok"] * 3
    assert {r.region for r in at_emulator.requests if r.route == "count_tokens"} == {
        "global",
        "us",
        "eu",
    }


def test_a_region_that_cannot_count_a_model_is_advice(
    at_emulator: VertexEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model served only where count-tokens is not: only a call probes its endpoint."""
    import claude_vertex.models as models

    monkeypatch.setattr(models, "_BY_ID", dict(models._BY_ID))
    monkeypatch.setattr(models, "_REGISTERED", {})
    register_model(
        replace(
            resolve_model("claude-sonnet-4-5"),
            vertex_id="claude-tokyo-1",
            first_party_id="claude-tokyo-1",
            alias="claude-tokyo-1",
            global_endpoint=False,
            regions=("asia-northeast1",),
        )
    )
    status, report = doctor_json(capsys, "--model", "claude-tokyo-1")
    probe = step(report, "count-tokens asia-northeast1")
    assert (status, probe["status"], probe["required"]) == (0, "warn", False)
    assert "--call" in probe["fix"]

    status, report = doctor_json(capsys, "--model", "claude-tokyo-1", "--call")
    assert (status, step(report, "call asia-northeast1")["status"]) == (0, "ok")


def test_doctor_as_a_process(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, tmp_path: Path
) -> None:
    env = {
        **vertex_emulator.environ(vertex_key_file),
        "PATH": "",
        "CLOUDSDK_CONFIG": str(tmp_path / "no-gcloud"),
    }
    vertex_emulator.inject(Fault.quota_exhausted(), times=None, region="europe-west1")

    found = subprocess.run(
        [sys.executable, "-m", "claude_vertex.cli", "doctor", "--region", "europe-west1", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )

    assert found.returncode == EXIT_CODES["quota"], found.stderr
    report = json.loads(found.stdout)
    assert report["exit_code"] == 8
    assert report["ok"] is False
    assert step(report, "count-tokens europe-west1")["details"]["error"] == "QuotaExhaustedError"
