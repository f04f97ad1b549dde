"""Both error shapes map to one typed hierarchy with actionable messages."""

from __future__ import annotations

import json

import anthropic
import httpx2
import pytest

from claude_vertex import (
    AuthenticationError,
    InvalidRequestError,
    ModelNotFoundError,
    ModelNotServableInRegionError,
    OverloadedError,
    PermissionDeniedError,
    PromptTooLongError,
    QuotaExhaustedError,
    ServerError,
    VertexAPIError,
)
from claude_vertex.errors import error_from_response

URL = "https://aiplatform.googleapis.com/v1/projects/p/locations/global/x:rawPredict"
MODEL = "claude-sonnet-4@20250514"


def google(code: int, status: str, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "status": status}}


def anthropic_error(kind: str, message: str) -> dict[str, object]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def make(status: int, body: object, *, region: str = "global") -> VertexAPIError:
    response = httpx2.Response(status, json=body, request=httpx2.Request("POST", URL))
    return error_from_response(response, body, project="my-project", region=region, model=MODEL)


CASES = [
    (
        401,
        google(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
        AuthenticationError,
        anthropic.AuthenticationError,
        "gcloud auth application-default",
    ),
    (
        403,
        google(403, "PERMISSION_DENIED", "Permission denied on resource project p."),
        PermissionDeniedError,
        anthropic.PermissionDeniedError,
        "Model Garden",
    ),
    (
        404,
        google(
            404,
            "NOT_FOUND",
            "Publisher Model `x` was not found or your project does not have access to it.",
        ),
        ModelNotFoundError,
        anthropic.NotFoundError,
        "us-east5",
    ),
    (
        400,
        google(400, "FAILED_PRECONDITION", "Publisher Model `x` is not servable in region global."),
        ModelNotServableInRegionError,
        anthropic.BadRequestError,
        "us-east5, europe-west1",
    ),
    (
        429,
        google(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for aiplatform.googleapis.com/"
            "online_prediction_requests_per_base_model",
        ),
        QuotaExhaustedError,
        anthropic.RateLimitError,
        "quota increase",
    ),
    (
        429,
        [google(429, "RESOURCE_EXHAUSTED", "Quota exceeded")],
        QuotaExhaustedError,
        anthropic.RateLimitError,
        "quota increase",
    ),
    (
        529,
        anthropic_error("overloaded_error", "Overloaded"),
        OverloadedError,
        anthropic.OverloadedError,
        "retry",
    ),
    (
        200,
        anthropic_error("overloaded_error", "Overloaded"),
        OverloadedError,
        anthropic.OverloadedError,
        "retry",
    ),
    (
        400,
        anthropic_error("invalid_request_error", "messages: at least one message is required"),
        InvalidRequestError,
        anthropic.BadRequestError,
        "Fix the request",
    ),
    (
        400,
        anthropic_error("invalid_request_error", "prompt is too long: 250000 tokens > 200000"),
        PromptTooLongError,
        anthropic.BadRequestError,
        "200,000 tokens",
    ),
    (
        413,
        anthropic_error("request_too_large", "Request exceeds the maximum allowed size"),
        PromptTooLongError,
        anthropic.APIStatusError,
        "Shorten",
    ),
    (
        503,
        google(503, "UNAVAILABLE", "The service is currently unavailable."),
        ServerError,
        anthropic.InternalServerError,
        "retrying",
    ),
]


@pytest.mark.parametrize(("status", "body", "cls", "sdk_cls", "hint"), CASES)
def test_each_error_shape_maps_to_its_typed_error(
    status: int, body: object, cls: type[Exception], sdk_cls: type[Exception], hint: str
) -> None:
    error = make(status, body)
    assert type(error) is cls
    assert isinstance(error, sdk_cls), "SDK users catching anthropic errors keep working"
    assert hint in str(error)
    assert "my-project" in str(error)


def test_google_status_and_message_are_kept() -> None:
    error = make(429, [google(429, "RESOURCE_EXHAUSTED", "Quota exceeded for X")])
    assert error.status == "RESOURCE_EXHAUSTED"
    assert error.vertex_message == "Quota exceeded for X"
    assert error.status_code == 429
    assert error.retryable


def test_anthropic_error_type_is_kept() -> None:
    error = make(529, anthropic_error("overloaded_error", "Overloaded"))
    assert error.error_type == "overloaded_error"
    assert error.retryable


def test_invalid_requests_are_not_retryable() -> None:
    assert not make(400, anthropic_error("invalid_request_error", "bad")).retryable


def test_unparseable_bodies_still_give_a_typed_error() -> None:
    body = "<html>502 Bad Gateway</html>"
    response = httpx2.Response(502, text=body, request=httpx2.Request("POST", URL))
    error = error_from_response(response, body)
    assert isinstance(error, ServerError)
    assert "502 Bad Gateway" in str(error)


def test_raw_json_text_bodies_are_parsed() -> None:
    body = json.dumps(google(403, "PERMISSION_DENIED", "denied"))
    response = httpx2.Response(403, text=body, request=httpx2.Request("POST", URL))
    assert isinstance(error_from_response(response, body), PermissionDeniedError)


def test_not_found_for_an_unknown_model_suggests_checking_the_id() -> None:
    response = httpx2.Response(404, request=httpx2.Request("POST", URL))
    error = error_from_response(
        response, google(404, "NOT_FOUND", "not found"), model="claude-nope@1"
    )
    assert "Check the model id" in str(error)
