"""Errors that say what to do: a mistyped model id, a missing key file, nothing configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_vertex import (
    ConfigurationError,
    CredentialsError,
    ModelNotFoundError,
    VertexClient,
    resolve_settings,
)
from claude_vertex.model_spelling import misspelling_of, nearest_model
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("claude-sonet-4-5", "claude-sonnet-4-5"),
        ("clade-opus-4-7", "claude-opus-4-7"),
        ("claude-sonet-4-5@20250929", "claude-sonnet-4-5@20250929"),
        ("claude-sonnet-4.5", "claude-sonnet-4-5"),
    ],
)
def test_a_clear_typo_of_a_known_id_is_found(typed: str, meant: str) -> None:
    assert misspelling_of(typed) == meant


@pytest.mark.parametrize(
    "model",
    [
        "claude-sonnet-4-5",  # known
        "claude-sonnet-4-5@default",  # a known model, another version
        "claude-sonnet-4-7",  # other numbers: maybe a new model
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-sonnet-4-6-fast",  # more than a slip longer
        "my-tuned-model",
    ],
)
def test_known_ids_and_possible_new_models_are_no_typos(model: str) -> None:
    assert misspelling_of(model) is None


def test_a_typo_is_refused_at_settings_before_any_request(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    with pytest.raises(ConfigurationError, match=r"did you mean 'claude-sonnet-4-5'\?"):
        resolve_settings(
            model="claude-sonet-4-5",
            project=vertex_emulator.project,
            base_url=vertex_emulator.base_url,
            credentials=vertex_key_file,
        )
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []


def test_a_typo_in_a_call_is_refused_before_any_request(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError, match=r"did you mean 'claude-opus-4-7'\?"):
        client.create(hello(model="claude-opus-4.7"))
    assert vertex_emulator.requests == []


def test_an_unknown_model_s_404_suggests_the_nearest_known_one(
    make_settings: MakeSettings,
) -> None:
    assert nearest_model("claude-sonnet-4-7") == "claude-sonnet-4-6"
    client = VertexClient(make_settings(model="claude-sonnet-4-7"), max_retries=0)
    with client, pytest.raises(ModelNotFoundError) as raised:
        client.create(hello(model="claude-sonnet-4-7"))
    assert "Did you mean 'claude-sonnet-4-6'?" in str(raised.value)


def test_a_missing_key_file_named_by_the_variable_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(missing))
    with pytest.raises(CredentialsError) as raised:
        resolve_settings(model="claude-sonnet-4-5", project="my-project")
    message = str(raised.value)
    assert "$GOOGLE_APPLICATION_CREDENTIALS" in message
    assert repr(str(missing)) in message
    assert "set GOOGLE_APPLICATION_CREDENTIALS" not in message


def test_a_broken_key_file_named_by_the_variable_is_named_with_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "service_account"}')
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(broken))
    with pytest.raises(CredentialsError) as raised:
        resolve_settings(model="claude-sonnet-4-5", project="my-project")
    message = str(raised.value)
    assert f"from $GOOGLE_APPLICATION_CREDENTIALS={str(broken)!r}" in message
    assert ".." not in message


def test_with_nothing_configured_the_first_error_names_credentials_and_project() -> None:
    with pytest.raises(CredentialsError) as raised:
        resolve_settings(model="claude-sonnet-4-5")
    message = str(raised.value)
    assert "gcloud auth application-default login" in message
    assert "ANTHROPIC_VERTEX_PROJECT_ID" in message
    assert "project=" in message
    assert ".." not in message.replace("...", "")


def test_with_a_project_set_the_credentials_error_does_not_ask_for_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    with pytest.raises(CredentialsError) as raised:
        resolve_settings(model="claude-sonnet-4-5")
    assert "project" not in str(raised.value).lower()
