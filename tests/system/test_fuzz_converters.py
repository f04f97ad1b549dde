"""Fuzzing both adapters' message converters: no crash, and nothing given is lost.

Hypothesis draws abstract conversations (system prompts, user turns with text, images and
documents inline or by ``data:`` URL, assistant turns with tool calls, tool results with
text, images and documents, blank text here and there) and renders each in LangChain's and
LlamaIndex's message types. Each adapter's converter (called directly, no HTTP) must then:

* raise nothing but its documented errors, and only for input that deserves one: a system
  message after the start (LangChain) or nothing but blank text (both);
* produce a request the core's pre-flight check accepts;
* lose nothing: every non-blank text, tool call, tool result, image and document appears in
  the Messages API request, tool results with their content.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ToolCallBlock,
)

from claude_vertex import MessageValidationError, resolve_media, token_provider
from claude_vertex.validation import validate_messages
from langchain_claude_vertex.messages import resolve_prompt, to_prompt, tool_use_id
from llama_index.llms.claude_vertex.messages import to_messages_params

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Never asked for a token: every medium here is inline or a data: URL.
TOKENS = token_provider(access_token="unused-by-the-converters")

# --------------------------------------------------------------------------- the abstract form


@dataclass(frozen=True)
class Text:
    text: str

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class Image:
    data: bytes
    media_type: str
    by_url: bool

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode()}"


@dataclass(frozen=True)
class Document:
    data: bytes
    kind: Literal["pdf", "text"]
    by_url: bool

    @property
    def media_type(self) -> str:
        return "application/pdf" if self.kind == "pdf" else "text/plain"

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode()}"


Part = Text | Image | Document


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    id: str
    parts: tuple[Part, ...]
    is_error: bool


@dataclass(frozen=True)
class System:
    parts: tuple[Text, ...]


@dataclass(frozen=True)
class User:
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Assistant:
    parts: tuple[Text, ...]
    calls: tuple[ToolCall, ...]


@dataclass(frozen=True)
class Results:
    """The tool messages answering the assistant turn before them, one per call."""

    results: tuple[ToolResult, ...]


Turn = System | User | Assistant | Results


@dataclass(frozen=True)
class Conversation:
    turns: tuple[Turn, ...]

    @property
    def late_system(self) -> bool:
        """Whether a system message comes after a user or assistant message with content.

        Empty messages are left out before the conversation starts, so they do not start it.
        """
        seen = False
        for turn in self.turns:
            if isinstance(turn, System) and seen:
                return True
            seen = seen or holds_content(turn)
        return False

    @property
    def has_content(self) -> bool:
        """Whether anything but system messages holds something to send."""
        return any(holds_content(turn) for turn in self.turns)


def holds_content(turn: Turn) -> bool:
    """Whether a user, assistant or tool-result turn holds something to send."""
    if isinstance(turn, (User, Assistant)) and any(
        not isinstance(p, Text) or not p.blank for p in turn.parts
    ):
        return True
    return (isinstance(turn, Assistant) and bool(turn.calls)) or isinstance(turn, Results)


# --------------------------------------------------------------------------- strategies

texts = st.builds(
    Text,
    st.one_of(
        st.text(min_size=1, max_size=40), st.sampled_from(["", " ", "\n\t ", "trailing space  "])
    ),
)
payloads = st.binary(min_size=1, max_size=48)
images = st.builds(
    Image,
    st.tuples(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a"]), payloads).map(
        b"".join
    ),
    st.sampled_from(["image/png", "image/jpeg", "image/gif", "image/webp"]),
    st.booleans(),
)
documents = st.one_of(
    st.builds(
        Document, payloads.map(lambda data: b"%PDF-1.4\n" + data), st.just("pdf"), st.booleans()
    ),
    st.builds(
        Document,
        st.text(min_size=1, max_size=60).filter(str.strip).map(str.encode),
        st.just("text"),
        st.booleans(),
    ),
)
parts = st.one_of(texts, texts, images, documents)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
tool_names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_-]{0,20}", fullmatch=True)


@st.composite
def conversations(draw: st.DrawFn, *, valid_tool_ids: bool) -> Conversation:
    """An abstract conversation whose tool calls are all answered right after they are made."""
    prefixes = ["toolu_", "call_"] + ([] if valid_tool_ids else ["call:", "functions.x/"])
    counter = iter(range(10**6))
    turns: list[Turn] = []
    if draw(st.booleans()):
        turns.append(System(tuple(draw(st.lists(texts, min_size=1, max_size=2)))))
    turns.append(User(tuple(draw(st.lists(parts, min_size=1, max_size=3)))))
    for _ in range(draw(st.integers(0, 3))):
        calls = tuple(
            ToolCall(
                draw(st.sampled_from(prefixes)) + str(next(counter)),
                draw(tool_names),
                draw(st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=3)),
            )
            for _ in range(draw(st.integers(0, 2)))
        )
        turns.append(Assistant(tuple(draw(st.lists(texts, max_size=2))), calls))
        if calls:
            turns.append(
                Results(
                    tuple(
                        ToolResult(
                            call.id, tuple(draw(st.lists(parts, max_size=2))), draw(st.booleans())
                        )
                        for call in calls
                    )
                )
            )
        if draw(st.integers(0, 9)) == 0:  # now and then a system message out of place
            turns.append(System((draw(texts),)))
        # bool(): after `calls or`, mypy would infer the draw in the type context of calls.
        if bool(calls) or draw(st.booleans()):
            turns.append(User(tuple(draw(st.lists(parts, min_size=1, max_size=2)))))
    return Conversation(tuple(turns))


# --------------------------------------------------------------------------- what a request holds


@dataclass
class Found:
    """Everything a Messages API request carries that a conversation can give it."""

    texts: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    documents: list[bytes] = field(default_factory=list)
    tool_uses: list[tuple[str, str, Any]] = field(default_factory=list)
    tool_results: dict[str, Found] = field(default_factory=dict)
    errors: set[str] = field(default_factory=set)

    def add(self, block: Any) -> None:
        if isinstance(block, str):
            self.texts.append(block)
            return
        kind, source = block["type"], block.get("source", {})
        if kind == "text":
            self.texts.append(block["text"])
        elif kind == "image":
            self.images.append(base64.b64decode(source["data"]))
        elif kind == "document":
            self.documents.append(
                source["data"].encode()
                if source["type"] == "text"
                else base64.b64decode(source["data"])
            )
        elif kind == "tool_use":
            self.tool_uses.append((block["id"], block["name"], block["input"]))
        elif kind == "tool_result":
            inner = self.tool_results.setdefault(block["tool_use_id"], Found())
            content = block.get("content", [])
            for item in [content] if isinstance(content, str) else content:
                inner.add(item)
            if block.get("is_error"):
                self.errors.add(block["tool_use_id"])

    def has(self, part: Part) -> bool:
        if isinstance(part, Text):
            return part.blank or part.text.rstrip() in {t.rstrip() for t in self.texts}
        if isinstance(part, Image):
            return part.data in self.images
        return part.data in self.documents


def found_in(params: dict[str, Any]) -> Found:
    found = Found()
    system = params.get("system", [])
    for block in [system] if isinstance(system, str) else system:
        found.add(block)
    for message in params["messages"]:
        content = message["content"]
        for block in [content] if isinstance(content, str) else content:
            found.add(block)
    return found


def assert_nothing_lost(
    conversation: Conversation, params: dict[str, Any], tool_id: Any = str
) -> None:
    """Every part, call and result of ``conversation`` is in ``params``."""
    found = found_in(params)
    for turn in conversation.turns:
        if isinstance(turn, (System, User, Assistant)):
            for part in turn.parts:
                assert found.has(part), f"lost {part!r}"
        if isinstance(turn, Assistant):
            for call in turn.calls:
                assert (tool_id(call.id), call.name, call.args) in found.tool_uses, f"lost {call!r}"
        if isinstance(turn, Results):
            for result in turn.results:
                inner = found.tool_results.get(tool_id(result.id))
                assert inner is not None, f"lost {result!r}"
                for part in result.parts:
                    assert inner.has(part), f"lost {part!r} of {result!r}"
                assert result.is_error == (tool_id(result.id) in found.errors)


# --------------------------------------------------------------------------- LangChain


def langchain_part(part: Part, choice: int) -> Any:
    if isinstance(part, Text):
        return part.text if choice % 2 else {"type": "text", "text": part.text}
    encoded = base64.b64encode(part.data).decode()
    if isinstance(part, Image):
        if part.by_url:
            return (
                {"type": "image_url", "image_url": {"url": part.data_url()}}
                if choice % 2
                else {"type": "image", "url": part.data_url()}
            )
        return {"type": "image", "base64": encoded, "mime_type": part.media_type}
    if part.by_url:
        return {"type": "file", "url": part.data_url()}
    return {"type": "file", "base64": encoded, "mime_type": part.media_type}


def langchain_messages(conversation: Conversation) -> Iterator[BaseMessage]:
    for number, turn in enumerate(conversation.turns):
        if isinstance(turn, System):
            yield SystemMessage([langchain_part(p, 0) for p in turn.parts])
        elif isinstance(turn, User):
            yield HumanMessage([langchain_part(p, number + i) for i, p in enumerate(turn.parts)])
        elif isinstance(turn, Assistant):
            content = [langchain_part(p, number + i) for i, p in enumerate(turn.parts)]
            calls = [
                {"id": c.id, "name": c.name, "args": c.args, "type": "tool_call"}
                for c in turn.calls
            ]
            yield AIMessage(content, tool_calls=calls)
        else:
            for result in turn.results:
                only = result.parts[0] if len(result.parts) == 1 else None
                result_content: str | list[str | dict[Any, Any]] = (
                    only.text
                    if isinstance(only, Text)
                    else [langchain_part(p, 0) for p in result.parts]
                )
                yield ToolMessage(
                    result_content,
                    tool_call_id=result.id,
                    status="error" if result.is_error else "success",
                )


@FUZZ
@given(conversations(valid_tool_ids=False))
def test_langchain_converter_never_crashes_and_loses_nothing(conversation: Conversation) -> None:
    messages = list(langchain_messages(conversation))

    def convert() -> dict[str, Any]:
        return resolve_prompt(to_prompt(messages, keep_thinking=False), TOKENS)

    if conversation.late_system or not conversation.has_content:
        event("refused")
        with pytest.raises(MessageValidationError, match=r"messages\[\d+\]"):
            convert()
        return
    params = convert()
    validate_messages(params["messages"])
    assert_nothing_lost(conversation, params, tool_id=tool_use_id)
    json.dumps(params)  # the request is plain JSON


# --------------------------------------------------------------------------- LlamaIndex


def llama_index_bytes(data: bytes) -> bytes:
    """``data`` as LlamaIndex's blocks take it without ambiguity.

    LlamaIndex itself treats bytes that happen to be valid base64 (a text file saying
    ``0000``) as already encoded and decodes them; such data is passed encoded, which is
    what that rule expects.
    """
    try:
        base64.b64decode(data, validate=True)
    except binascii.Error:
        return data
    return base64.b64encode(data)


def llama_index_block(part: Part) -> ContentBlock:
    if isinstance(part, Text):
        return TextBlock(text=part.text)
    if isinstance(part, Image):
        return (
            ImageBlock(url=part.data_url())
            if part.by_url
            else ImageBlock(image=llama_index_bytes(part.data), image_mimetype=part.media_type)
        )
    return (
        DocumentBlock(url=part.data_url())
        if part.by_url
        else DocumentBlock(data=llama_index_bytes(part.data), document_mimetype=part.media_type)
    )


def llama_index_messages(conversation: Conversation) -> Iterator[ChatMessage]:
    for turn in conversation.turns:
        if isinstance(turn, System):
            yield ChatMessage(role="system", blocks=[llama_index_block(p) for p in turn.parts])
        elif isinstance(turn, User):
            yield ChatMessage(role="user", blocks=[llama_index_block(p) for p in turn.parts])
        elif isinstance(turn, Assistant):
            calls = [
                ToolCallBlock(tool_call_id=c.id, tool_name=c.name, tool_kwargs=c.args)
                for c in turn.calls
            ]
            yield ChatMessage(
                role="assistant", blocks=[*(llama_index_block(p) for p in turn.parts), *calls]
            )
        else:
            for result in turn.results:
                yield ChatMessage(
                    role="tool",
                    blocks=[llama_index_block(p) for p in result.parts],
                    additional_kwargs={"tool_call_id": result.id, "is_error": result.is_error},
                )


@FUZZ
@given(conversations(valid_tool_ids=True))
def test_llama_index_converter_never_crashes_and_loses_nothing(conversation: Conversation) -> None:
    messages = list(llama_index_messages(conversation))

    def convert() -> dict[str, Any]:
        return resolve_media(to_messages_params(messages).as_params())

    if not conversation.has_content:
        event("refused")
        with pytest.raises(MessageValidationError, match=r"messages\[\d+\]"):
            convert()
        return
    params = convert()
    validate_messages(params["messages"])
    assert_nothing_lost(conversation, params)  # late system messages are collected too
    json.dumps(params)
