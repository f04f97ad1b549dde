"""Errors from the emulator arrive as typed errors with actionable messages; retry policy."""

from __future__ import annotations

import pytest

from claude_vertex import (
    ConfigurationError,
    DataSharingRequiredError,
    InvalidRequestError,
    ModelNotEnabledError,
    ModelNotFoundError,
    ModelNotServableInRegionError,
    OverloadedError,
    PermissionDeniedError,
    PromptTooLongError,
    QuotaExhaustedError,
    ServerError,
    StreamInterruptedError,
    VertexClient,
)
from claude_vertex.testing import Fault, VertexEmulator
from tests.helpers import MakeSettings, hello


@pytest.mark.parametrize(
    ("fault", "error", "hint"),
    [
        (Fault.quota_exhausted(), QuotaExhaustedError, "quota increase"),
        (Fault.overloaded(), OverloadedError, "overloaded"),
        (Fault.unavailable(), ServerError, "retrying"),
        (Fault.permission_denied(), PermissionDeniedError, "Model Garden"),
        (Fault.model_not_enabled(), ModelNotEnabledError, "model-garden/claude-sonnet-4-5 and"),
        (Fault.data_sharing_required(), DataSharingRequiredError, "dataSharingEnabledProvider"),
        (Fault.prompt_too_long(), PromptTooLongError, "Shorten"),
    ],
)
@pytest.mark.parametrize("route", ["create", "stream"])
def test_faults_map_to_typed_errors(
    fault: Fault,
    error: type[Exception],
    hint: str,
    route: str,
    client: VertexClient,
    vertex_emulator: VertexEmulator,
) -> None:
    vertex_emulator.inject(fault, times=None)

    def call() -> None:
        if route == "create":
            client.create(hello())
        else:
            with client.stream(hello()) as stream:
                list(stream)

    with pytest.raises(error) as caught:
        call()
    assert hint in str(caught.value)
    assert caught.value.region == "global"  # type: ignore[attr-defined]


def test_error_event_inside_a_200_stream_is_typed(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.stream_error_event(error_type="overloaded_error"))
    with pytest.raises(StreamInterruptedError) as caught, client.stream(hello()) as stream:
        list(stream)
    assert isinstance(caught.value.__cause__, OverloadedError)


def test_unknown_model_is_not_found_with_a_hint(client: VertexClient) -> None:
    with pytest.raises(ModelNotFoundError, match="Check the model id"):
        client.create(hello(model="claude-nonexistent-1@20990101"))


@pytest.mark.filterwarnings("ignore::claude_vertex.ModelDeprecationWarning")
def test_a_pinned_region_that_does_not_serve_the_model_is_refused_before_sending(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with (
        VertexClient(make_settings(region="global"), max_retries=0) as client,
        pytest.raises(ConfigurationError) as caught,
    ):
        client.create(hello(model="claude-3-5-haiku"))
    assert "us-east5" in str(caught.value), "names the endpoints that serve it"
    assert vertex_emulator.requests == []


def test_the_services_not_servable_answer_is_typed_and_names_regions(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    # The table can lag behind Google: the service's own refusal still maps to its type.
    vertex_emulator.inject(
        Fault.google(
            400,
            "Publisher Model `claude-sonnet-4-5` is not servable in region global.",
            "FAILED_PRECONDITION",
        )
    )
    with pytest.raises(ModelNotServableInRegionError) as caught:
        client.create(hello())
    assert "global" in str(caught.value)


def test_invalid_request_is_typed_and_carries_the_field(client: VertexClient) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        client.create(hello(messages=[{"role": "assistant", "content": "hi"}]))
    assert "messages" in str(caught.value)


def test_4xx_are_never_retried(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with VertexClient(make_settings(), max_retries=3) as client:
        for fault in (
            Fault.permission_denied(),
            Fault.status(409, {"error": {"code": 409, "message": "conflict", "status": "ABORTED"}}),
        ):
            vertex_emulator.reset()
            vertex_emulator.inject(fault, times=None)
            with pytest.raises(Exception):  # noqa: B017, PT011 - type checked above
                client.create(hello())
            assert len(vertex_emulator.requests) == 1


def test_429_and_529_are_retried_by_the_transport(
    make_settings: MakeSettings, vertex_emulator: VertexEmulator
) -> None:
    with VertexClient(make_settings(), max_retries=2) as client:
        vertex_emulator.inject(Fault.quota_exhausted(headers={"retry-after-ms": "1"}))
        vertex_emulator.inject(Fault.overloaded(headers={"retry-after-ms": "1"}))
        message = client.create(hello())
    assert message.role == "assistant"
    assert [r.status for r in vertex_emulator.requests] == [429, 529, 200]


def test_a_quota_error_names_its_metric_and_base_model(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=None)
    with pytest.raises(QuotaExhaustedError) as caught:
        client.create(hello())
    metric = "aiplatform.googleapis.com/online_prediction_requests_per_base_model"
    assert caught.value.quota_metric == metric
    assert f"({metric} for anthropic-claude-sonnet-4-5)" in str(caught.value)


def test_a_quota_message_without_a_metric_keeps_the_general_hint(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.google(429, "Too many requests."), times=None)
    with pytest.raises(QuotaExhaustedError) as caught:
        client.create(hello())
    assert caught.value.quota_metric is None
    assert "online prediction requests per base model)" in str(caught.value)
