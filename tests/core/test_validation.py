"""Malformed conversations are refused before sending, naming the message and block."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from claude_vertex import MessageValidationError, VertexClient
from claude_vertex.media_types import MAX_IMAGE_BYTES
from claude_vertex.testing import VertexEmulator
from claude_vertex.validation import validate_messages
from tests.helpers import hello

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
CALL = {
    "role": "assistant",
    "content": [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_1", "name": "search", "input": {"q": "x"}},
    ],
}


def result(tool_use_id: str = "toolu_1") -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": "found"}


def user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def image(media_type: str = "image/png", data: str = PNG, kind: str = "base64") -> dict[str, Any]:
    return {"type": "image", "source": {"type": kind, "media_type": media_type, "data": data}}


BAD: list[tuple[object, str]] = [
    ([], "non-empty list"),
    ("hello", "non-empty list"),
    ([{"role": "system", "content": "Be brief."}], "'system' parameter"),
    ([{"role": "user", "content": "hi"}, {"role": "tool", "content": "x"}], "messages[1]"),
    ([{"role": "user", "content": "   "}], "messages[0] (user) is empty"),
    ([{"role": "user", "content": []}], "no content blocks"),
    ([user({"type": "text", "text": ""})], "content[0] (text)"),
    (
        [
            user({"type": "text", "text": "hi"}),
            {"role": "assistant", "content": [{"type": "text", "text": " \n"}]},
        ],
        "messages[1] (assistant), content[0] (text)",
    ),
    ([user(result())], "answers no tool_use"),
    ([user({"type": "text", "text": "hi"}), CALL, user(result("toolu_2"))], "'toolu_2'"),
    (
        [user({"type": "text", "text": "hi"}), CALL, user({"type": "text", "text": "ok?"})],
        "no tool_result for 'toolu_1'",
    ),
    ([user(image("image/bmp"))], "'image/bmp' is not accepted"),
    ([user(image(data="A" * (MAX_IMAGE_BYTES * 4 // 3 + 8)))], "at most"),
    ([user(image(kind="url"))], "does not fetch url sources"),
    (
        [
            user(
                {
                    "type": "document",
                    "source": {
                        "type": "base64",
                        "media_type": "application/zip",
                        "data": "UEsDBA==",
                    },
                }
            )
        ],
        "'application/zip'",
    ),
    (
        [
            user({"type": "text", "text": "hi"}),
            CALL,
            user(
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [image("image/tiff")]}
            ),
        ],
        "'image/tiff'",
    ),
]


@pytest.mark.parametrize(("messages", "says"), BAD)
def test_malformed_conversations_are_refused_with_their_place(messages: object, says: str) -> None:
    with pytest.raises(MessageValidationError) as caught:
        validate_messages(messages)
    assert says in str(caught.value)


GOOD: list[list[dict[str, Any]]] = [
    [{"role": "user", "content": "hi"}],
    [user({"type": "text", "text": "hi"}, image())],
    [user({"type": "text", "text": "hi"}), CALL, user(result(), {"type": "text", "text": "go"})],
    # consecutive user messages are one turn: results may be split across them
    [
        user({"type": "text", "text": "hi"}),
        CALL,
        user(result()),
        {"role": "user", "content": "and now?"},
    ],
    # a conversation may end in a tool call (nothing answers it yet)
    [user({"type": "text", "text": "hi"}), CALL],
    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Paris"}],
]


@pytest.mark.parametrize("messages", GOOD)
def test_valid_conversations_pass(messages: list[dict[str, Any]]) -> None:
    validate_messages(messages)


def test_refusal_happens_before_any_request(
    client: VertexClient, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(MessageValidationError):
        client.create(hello(messages=[{"role": "user", "content": ""}]))
    with pytest.raises(MessageValidationError):
        client.count_tokens(hello(messages=[user(result())]))
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []
