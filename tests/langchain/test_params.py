"""ChatClaudeVertex's parameters: aliases, settings resolution, what reaches the wire,
shared clients, secrets, errors and retries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, loads

from claude_vertex import (
    ConfigurationError,
    ModelNotFoundError,
    QuotaExhaustedError,
    VertexBetaWarning,
    VertexConnectionError,
)
from claude_vertex.testing import Fault, VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from langchain_claude_vertex.chat_models import ACCESS_TOKEN_SECRET

Make = Callable[..., ChatClaudeVertex]


def body(emulator: VertexEmulator) -> dict[str, Any]:
    call = emulator.requests[-1]
    assert call.status == 200, call.body
    return dict(call.body)


# --------------------------------------------------------------------------- construction


def test_aliases_name_the_same_settings(emulator_params: dict[str, Any]) -> None:
    model = ChatClaudeVertex(
        model_name="claude-haiku-4-5",
        project_id=emulator_params["project"],
        location="europe-west1",
        base_url=emulator_params["base_url"],
        credentials=emulator_params["credentials"],
        stop_sequences=["END"],
        default_request_timeout=30,
        api_key="ignored: Vertex uses OAuth",
    )
    assert (model.model, model.project, model.region) == (
        "claude-haiku-4-5",
        emulator_params["project"],
        "europe-west1",
    )
    assert (model.stop, model.timeout) == (["END"], 30)


def test_project_and_region_are_resolved_at_construction(
    monkeypatch: pytest.MonkeyPatch,
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    monkeypatch.setenv("CLOUD_ML_REGION", "europe-west4")
    from_env = make_chat(project=None, model="claude-sonnet-4-5")
    assert from_env.region == "europe-west4"
    # With no region configured anywhere, each model gets its default endpoint.
    monkeypatch.delenv("CLOUD_ML_REGION")
    assert make_chat(model="claude-3-5-haiku").region == "us-east5"
    assert make_chat().region == "global"
    # The project came from the service-account key.
    assert from_env.project == vertex_emulator.project


def test_configuration_errors_surface_at_construction_before_any_request(
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    with pytest.raises(ConfigurationError, match="region"):
        make_chat(region="evil.com/x?")
    with pytest.raises(ConfigurationError, match="base_url"):
        make_chat(base_url="ftp://example.com")
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []


def test_unknown_arguments_become_body_fields_with_a_warning(
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    with pytest.warns(UserWarning, match="service_tier"):
        model = make_chat(service_tier="standard_only")
    assert model.model_kwargs == {"service_tier": "standard_only"}
    model.invoke("hi")
    assert body(vertex_emulator)["service_tier"] == "standard_only"


# --------------------------------------------------------------------------- the wire


def test_settings_reach_the_wire(make_chat: Make, vertex_emulator: VertexEmulator) -> None:
    model = make_chat(
        temperature=0.3,
        top_p=0.9,
        top_k=20,
        max_tokens=512,
        model_kwargs={"metadata": {"user_id": "u-42"}},
        default_headers={"x-app": "notes"},
    )
    model.invoke("hi")
    sent = body(vertex_emulator)
    assert {k: sent[k] for k in ("temperature", "top_p", "top_k", "max_tokens", "metadata")} == {
        "temperature": 0.3,
        "top_p": 0.9,
        "top_k": 20,
        "max_tokens": 512,
        "metadata": {"user_id": "u-42"},
    }
    assert sent["anthropic_version"] == "vertex-2023-10-16"
    assert "model" not in sent
    assert vertex_emulator.requests[-1].headers["x-app"] == "notes"


def test_streaming_true_makes_invoke_stream(
    make_chat: Make, vertex_emulator: VertexEmulator
) -> None:
    answer = make_chat(streaming=True).invoke("hi")
    assert answer.text == "Hello! You said: hi"
    assert answer.usage_metadata is not None
    assert [c.route for c in vertex_emulator.requests] == ["stream"]


def test_the_quota_project_is_billed(make_chat: Make, vertex_emulator: VertexEmulator) -> None:
    make_chat(quota_project_id="billing-project-7").invoke("hi")
    assert vertex_emulator.requests[-1].headers["x-goog-user-project"] == "billing-project-7"


def test_max_tokens_defaults_to_the_models_output_limit(
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    make_chat().invoke("hi")
    make_chat(model="claude-3-5-haiku").invoke("hi")
    assert [c.body["max_tokens"] for c in vertex_emulator.requests] == [64_000, 8_192]


def test_call_arguments_override_the_models(
    chat: ChatClaudeVertex, vertex_emulator: VertexEmulator
) -> None:
    chat.invoke("hi", temperature=0.7, max_tokens=99, service_tier="standard_only")
    sent = body(vertex_emulator)
    assert (sent["temperature"], sent["max_tokens"], sent["service_tier"]) == (
        0.7,
        99,
        "standard_only",
    )


def test_stop_sequences_from_the_model_and_from_the_call(
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    answer = make_chat(stop=["said"]).invoke("anything")
    assert body(vertex_emulator)["stop_sequences"] == ["said"]
    assert answer.text == "Hello! You "
    assert answer.response_metadata["stop_reason"] == "stop_sequence"
    assert answer.response_metadata["stop_sequence"] == "said"
    per_call = make_chat(stop=["said"]).invoke("anything", stop=["You"])
    assert body(vertex_emulator)["stop_sequences"] == ["You"]
    assert per_call.text == "Hello! "


def test_betas_vertex_accepts_are_sent_and_others_dropped_with_a_warning(
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    model = make_chat(betas=["interleaved-thinking-2025-05-14", "files-api-2025-04-14"])
    with pytest.warns(VertexBetaWarning, match="files-api"):
        model.invoke("hi")
    assert vertex_emulator.requests[-1].headers["anthropic-beta"] == (
        "interleaved-thinking-2025-05-14"
    )


def test_a_per_call_model_override_goes_to_that_model(
    chat: ChatClaudeVertex,
    vertex_emulator: VertexEmulator,
) -> None:
    answer = chat.invoke("hi", model="claude-3-5-haiku")
    call = vertex_emulator.requests[-1]
    assert (call.model, call.region) == ("claude-3-5-haiku@20241022", "us-east5")
    assert answer.response_metadata["model_name"] == "claude-3-5-haiku@20241022"
    assert chat._get_ls_params(model="claude-3-5-haiku")["ls_model_name"] == "claude-3-5-haiku"


def test_ls_params_describe_the_call(make_chat: Make) -> None:
    model = make_chat(temperature=0.5, stop=["x"])
    assert model._get_ls_params() == {
        "ls_provider": "google_vertexai",
        "ls_model_name": "claude-sonnet-4-5",
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_max_tokens": 64_000,
        "ls_stop": ["x"],
    }


def test_models_with_the_same_settings_share_one_client_and_token(
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    first, second = make_chat(), make_chat(temperature=0.1)
    first.invoke("one")
    second.invoke("two")
    assert first._client(first._settings()) is second._client(second._settings())
    assert len({c.headers["authorization"] for c in vertex_emulator.requests}) == 1


# --------------------------------------------------------------------------- secrets


def test_secrets_never_appear_in_repr_or_serialised_forms(
    make_chat: Make,
    langchain_key_file: Path,
) -> None:
    token_model = make_chat(access_token="ya29.very-secret-token", credentials=None)
    key_model = make_chat()
    for model, secret in (
        (token_model, "ya29.very-secret-token"),
        (key_model, str(langchain_key_file)),
    ):
        for shown in (repr(model), str(model), dumps(model), str(model.asdict())):
            assert secret not in shown
    assert dumpd(token_model)["kwargs"]["access_token"] == {
        "lc": 1,
        "type": "secret",
        "id": [ACCESS_TOKEN_SECRET],
    }


@pytest.mark.filterwarnings("ignore:The function `loads` is in beta")
def test_a_serialised_model_loads_back_with_its_secret_supplied(
    make_chat: Make,
    vertex_emulator: VertexEmulator,
) -> None:
    token = vertex_emulator.issue_token()
    original = make_chat(access_token=token, credentials=None, temperature=0.2)
    loaded = loads(
        dumps(original),
        secrets_map={ACCESS_TOKEN_SECRET: token},
        valid_namespaces=["langchain_claude_vertex"],
        allowed_objects=[ChatClaudeVertex],
    )
    assert isinstance(loaded, ChatClaudeVertex)
    assert loaded.asdict() == original.asdict()
    assert loaded.invoke("hi").text == "Hello! You said: hi"


# --------------------------------------------------------------------------- errors


def test_the_cores_typed_errors_surface_unchanged(
    make_chat: Make, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ModelNotFoundError) as not_found:
        make_chat(model="claude-nonexistent-9").invoke("hi")
    assert "claude-nonexistent-9" in str(not_found.value)
    vertex_emulator.inject(Fault.quota_exhausted(), times=None)
    with pytest.raises(QuotaExhaustedError):
        make_chat(max_retries=0).invoke("hi")


def test_quota_errors_are_retried(make_chat: Make, vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=1)
    answer = make_chat(max_retries=2).invoke("hi")
    assert answer.text == "Hello! You said: hi"
    assert [c.status for c in vertex_emulator.requests] == [429, 200]


def test_the_timeout_applies_to_calls(make_chat: Make, vertex_emulator: VertexEmulator) -> None:
    vertex_emulator.inject(Fault.slow(2.0), times=1)
    with pytest.raises(VertexConnectionError, match="timed out"):
        make_chat(timeout=0.3, max_retries=0).invoke("hi")
