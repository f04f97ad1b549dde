"""Unit tests of the classification of failed attempts (the loop itself runs in test_failover)."""

from __future__ import annotations

import email.utils
import time

import anthropic
import httpx2
import pytest

from claude_vertex import (
    AuthenticationError,
    InvalidRequestError,
    QuotaExhaustedError,
    VertexConnectionError,
)
from claude_vertex.attempts import classify, retry_after
from claude_vertex.transform import build_request
from tests.helpers import hello

REQUEST = build_request(hello(), project="test-project", region="us-east5", route="create")


def answer(status: int, headers: dict[str, str] | None = None) -> httpx2.Response:
    request = httpx2.Request(
        "POST", "https://example.test/v1", headers={"authorization": "Bearer tok-123"}
    )
    return httpx2.Response(status, headers=headers, json={"error": {}}, request=request)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({}, None),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after-ms": "soon", "retry-after": "2"}, 2.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "Thu, 01 Jan 1970 00:00:00 GMT"}, 0.0),
    ],
)
def test_retry_after_reads_either_header(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(answer(429, headers)) == seconds


def test_retry_after_reads_an_http_date_and_no_answer() -> None:
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    wait = retry_after(answer(503, {"retry-after": when}))
    assert wait is not None
    assert 55 < wait <= 60
    assert retry_after(None) is None


def test_a_429_is_typed_retryable_and_keeps_its_retry_after() -> None:
    response = answer(429, {"retry-after": "2"})
    failure = classify(anthropic.APIStatusError("quota", response=response, body=None), REQUEST)
    assert isinstance(failure.error, QuotaExhaustedError)
    assert failure.retryable
    assert failure.retry_after == 2.0
    assert failure.token is None


def test_a_401_carries_the_rejected_token_outside_its_repr() -> None:
    response = answer(401)
    failure = classify(anthropic.APIStatusError("no", response=response, body=None), REQUEST)
    assert isinstance(failure.error, AuthenticationError)
    assert not failure.retryable
    assert failure.token == "tok-123"
    assert "tok-123" not in repr(failure)


def test_a_400_is_final() -> None:
    response = answer(400)
    failure = classify(anthropic.APIStatusError("bad", response=response, body=None), REQUEST)
    assert isinstance(failure.error, InvalidRequestError)
    assert not failure.retryable


def test_a_connection_failure_is_typed_and_retryable() -> None:
    cause = httpx2.ConnectError("refused")
    failure = classify(cause, REQUEST)
    assert isinstance(failure.error, VertexConnectionError)
    assert failure.retryable
    assert failure.error.__cause__ is cause
    assert "'us-east5' failed (ConnectError)" in str(failure.error)


def test_anything_else_is_raised_unchanged() -> None:
    bug = KeyError("not a transport error")
    with pytest.raises(KeyError) as caught:
        classify(bug, REQUEST)
    assert caught.value is bug
