"""Replies no real Vertex would send end in typed errors, never in a stray Python exception.

A small hostile loopback server (tests/hostile.py) plays Vertex (or the token endpoint) and
answers with HTML, invalid UTF-8, JSON nested 10,000 deep, nonsense headers or malformed token
responses. Every failure a caller meets must be a ``ClaudeVertexError`` that says what
happened, and nothing secret may ride along in its chain.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from claude_vertex import (
    ClaudeVertexError,
    CredentialsError,
    InvalidRequestError,
    StreamInterruptedError,
    StreamOrderError,
    VertexClient,
    token_provider,
)
from claude_vertex.testing import VertexEmulator
from tests.helpers import MakeSettings, hello
from tests.hostile import (
    DEEP,
    OUT_OF_ORDER,
    UNREADABLE,
    UNREADABLE_STREAMS,
    HostileServer,
    Scripted,
    huge,
    message,
    message_end,
    message_start,
    out_of_order,
    text_block,
)


def _client(make_settings: MakeSettings, server: HostileServer, **options: Any) -> VertexClient:
    return VertexClient(make_settings(base_url=server.base_url), max_retries=0, **options)


def _untyped(call: Callable[[], object]) -> BaseException | None:
    """The exception ``call`` raises if it is not a ClaudeVertexError (None if it is)."""
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - checked below
        call()
    return None if isinstance(caught.value, ClaudeVertexError) else caught.value


@pytest.mark.parametrize("reply", UNREADABLE.values(), ids=UNREADABLE.keys())
@pytest.mark.parametrize("route", ["create", "count_tokens"])
def test_an_unreadable_answer_is_a_typed_error(
    make_settings: MakeSettings, reply: Scripted, route: str
) -> None:
    with HostileServer([reply]) as server, _client(make_settings, server) as client:
        assert _untyped(lambda: getattr(client, route)(hello())) is None


@pytest.mark.parametrize("reply", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_an_unreadable_answer_is_a_typed_error_async(
    make_settings: MakeSettings, reply: Scripted
) -> None:
    with (
        HostileServer([reply]) as server,
        _client(make_settings, server) as client,
        pytest.raises(ClaudeVertexError, match="could not be read"),
    ):
        await client.acreate(hello())


@pytest.mark.parametrize("reply", UNREADABLE_STREAMS.values(), ids=UNREADABLE_STREAMS.keys())
def test_an_unreadable_stream_is_a_typed_error(
    make_settings: MakeSettings, reply: Scripted
) -> None:
    def read() -> None:
        with client.stream(hello()) as events:
            list(events)

    with HostileServer([reply]) as server, _client(make_settings, server) as client:
        assert _untyped(read) is None


@pytest.mark.parametrize("reply", UNREADABLE_STREAMS.values(), ids=UNREADABLE_STREAMS.keys())
async def test_an_unreadable_stream_is_a_typed_error_async(
    make_settings: MakeSettings, reply: Scripted
) -> None:
    async def read() -> None:
        async with await client.astream(hello()) as events:
            async for _ in events:
                pass

    with (
        HostileServer([reply]) as server,
        _client(make_settings, server) as client,
        pytest.raises(ClaudeVertexError),
    ):
        await read()


@pytest.mark.parametrize("retry_after", ["soon", "Mon, 99 Foo 2026 99:99:99 GMT", "-1", "nan"])
def test_a_429_with_a_nonsense_retry_after_is_still_retried(
    make_settings: MakeSettings, retry_after: str
) -> None:
    quota = {"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}}
    replies = [Scripted.json(quota, status=429, **{"retry-after": retry_after})]
    with (
        HostileServer([*replies, Scripted.json(message("Hello!"))]) as server,
        VertexClient(make_settings(base_url=server.base_url), max_retries=1) as client,
    ):
        answer = client.create(hello())
    assert answer.content[0].text == "Hello!"  # type: ignore[union-attr]
    assert len(server.paths) == 2


def test_a_stream_of_a_nonsense_retry_after_429_is_retried(make_settings: MakeSettings) -> None:
    quota = [{"error": {"code": 429, "message": "Quota exceeded.", "status": "RESOURCE_EXHAUSTED"}}]
    replies = [
        Scripted.json(quota, status=429, **{"retry-after": "soon"}),
        Scripted.events(message_start(), *text_block(0, "Hi"), *message_end()),
    ]
    with (
        HostileServer(replies) as server,
        VertexClient(make_settings(base_url=server.base_url), max_retries=1) as client,
        client.stream(hello()) as events,
    ):
        assert [e.type for e in events][-1] == "message_stop"


#: Token endpoint answers google-auth cannot read (it raises TypeError, ValueError...).
BAD_TOKEN_REPLIES = {
    "expires_in a word": Scripted.json({"access_token": "ya29.a", "expires_in": "soon"}),
    "expires_in a list": Scripted.json({"access_token": "ya29.a", "expires_in": []}),
    "expires_in infinite": Scripted.body(b'{"access_token": "ya29.a", "expires_in": 1e400}'),
    "expires_in huge": Scripted.json({"access_token": "ya29.a", "expires_in": 10**30}),
    "a list": Scripted.json([1, 2, 3]),
    "html": Scripted.body(b"<html>Service Unavailable</html>", "text/html"),
    "json 10,000 deep": Scripted.body(DEEP),
}


def _chain_text(error: BaseException) -> str:
    """Messages and library frames' locals of ``error`` and every exception linked to it.

    Suppressed contexts (``raise ... from None``) count: the objects stay reachable.
    """
    texts: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        captured = traceback.TracebackException.from_exception(current, capture_locals=True)
        texts.append(str(current))
        for frame in captured.stack:
            if "/tests/" not in frame.filename:
                texts.extend(f"{name} = {value}" for name, value in (frame.locals or {}).items())
        pending += [current.__cause__, current.__context__]
    return "\n".join(texts)


@pytest.mark.parametrize("reply", BAD_TOKEN_REPLIES.values(), ids=BAD_TOKEN_REPLIES.keys())
def test_a_malformed_token_response_is_a_credentials_error_without_secrets(
    vertex_emulator: VertexEmulator, reply: Scripted
) -> None:
    with HostileServer([reply]) as server:
        info = {**vertex_emulator.authorized_user_info(), "token_uri": server.token_uri}
        provider = token_provider(info)
        with pytest.raises(CredentialsError) as caught:
            provider.token()
    text = _chain_text(caught.value)
    assert info["refresh_token"] not in text
    assert info["client_secret"] not in text
    assert "Could not get an access token" in str(caught.value)


# --------------------------------------------------------------------------- stream order


def _text_of(events: list[Any]) -> str:
    return "".join(e.delta.text for e in events if e.type == "content_block_delta")


AFTER_STOP = Scripted.events(
    message_start(), *text_block(0, "Hi"), *message_end(), *text_block(1, "EVIL"), *message_end()
)


def test_events_after_message_stop_are_dropped(make_settings: MakeSettings) -> None:
    with (
        HostileServer([AFTER_STOP]) as server,
        _client(make_settings, server) as client,
        client.stream(hello()) as stream,
    ):
        events = list(stream)
    assert events[-1].type == "message_stop"
    assert _text_of(events) == "Hi"


async def test_events_after_message_stop_are_dropped_async(make_settings: MakeSettings) -> None:
    with HostileServer([AFTER_STOP]) as server, _client(make_settings, server) as client:
        async with await client.astream(hello()) as stream:
            events = [event async for event in stream]
    assert events[-1].type == "message_stop"
    assert _text_of(events) == "Hi"


@pytest.mark.parametrize("events", OUT_OF_ORDER.values(), ids=OUT_OF_ORDER.keys())
def test_events_out_of_order_are_a_typed_error(
    make_settings: MakeSettings, events: list[dict[str, Any]]
) -> None:
    with (
        HostileServer([out_of_order(events)]) as server,
        _client(make_settings, server) as client,
        client.stream(hello()) as stream,
        pytest.raises(StreamInterruptedError) as caught,
    ):
        list(stream)
    assert isinstance(caught.value.__cause__, StreamOrderError)


# --------------------------------------------------------------------------- size


@pytest.mark.parametrize(
    "reply",
    [
        huge("error", 100),
        huge("answer", 100),
        huge("event", 100),
    ],
    ids=["a 100 MB error message", "a 100 MB answer", "a 100 MB stream event"],
)
@pytest.mark.parametrize("route", ["create", "stream", "async create", "async stream"])
def test_a_huge_answer_is_refused_without_reading_it_all(
    make_settings: MakeSettings, reply: Scripted, route: str
) -> None:
    async def astream() -> None:
        async with await client.astream(hello()) as events:
            async for _ in events:
                pass

    def call() -> None:
        if route == "create":
            client.create(hello())
        elif route == "stream":
            with client.stream(hello()) as events:
                list(events)
        else:
            asyncio.run(client.acreate(hello()) if route == "async create" else astream())

    with (
        HostileServer([reply]) as server,
        _client(make_settings, server) as client,
        pytest.raises(ClaudeVertexError) as caught,
    ):
        call()
    assert len(str(caught.value)) < 5_000
    assert "bytes" in str(caught.value)


def test_a_long_error_message_is_cut_in_the_error(make_settings: MakeSettings) -> None:
    long = {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "y" * 500_000}}
    with (
        HostileServer([Scripted.json(long, status=400)]) as server,
        _client(make_settings, server) as client,
        pytest.raises(InvalidRequestError) as caught,
    ):
        client.create(hello())
    assert len(str(caught.value)) < 3_000
    assert "498,000 more characters" in str(caught.value)
    assert len(caught.value.vertex_message) < 2_100
