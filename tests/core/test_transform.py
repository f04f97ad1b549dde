"""The request transform: Messages API params -> Vertex path, headers and body."""

from __future__ import annotations

import warnings

import pytest

from claude_vertex import ConfigurationError, VertexBetaWarning, build_request

MESSAGES = [{"role": "user", "content": "Hey Claude!"}]
BASE = "/projects/my-project/locations/global/publishers/anthropic/models"


def params(**extra: object) -> dict[str, object]:
    return {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": MESSAGES, **extra}


def test_create_moves_the_model_into_the_path_and_sets_the_vertex_version() -> None:
    request = build_request(params(), project="my-project", region="global")
    assert request.path == f"{BASE}/claude-sonnet-4-5@20250929:rawPredict"
    assert request.body == {
        "max_tokens": 64,
        "messages": MESSAGES,
        "anthropic_version": "vertex-2023-10-16",
    }
    assert request.headers == {}
    assert request.route == "create"


def test_stream_uses_stream_raw_predict_and_keeps_stream_true() -> None:
    request = build_request(params(stream=True), project="my-project", region="global")
    assert request.path.endswith("/claude-sonnet-4-5@20250929:streamRawPredict")
    assert request.body["stream"] is True
    assert "model" not in request.body


def test_explicit_create_route_drops_a_stray_stream_flag() -> None:
    request = build_request(
        params(stream=False), project="my-project", region="global", route="create"
    )
    assert "stream" not in request.body


def test_count_tokens_keeps_the_model_in_the_body_and_drops_generation_fields() -> None:
    request = build_request(
        params(temperature=0.5, stop_sequences=["x"], system="Be brief."),
        project="my-project",
        region="us-east5",
        route="count_tokens",
    )
    assert request.path == (
        "/projects/my-project/locations/us-east5/publishers/anthropic/models/"
        "count-tokens:rawPredict"
    )
    assert request.body == {
        "model": "claude-sonnet-4-5@20250929",
        "messages": MESSAGES,
        "system": "Be brief.",
        "anthropic_version": "vertex-2023-10-16",
    }


def test_sampling_parameters_reach_the_body() -> None:
    request = build_request(
        params(temperature=0.3, top_p=0.9, top_k=5), project="my-project", region="global"
    )
    assert (request.body["temperature"], request.body["top_p"], request.body["top_k"]) == (
        0.3,
        0.9,
        5,
    )


def test_anthropic_version_is_configurable_and_never_a_header() -> None:
    request = build_request(
        params(), project="my-project", region="global", anthropic_version="vertex-2099-01-01"
    )
    assert request.body["anthropic_version"] == "vertex-2099-01-01"
    assert "anthropic-version" not in {k.lower() for k in request.headers}


def test_accepted_betas_go_to_the_header_and_refused_ones_are_dropped_with_a_warning() -> None:
    with pytest.warns(VertexBetaWarning, match="files-api-2025-04-14"):
        request = build_request(
            params(),
            project="my-project",
            region="global",
            betas=["interleaved-thinking-2025-05-14", "files-api-2025-04-14"],
        )
    assert request.headers == {"anthropic-beta": "interleaved-thinking-2025-05-14"}


def test_betas_inside_params_are_filtered_too() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VertexBetaWarning)
        request = build_request(
            params(betas=["token-efficient-tools-2025-02-19", "code-execution-2025-08-25"]),
            project="my-project",
            region="global",
        )
    assert request.headers == {"anthropic-beta": "token-efficient-tools-2025-02-19"}
    assert "betas" not in request.body


def test_context_1m_beta_travels_in_the_body() -> None:
    request = build_request(
        params(), project="my-project", region="global", betas=["context-1m-2025-08-07"]
    )
    assert request.body["anthropic_beta"] == ["context-1m-2025-08-07"]
    assert request.headers == {}


def test_count_tokens_drops_betas_it_refuses() -> None:
    with pytest.warns(VertexBetaWarning, match="count-tokens"):
        request = build_request(
            params(),
            project="my-project",
            region="us-east5",
            route="count_tokens",
            betas=["fine-grained-tool-streaming-2025-05-14"],
        )
    assert request.headers == {}


def test_unknown_model_passes_through_unchanged() -> None:
    request = build_request(
        params(model="claude-next-7@20310101"), project="my-project", region="global"
    )
    assert request.path == f"{BASE}/claude-next-7@20310101:rawPredict"


def test_params_are_not_mutated() -> None:
    given = params(stream=True)
    build_request(given, project="my-project", region="global")
    assert given["model"] == "claude-sonnet-4-5"
    assert given["stream"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("model", "claude/../x"), ("project", "evil.com/x"), ("region", "us-east5.attacker")],
)
def test_hostile_strings_are_rejected(field: str, value: str) -> None:
    kwargs = {"project": "my-project", "region": "global"}
    given = params()
    if field == "model":
        given["model"] = value
    else:
        kwargs[field] = value
    with pytest.raises(ConfigurationError):
        build_request(given, **kwargs)  # type: ignore[arg-type]


def test_missing_model_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="No model"):
        build_request(
            {"max_tokens": 5, "messages": MESSAGES}, project="my-project", region="global"
        )
