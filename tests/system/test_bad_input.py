"""Bad input through both adapters is refused before any I/O, with an error that says where.

Malformed conversations name the message and block at fault; hostile region, project, model
and base URL strings are refused by the models' constructors. In every case the emulator
sees no request at all, not even for a token.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
)

from claude_vertex import ClaudeVertexError, ConfigurationError, MediaError
from claude_vertex.media_types import MAX_IMAGE_BYTES
from claude_vertex.testing import VertexEmulator
from langchain_claude_vertex import ChatClaudeVertex
from llama_index.llms.claude_vertex import ClaudeVertex

MODEL = "claude-sonnet-4-5"
Mode = Literal["sync", "async", "stream"]
MODES: tuple[Mode, ...] = ("sync", "async", "stream")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
#: One byte more than Vertex accepts, with a PNG's signature.
HUGE_PNG = PNG + b"\x00" * (MAX_IMAGE_BYTES + 1 - len(PNG))
BMP = b"BM" + b"\x00" * 60
ZIP = b"PK\x03\x04" + b"\x00" * 26


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def langchain_call(place: dict[str, Any], messages: list[BaseMessage], mode: Mode) -> None:
    chat = ChatClaudeVertex(model=MODEL, **{**place, "credentials": str(place["credentials"])})
    if mode == "sync":
        chat.invoke(messages)
    elif mode == "stream":
        list(chat.stream(messages))
    else:
        asyncio.run(chat.ainvoke(messages))


def llama_index_call(place: dict[str, Any], messages: list[ChatMessage], mode: Mode) -> None:
    llm = ClaudeVertex(MODEL, **place)
    if mode == "sync":
        llm.chat(messages)
    elif mode == "stream":
        list(llm.stream_chat(messages))
    else:
        asyncio.run(llm.achat(messages))


def nothing_sent(emulator: VertexEmulator) -> bool:
    return emulator.requests == [] and emulator.token_requests == []


# --------------------------------------------------------------------------- conversations


@dataclass(frozen=True)
class Malformed:
    """One malformed conversation, in each adapter's form, and what its error must say."""

    name: str
    langchain: list[BaseMessage]
    llama_index: list[ChatMessage]
    error: type[ClaudeVertexError]
    #: Texts the error must hold, per adapter: the place (message, block) and the problem.
    langchain_says: tuple[str, ...]
    llama_index_says: tuple[str, ...]


def user(*blocks: Any) -> ChatMessage:
    return ChatMessage(role="user", blocks=list(blocks))


MALFORMED = [
    Malformed("no messages", [], [], ConfigurationError, ("non-empty list",), ("non-empty list",)),
    Malformed(
        "a tool result with no tool call",
        [HumanMessage("hi"), ToolMessage("42", tool_call_id="toolu_orphan")],
        [
            ChatMessage(role="user", content="hi"),
            ChatMessage(
                role="tool", content="42", additional_kwargs={"tool_call_id": "toolu_orphan"}
            ),
        ],
        ConfigurationError,
        ("messages[0] (user), content[1] (tool_result)", "'toolu_orphan'", "answers no tool_use"),
        ("messages[0] (user), content[0] (tool_result)", "'toolu_orphan'", "answers no tool_use"),
    ),
    Malformed(
        "only empty text",
        [HumanMessage(""), HumanMessage([{"type": "text", "text": "  \n"}])],
        [ChatMessage(role="user", content=""), user(TextBlock(text="  \n"))],
        ConfigurationError,
        ("messages[0] (HumanMessage), messages[1] (HumanMessage) are empty",),
        ("messages[0] (user), messages[1] (user) are empty",),
    ),
    Malformed(
        "an image larger than Vertex accepts",
        [
            HumanMessage(
                ["Look:", {"type": "image", "base64": b64(HUGE_PNG), "mime_type": "image/png"}]
            )
        ],
        [user(TextBlock(text="Look:"), ImageBlock(image=HUGE_PNG, image_mimetype="image/png"))],
        ClaudeVertexError,  # MessageValidationError (LangChain), MediaError (LlamaIndex)
        ("messages[0] (user), content[1] (image)", "5,242,880"),
        ("messages[0] (user), content[1] (image)", "5,242,880"),
    ),
    Malformed(
        "an image given by URL larger than Vertex accepts",
        [
            HumanMessage(
                [
                    "Look:",
                    {
                        "type": "image_url",
                        "image_url": {"url": f"data:image/png;base64,{b64(HUGE_PNG)}"},
                    },
                ]
            )
        ],
        [user(TextBlock(text="Look:"), ImageBlock(url=f"data:image/png;base64,{b64(HUGE_PNG)}"))],
        MediaError,
        ("messages[0] (user), content[1]", "5,242,880"),
        ("messages[0] (user), content[1] (image)", "5,242,880"),
    ),
    Malformed(
        "an unsupported image type",
        [HumanMessage(["Look:", {"type": "image", "base64": b64(BMP), "mime_type": "image/bmp"}])],
        [user(TextBlock(text="Look:"), ImageBlock(image=BMP, image_mimetype="image/bmp"))],
        MediaError,
        ("messages[0] (user), content[1]", "'image/bmp'"),
        ("messages[0] (user), content[1] (image)", "'image/bmp'"),
    ),
    Malformed(
        "an unsupported document type",
        [
            HumanMessage("Read this:"),
            AIMessage("Send it."),
            HumanMessage(
                [
                    {"type": "text", "text": "here"},
                    {"type": "file", "base64": b64(ZIP), "mime_type": "application/zip"},
                ]
            ),
        ],
        [
            ChatMessage(role="user", content="Read this:"),
            ChatMessage(role="assistant", content="Send it."),
            user(
                TextBlock(text="here"), DocumentBlock(data=ZIP, document_mimetype="application/zip")
            ),
        ],
        MediaError,
        ("messages[2] (user), content[1]", "'application/zip'"),
        ("messages[2] (user), content[1] (document)", "'application/zip'"),
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", MALFORMED, ids=lambda case: case.name)
def test_langchain_refuses_a_malformed_conversation_naming_its_place(
    case: Malformed, mode: Mode, place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(case.error) as caught:
        langchain_call(place, case.langchain, mode)
    for text in case.langchain_says:
        assert text in str(caught.value)
    assert nothing_sent(vertex_emulator)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", MALFORMED, ids=lambda case: case.name)
def test_llama_index_refuses_a_malformed_conversation_naming_its_place(
    case: Malformed, mode: Mode, place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(case.error) as caught:
        llama_index_call(place, case.llama_index, mode)
    for text in case.llama_index_says:
        assert text in str(caught.value)
    assert nothing_sent(vertex_emulator)


@pytest.mark.parametrize("mode", MODES)
def test_langchain_refuses_a_system_message_mid_conversation_naming_it(
    mode: Mode, place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    conversation = [
        SystemMessage("Be brief."),
        HumanMessage("hi"),
        AIMessage("Hello!"),
        SystemMessage("Now be rude."),
    ]
    with pytest.raises(ConfigurationError, match=r"messages\[3\] is a SystemMessage after"):
        langchain_call(place, conversation, mode)
    assert nothing_sent(vertex_emulator)


def test_llama_index_collects_system_messages_from_anywhere_in_order(
    place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    """LlamaIndex's convention, kept: every system message becomes a system block, in order.

    Agents prepend their system prompt to a chat history that may hold a system message of
    its own, so refusing late ones would break them; nothing is lost or reordered.
    """
    llama_index_call(
        place,
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="user", content="hi"),
            ChatMessage(role="assistant", content="Hello!"),
            ChatMessage(role="system", content="Now be kind."),
            ChatMessage(role="user", content="again"),
        ],
        "sync",
    )
    body = vertex_emulator.requests[0].body
    assert body["system"] == [
        {"type": "text", "text": "Be brief."},
        {"type": "text", "text": "Now be kind."},
    ]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]


def test_empty_text_between_messages_is_left_out_not_refused(
    place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    """Empty text fails only when nothing is left.

    An assistant message with only tool calls, or an empty string, is ordinary in both
    frameworks; the adapters leave such text out.
    """
    langchain_call(place, [HumanMessage("one"), AIMessage(""), HumanMessage("two")], "sync")
    llama_index_call(
        place,
        [
            ChatMessage(role="user", content="one"),
            ChatMessage(role="assistant", content=""),
            ChatMessage(role="user", content="two"),
        ],
        "sync",
    )
    for request in vertex_emulator.requests:
        assert request.body["messages"] == [
            {
                "role": "user",
                "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
            }
        ]


# --------------------------------------------------------------------------- hostile strings

HOSTILE: list[tuple[str, str]] = [
    ("region", "us-\u0435ast5"),  # Cyrillic e
    ("region", "us-east5%2F..%2Fx"),
    ("region", "us-east5@evil.example"),
    ("region", "evil.example:443"),
    ("region", "us-east5.evil.example"),
    ("project", "my-pr\u043eject"),  # Cyrillic o
    ("project", "my-project%2F..%2Fx"),
    ("project", "evil@my-project"),
    ("project", "my-project:rawPredict"),
    ("model", "\u0441laude-sonnet-4-5"),  # Cyrillic c
    ("model", "claude-sonnet-4-5%2F..%2Fx"),
    ("model", "claude-sonnet-4-5:streamRawPredict"),
    ("model", "claude-sonnet-4-5/../../x"),
    ("base_url", "https://user:secret@aiplatform.googleapis.com/v1"),
    ("base_url", "https://aiplatform.googleapis.com@evil.example/v1"),
    ("base_url", "http://evil.example/v1"),
    ("base_url", "http://localhost.evil.example/v1"),
    ("base_url", "http://127.0.0.1.nip.io/v1"),
    ("base_url", "https://aiplatform.g\u043eogleapis.com/v1"),
    ("base_url", "https://aiplatform.googleapis.com/v1/%2e%2e/x"),
    ("base_url", "https://aiplatform.googleapis.com:443%2F@evil.example/v1"),
]


def build(adapter: str, overrides: dict[str, str], place: dict[str, Any]) -> object:
    options = {**place, **overrides}
    model = options.pop("model", MODEL)
    if adapter == "langchain":
        return ChatClaudeVertex(
            model=model, **{**options, "credentials": str(options["credentials"])}
        )
    return ClaudeVertex(model, **options)


@pytest.mark.parametrize("adapter", ["langchain", "llama_index"])
@pytest.mark.parametrize(("field", "value"), HOSTILE)
def test_hostile_strings_are_refused_by_the_constructors(
    adapter: str,
    field: str,
    value: str,
    place: dict[str, Any],
    vertex_emulator: VertexEmulator,
) -> None:
    with pytest.raises(ConfigurationError, match=field.replace("_", ".?")):
        build(adapter, {field: value}, place)
    assert nothing_sent(vertex_emulator)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8080/v1",
        "http://localhost:8080/v1",
        "http://[::1]:8080/v1",
        "https://proxy.example/v1",
    ],
)
@pytest.mark.parametrize("adapter", ["langchain", "llama_index"])
def test_loopback_http_and_any_https_base_url_are_accepted(
    adapter: str, base_url: str, place: dict[str, Any], vertex_emulator: VertexEmulator
) -> None:
    build(adapter, {"base_url": base_url}, place)
    assert nothing_sent(vertex_emulator)
