"""Resolving project, region and base URL from arguments, environment and credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from claude_vertex import ConfigurationError, resolve_settings
from claude_vertex.testing import VertexEmulator


@pytest.fixture
def token(vertex_emulator: VertexEmulator) -> str:
    return vertex_emulator.issue_token()


def test_project_argument_wins(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("ANTHROPIC_VERTEX_PROJECT_ID", "env-project")
    assert resolve_settings(project="arg-project", access_token=token).project == "arg-project"


@pytest.mark.parametrize(
    ("set_env", "expected"),
    [
        (
            {
                "ANTHROPIC_VERTEX_PROJECT_ID": "anthropic-env",
                "GOOGLE_CLOUD_PROJECT": "google-env",
                "GCLOUD_PROJECT": "gcloud-env",
            },
            "anthropic-env",
        ),
        ({"GOOGLE_CLOUD_PROJECT": "google-env", "GCLOUD_PROJECT": "gcloud-env"}, "google-env"),
        ({"GCLOUD_PROJECT": "gcloud-env"}, "gcloud-env"),
    ],
)
def test_project_environment_order(
    monkeypatch: pytest.MonkeyPatch, token: str, set_env: dict[str, str], expected: str
) -> None:
    for name, value in set_env.items():
        monkeypatch.setenv(name, value)
    assert resolve_settings(access_token=token).project == expected


def test_project_from_the_credentials(vertex_key_file: Path) -> None:
    assert resolve_settings(credentials=vertex_key_file).project == "test-project"


def test_environment_beats_the_credentials_project(
    monkeypatch: pytest.MonkeyPatch, vertex_key_file: Path
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    assert resolve_settings(credentials=vertex_key_file).project == "env-project"


def test_project_from_google_auth_default(
    monkeypatch: pytest.MonkeyPatch, token: str, vertex_key_file: Path
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(vertex_key_file))
    # A static token has no project; google.auth.default() finds the key file's.
    assert resolve_settings(access_token=token).project == "test-project"


def test_missing_project_lists_every_source_tried(token: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(access_token=token)
    message = str(caught.value)
    for source in (
        "project argument",
        "$ANTHROPIC_VERTEX_PROJECT_ID",
        "$GOOGLE_CLOUD_PROJECT",
        "$GCLOUD_PROJECT",
        "the credentials",
        "google.auth.default()",
    ):
        assert source in message


def test_region_argument_then_environment_then_model_default(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    base: dict[str, Any] = {"project": "my-project", "access_token": token}
    assert resolve_settings(model="claude-sonnet-4-5", **base).region == "global"
    assert resolve_settings(model="claude-3-opus", **base).region == "us-east5"
    monkeypatch.setenv("CLOUD_ML_REGION", "europe-west1")
    assert resolve_settings(model="claude-sonnet-4-5", **base).region == "europe-west1"
    assert resolve_settings(model="claude-sonnet-4-5", region="us", **base).region == "us"


@pytest.mark.parametrize(
    ("value", "residency", "problem"),
    [
        ("Europe West", None, "Invalid Vertex AI region 'Europe West'"),
        ("global", "eu", "Region 'global' is outside data_residency='eu'"),
        ("asia-south1", None, "Region 'asia-south1' does not serve it"),
    ],
)
def test_a_region_from_the_environment_that_cannot_be_used_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, token: str, value: str, residency: str | None, problem: str
) -> None:
    base: dict[str, Any] = {"project": "my-project", "access_token": token}
    monkeypatch.setenv("CLOUD_ML_REGION", value)
    with pytest.raises(ConfigurationError) as from_env:
        resolve_settings(model="claude-sonnet-4-5", data_residency=residency, **base)
    message = str(from_env.value)
    assert problem in message
    assert message.endswith(f"The region came from $CLOUD_ML_REGION={value!r}: change or unset it.")
    assert ".. " not in message  # one full stop between the sentences
    monkeypatch.delenv("CLOUD_ML_REGION")
    with pytest.raises(ConfigurationError) as from_argument:
        resolve_settings(model="claude-sonnet-4-5", region=value, data_residency=residency, **base)
    assert problem in str(from_argument.value)
    assert "CLOUD_ML_REGION" not in str(from_argument.value)


def test_base_url_from_region_argument_or_environment(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    base: dict[str, Any] = {"project": "my-project", "access_token": token}
    assert resolve_settings(region="us-east5", **base).base_url == (
        "https://us-east5-aiplatform.googleapis.com/v1"
    )
    assert not resolve_settings(**base).base_url_fixed
    monkeypatch.setenv("ANTHROPIC_VERTEX_BASE_URL", "https://gateway.example.com/v1")
    settings = resolve_settings(**base)
    assert settings.base_url == "https://gateway.example.com/v1"
    assert settings.base_url_fixed
    assert resolve_settings(base_url="http://127.0.0.1:1/v1", **base).base_url == (
        "http://127.0.0.1:1/v1"
    )


def test_for_region_moves_the_host_unless_the_base_url_is_fixed(token: str) -> None:
    settings = resolve_settings(project="my-project", access_token=token)
    assert settings.for_region("eu").base_url == "https://aiplatform.eu.rep.googleapis.com/v1"
    fixed = resolve_settings(
        project="my-project", access_token=token, base_url="http://127.0.0.1:1/v1"
    )
    assert fixed.for_region("eu").base_url == "http://127.0.0.1:1/v1"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"region": "evil.com/x"},
        {"project": "evil.com/x"},
        {"base_url": "http://evil.com/v1"},
        {"base_url": "https://user@evil.com/v1"},
        {"region": "us-east5.attacker"},
    ],
)
def test_hostile_settings_are_rejected(kwargs: dict[str, Any], token: str) -> None:
    with pytest.raises(ConfigurationError):
        resolve_settings(access_token=token, **{"project": "my-project", **kwargs})


def test_settings_repr_holds_no_secret(token: str) -> None:
    settings = resolve_settings(project="my-project", access_token=token)
    assert token not in repr(settings)
    assert "my-project" in repr(settings)
