"""The publisher-model config routes (v1beta1), their operations, and data-sharing consent.

Raw HTTP, so the test sees the wire shapes: what a set answers, what a poll answers, and each
refusal in Google's error shape.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from claude_vertex.testing import Fault, VertexEmulator

SONNET = "claude-sonnet-4-5@20250929"
LOGGING = {
    "enabled": True,
    "samplingRate": 0.5,
    "bigqueryDestination": {"outputUri": "bq://test-project.logs.claude"},
}
MESSAGE = {
    "anthropic_version": "vertex-2023-10-16",
    "max_tokens": 8,
    "messages": [{"role": "user", "content": "Hi"}],
}


@pytest.fixture
def http(vertex_emulator: VertexEmulator) -> Iterator[httpx2.Client]:
    token = vertex_emulator.issue_token()
    with httpx2.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        yield client


def set_config(
    http: httpx2.Client, emulator: VertexEmulator, region: str, config: object
) -> httpx2.Response:
    return http.post(
        emulator.config_url(SONNET, region, fetch=False), json={"publisherModelConfig": config}
    )


def test_set_answers_an_operation_that_a_poll_finds_done(
    http: httpx2.Client, vertex_emulator: VertexEmulator
) -> None:
    assert http.get(vertex_emulator.config_url(SONNET, "us-east5")).json() == {}

    answer = set_config(http, vertex_emulator, "us-east5", {"loggingConfig": LOGGING})

    assert answer.status_code == 200
    operation = answer.json()
    assert operation["name"].startswith("projects/test-project/locations/us-east5/operations/")
    assert "done" not in operation
    assert operation["metadata"]["@type"] == (
        "type.googleapis.com/google.cloud.aiplatform.v1beta1.SetPublisherModelConfigOperationMetadata"
    )
    polled = http.get(f"{vertex_emulator.url}/v1beta1/{operation['name']}").json()
    assert polled["done"] is True
    assert polled["response"] == {
        "@type": "type.googleapis.com/google.cloud.aiplatform.v1beta1.PublisherModelConfig",
        "loggingConfig": LOGGING,
    }
    fetched = http.get(vertex_emulator.config_url("claude-sonnet-4-5", "us-east5")).json()
    assert fetched == {"loggingConfig": LOGGING}
    assert http.get(vertex_emulator.config_url(SONNET, "europe-west1")).json() == {}
    assert [r.route for r in vertex_emulator.requests] == [
        "model_config",
        "model_config",
        "operation",
        "model_config",
        "model_config",
    ]


def test_a_set_keeps_the_fields_it_does_not_name(
    http: httpx2.Client, vertex_emulator: VertexEmulator
) -> None:
    set_config(http, vertex_emulator, "us-east5", {"dataSharingEnabledProvider": "anthropic"})
    set_config(http, vertex_emulator, "us-east5", {"loggingConfig": {"enabled": False}})

    fetched = http.get(vertex_emulator.config_url(SONNET, "us-east5")).json()
    assert fetched == {
        "dataSharingEnabledProvider": "anthropic",
        "loggingConfig": {"enabled": False},
    }


@pytest.mark.parametrize("region", ["global", "us", "eu"])
def test_logging_is_refused_off_regional_endpoints(
    region: str, http: httpx2.Client, vertex_emulator: VertexEmulator
) -> None:
    answer = set_config(http, vertex_emulator, region, {"loggingConfig": LOGGING})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert f"not supported at location {region}; use a regional endpoint" in error["message"]
    # Data-sharing consent is given at global (as public scripts do).
    consent = set_config(http, vertex_emulator, region, {"dataSharingEnabledProvider": "anthropic"})
    assert consent.status_code == 200


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"loggingConfig": LOGGING, "colour": "red"}, 'Unknown name "colour"'),
        ({"loggingConfig": {**LOGGING, "rate": 1}}, 'Unknown name "rate"'),
        ({"loggingConfig": {**LOGGING, "samplingRate": 2}}, "sampling_rate must be in [0, 1]"),
        ({"loggingConfig": {"enabled": True}}, "output_uri must be a BigQuery URI"),
        (
            {"loggingConfig": {**LOGGING, "bigqueryDestination": {"outputUri": "gs://b"}}},
            "output_uri must be a BigQuery URI",
        ),
    ],
)
def test_malformed_configs_are_refused(
    config: dict, says: str, http: httpx2.Client, vertex_emulator: VertexEmulator
) -> None:
    answer = set_config(http, vertex_emulator, "us-east5", config)
    assert answer.status_code == 400
    assert says in answer.json()["error"]["message"]
    assert http.get(vertex_emulator.config_url(SONNET, "us-east5")).json() == {}


def test_the_config_routes_pass_the_front_door(
    http: httpx2.Client, vertex_emulator: VertexEmulator
) -> None:
    url = vertex_emulator.config_url(SONNET, "us-east5")
    assert httpx2.get(url).status_code == 401
    other = url.replace("/projects/test-project/", "/projects/other-project/")
    assert http.get(other).json()["error"]["status"] == "PERMISSION_DENIED"
    unknown = http.get(vertex_emulator.config_url("claude-nonesuch-9@20990101", "us-east5"))
    assert unknown.status_code == 404
    opus = http.get(vertex_emulator.config_url("claude-opus-4-7", "us-east5"))
    assert (opus.status_code, opus.json()["error"]["status"]) == (400, "FAILED_PRECONDITION")
    assert http.post(url).status_code == 404  # fetch is a GET; set is a POST
    missing = http.get(
        f"{vertex_emulator.url}/v1beta1/projects/test-project/locations/us-east5/operations/1"
    )
    assert missing.status_code == 404


def test_reset_forgets_the_configs(http: httpx2.Client, vertex_emulator: VertexEmulator) -> None:
    set_config(http, vertex_emulator, "us-east5", {"loggingConfig": LOGGING})
    vertex_emulator.reset()
    assert http.get(vertex_emulator.config_url(SONNET, "us-east5")).json() == {}


def test_a_model_requiring_data_sharing_refuses_until_consent(
    http: httpx2.Client, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.require_data_sharing("claude-sonnet-4-5")
    create = vertex_emulator.model_url(SONNET, "global")
    stream = vertex_emulator.model_url(SONNET, "global", stream=True)

    refused = http.post(create, json=MESSAGE)
    assert refused.status_code == 403
    assert refused.json()["error"]["status"] == "PERMISSION_DENIED"
    assert (
        "requires data sharing to be enabled for publisher 'anthropic'"
        in (refused.json()["error"]["message"])
    )
    streamed = http.post(stream, json={**MESSAGE, "stream": True})
    assert streamed.status_code == 403
    assert isinstance(streamed.json(), list)  # list-wrapped on the stream route, as Vertex's
    haiku = vertex_emulator.model_url("claude-haiku-4-5@20251001", "global")
    assert http.post(haiku, json=MESSAGE).status_code == 200  # other models are untouched

    set_config(http, vertex_emulator, "global", {"dataSharingEnabledProvider": "anthropic"})
    assert http.post(create, json=MESSAGE).status_code == 200
    assert http.post(vertex_emulator.model_url(SONNET, "us-east5"), json=MESSAGE).status_code == 200


def test_fault_model_not_enabled_and_data_sharing_required(
    http: httpx2.Client, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.model_not_enabled())
    vertex_emulator.inject(Fault.data_sharing_required())
    url = vertex_emulator.model_url(SONNET, "us-east5")

    not_enabled = http.post(url, json=MESSAGE)
    assert not_enabled.status_code == 400
    assert not_enabled.json()["error"] == {
        "code": 400,
        "message": "Project `test-project` is not allowed to use Publisher Model "
        f"`projects/test-project/locations/us-east5/publishers/anthropic/models/{SONNET}`",
        "status": "FAILED_PRECONDITION",
    }
    consent = http.post(url, json=MESSAGE)
    assert consent.status_code == 403
    assert "data_sharing_enabled_provider" in consent.json()["error"]["message"]
    assert http.post(url, json=MESSAGE).status_code == 200
