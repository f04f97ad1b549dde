"""LlamaIndex chat messages in, Messages API ``system`` and ``messages`` out.

System messages become ``system`` text blocks; user, assistant and tool messages become
turns. Tool messages (``role="tool"`` with ``additional_kwargs["tool_call_id"]``) become
``tool_result`` blocks merged into the user turn that answers the assistant's tool calls.
Images and documents get a core :class:`~claude_vertex.MediaSource` as their source (their
bytes, or their URL, ``gs://`` URI or path, never read here); the core's media pipeline
(:func:`~claude_vertex.resolve_media`) reads and inlines them as base64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from claude_vertex import MediaSource, parse_tool_arguments
from claude_vertex.validation import nothing_to_send

from .utils import JSON, REDACTED_THINKING_KEY, SIGNATURE_KEY

__all__ = ["MessagesParams", "to_messages_params"]

_SYSTEM_ROLES = frozenset({MessageRole.SYSTEM, MessageRole.DEVELOPER})
_ASSISTANT_ROLES = frozenset({MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL})
_TOOL_ROLES = frozenset({MessageRole.TOOL, MessageRole.FUNCTION})
#: Blocks that may not carry ``cache_control``, so a cache point marks the block before them.
_UNCACHEABLE = frozenset({"thinking", "redacted_thinking"})
_FIVE_MINUTES = "5m"

MediaBlock = ImageBlock | DocumentBlock


@dataclass(frozen=True)
class MessagesParams:
    """The ``system`` blocks and ``messages`` turns of a Messages API request."""

    system: list[JSON]
    messages: list[JSON]

    def as_params(self) -> JSON:
        """The two as request parameters (``system`` only when there is one)."""
        params: JSON = {"messages": self.messages}
        if self.system:
            params["system"] = self.system
        return params


# --------------------------------------------------------------------------- conversion


@dataclass
class _Turn:
    role: str
    blocks: list[JSON] = field(default_factory=list)


class _Converter:
    """Walks the messages once, keeping the block a cache point refers to."""

    def __init__(self) -> None:
        self.system: list[JSON] = []
        self.turns: list[_Turn] = []
        #: The block the next cache point marks, per target (system or messages).
        self._cacheable: dict[str, JSON | None] = {"system": None, "messages": None}

    # -- cache points -----------------------------------------------------------------
    def _emitted(self, target: str, block: JSON) -> JSON:
        if block["type"] not in _UNCACHEABLE:
            self._cacheable[target] = block
        return block

    def _cache_point(self, target: str, point: CachePoint) -> None:
        control = point.cache_control
        block = self._cacheable[target]
        if block is not None:
            # The ttl is checked with the call's other parameters (the core's call policy).
            ttl = {"ttl": control.ttl} if control.ttl and control.ttl != _FIVE_MINUTES else {}
            block["cache_control"] = {"type": control.type or "ephemeral", **ttl}

    # -- messages ---------------------------------------------------------------------
    def add(self, message: ChatMessage) -> bool:
        """Convert one message; False if it holds nothing to send (only empty text)."""
        role = message.role
        if role in _SYSTEM_ROLES:
            self._add_system(message)
            return True
        if role in _TOOL_ROLES and message.additional_kwargs.get("tool_call_id"):
            turn, blocks = "user", [self._tool_result(message)]
        elif role in _ASSISTANT_ROLES:
            turn, blocks = "assistant", self._assistant_blocks(message)
        else:
            turn, blocks = "user", self._user_blocks(message)
        self._add_turn(turn, blocks)
        return bool(blocks)

    def _add_turn(self, role: str, blocks: list[JSON]) -> None:
        if not blocks:
            return
        if self.turns and self.turns[-1].role == role:
            self.turns[-1].blocks.extend(blocks)
        else:
            self.turns.append(_Turn(role, blocks))

    def _add_system(self, message: ChatMessage) -> None:
        for block in message.blocks:
            if isinstance(block, TextBlock):
                if block.text.strip():
                    self.system.append(
                        self._emitted("system", {"type": "text", "text": block.text})
                    )
            elif isinstance(block, CachePoint):
                self._cache_point("system", block)
            else:
                raise ValueError(
                    f"A system message holds text only (and cache points); got "
                    f"{type(block).__name__}. Put images and documents in a user message."
                )

    def _text(self, block: TextBlock) -> JSON | None:
        return {"type": "text", "text": block.text} if block.text.strip() else None

    def _media(self, block: MediaBlock, *, citations: bool = False) -> JSON:
        """An image or document block whose source the core reads later.

        A document holding an image is sent as an image, without the document's options.
        """
        if isinstance(block, ImageBlock):
            return {"type": "image", "source": _media_source(block)}
        converted: JSON = {"type": "document", "source": _media_source(block)}
        if block.title:
            converted["title"] = block.title
        if citations:
            converted["citations"] = {"enabled": True}
        return converted

    def _citable(self, block: CitableBlock) -> list[JSON]:
        """A citable source: its text as a ``search_result``, its documents with citations on."""
        texts = [
            {"type": "text", "text": b.text}
            for b in block.content
            if isinstance(b, TextBlock) and b.text.strip()
        ]
        converted: list[JSON] = []
        if texts:
            converted.append(
                {
                    "type": "search_result",
                    "source": block.source,
                    "title": block.title,
                    "content": texts,
                    "citations": {"enabled": True},
                }
            )
        for inner in block.content:
            if isinstance(inner, DocumentBlock):
                document = self._media(inner, citations=True)
                document.setdefault("title", block.title)
                converted.append(document)
            elif isinstance(inner, ImageBlock):
                converted.append(self._media(inner))
        return converted

    def _user_blocks(self, message: ChatMessage) -> list[JSON]:
        blocks: list[JSON] = []
        for block in message.blocks:
            converted: list[JSON] = []
            if isinstance(block, TextBlock):
                text = self._text(block)
                converted = [text] if text else []
            elif isinstance(block, (ImageBlock, DocumentBlock)):
                converted = [self._media(block)]
            elif isinstance(block, CitableBlock):
                converted = self._citable(block)
            elif isinstance(block, CachePoint):
                self._cache_point("messages", block)
            elif isinstance(block, (AudioBlock, VideoBlock)):
                raise ValueError(f"Claude does not accept {type(block).__name__}s.")
            elif isinstance(block, (ThinkingBlock, ToolCallBlock)):
                raise ValueError(
                    f"A {type(block).__name__} belongs in an assistant message, not a "
                    f"{message.role.value} message."
                )
            # A CitationBlock annotates an earlier answer; it is not content to send.
            blocks.extend(self._emitted("messages", b) for b in converted)
        return blocks

    def _assistant_blocks(self, message: ChatMessage) -> list[JSON]:
        blocks: list[JSON] = []
        for block in message.blocks:
            converted: JSON | None = None
            if isinstance(block, TextBlock):
                converted = self._text(block)
            elif isinstance(block, ThinkingBlock):
                converted = _thinking(block)
            elif isinstance(block, ToolCallBlock):
                converted = _tool_use(block.tool_call_id, block.tool_name, block.tool_kwargs)
            elif isinstance(block, CachePoint):
                self._cache_point("messages", block)
            elif not isinstance(block, CitationBlock):
                raise ValueError(
                    f"Claude does not accept {type(block).__name__}s in assistant messages."
                )
            if converted is not None:
                blocks.append(self._emitted("messages", converted))
        if not any(b["type"] == "tool_use" for b in blocks):
            blocks.extend(self._emitted("messages", b) for b in _legacy_tool_calls(message))
        return blocks

    def _tool_result(self, message: ChatMessage) -> JSON:
        result: JSON = {
            "type": "tool_result",
            "tool_use_id": str(message.additional_kwargs["tool_call_id"]),
        }
        content: list[JSON] = []
        cached = False
        for block in message.blocks:
            if isinstance(block, TextBlock):
                text = self._text(block)
                content.extend([text] if text else [])
            elif isinstance(block, (ImageBlock, DocumentBlock)):
                content.append(self._media(block))
            elif isinstance(block, CachePoint):
                cached = True
            else:
                raise ValueError(
                    f"A tool result holds text, images and documents; got {type(block).__name__}."
                )
        if content:
            result["content"] = content
        if isinstance(message.additional_kwargs.get("is_error"), bool):
            result["is_error"] = message.additional_kwargs["is_error"]
        self._emitted("messages", result)
        if cached:
            result["cache_control"] = {"type": "ephemeral"}
        return result

    # -- result -----------------------------------------------------------------------
    def result(self) -> MessagesParams:
        messages: list[JSON] = []
        for turn in self.turns:
            blocks = turn.blocks
            if turn.role == "user":
                # Tool results answer the previous turn and must lead the user turn.
                blocks = [b for b in blocks if b["type"] == "tool_result"] + [
                    b for b in blocks if b["type"] != "tool_result"
                ]
            messages.append({"role": turn.role, "content": blocks})
        return MessagesParams(self.system, messages)


def _document_type(declared: str | None) -> str | None:
    """A DocumentBlock's declared type as Claude takes it: text of any kind is plain text."""
    return "text/plain" if declared and declared.startswith("text/") else declared


def _media_source(block: MediaBlock) -> MediaSource:
    """Where the core reads a block's media: its bytes, else its URL or path (not read here).

    An ``ImageBlock`` must hold an image; a ``DocumentBlock`` holding one is sent as an image.

    Raises:
        ValueError: the block has no data, url or path.
    """
    image = isinstance(block, ImageBlock)
    if isinstance(block, ImageBlock) and block.image is not None:
        data = block.resolve_image(as_base64=False).read()
        return MediaSource(data=data, media_type=block.image_mimetype, image_only=True)
    if isinstance(block, DocumentBlock) and block.data is not None:
        data = block.resolve_document().read()
        return MediaSource(data=data, media_type=_document_type(block.document_mimetype))
    if block.url is not None:
        return MediaSource(str(block.url), image_only=image)
    if block.path is not None:
        return MediaSource(Path(block.path), image_only=image)
    raise ValueError(f"{type(block).__name__} has no data, url or path to read.")


def _thinking(block: ThinkingBlock) -> JSON | None:
    """The thinking block to replay, or ``None`` for thinking Claude did not sign."""
    info = block.additional_information
    redacted = info.get(REDACTED_THINKING_KEY)
    if isinstance(redacted, str) and redacted:
        return {"type": "redacted_thinking", "data": redacted}
    signature = info.get(SIGNATURE_KEY)
    if isinstance(signature, str) and signature and block.content is not None:
        return {"type": "thinking", "thinking": block.content, "signature": signature}
    return None


def _tool_use(tool_id: str | None, name: str, arguments: object) -> JSON:
    if not tool_id:
        raise ValueError(
            f"The call of tool {name!r} has no tool_call_id, so its result cannot be matched "
            "to it; keep the ids Claude gave."
        )
    if isinstance(arguments, str):
        arguments = parse_tool_arguments(arguments)
    if not isinstance(arguments, dict):
        raise ValueError(f"The arguments of tool {name!r} are not a JSON object.")
    return {"type": "tool_use", "id": tool_id, "name": name, "input": arguments}


def _legacy_tool_calls(message: ChatMessage) -> list[JSON]:
    """Tool calls kept in ``additional_kwargs["tool_calls"]`` by older integrations."""
    calls = message.additional_kwargs.get("tool_calls") or []
    converted: list[JSON] = []
    for call in calls if isinstance(calls, list) else []:
        data = call if isinstance(call, dict) else getattr(call, "__dict__", {})
        name = data.get("name") or data.get("tool_name")
        if name:
            converted.append(
                _tool_use(
                    data.get("id") or data.get("tool_id"),
                    str(name),
                    data.get("input", data.get("tool_kwargs", {})),
                )
            )
    return converted


def to_messages_params(
    messages: Sequence[ChatMessage],
    *,
    system_prompt: str | None = None,
) -> MessagesParams:
    """Convert LlamaIndex chat messages to Messages API ``system`` and ``messages`` (no I/O).

    Images and documents keep a :class:`~claude_vertex.MediaSource` as their source; pass
    the params through :func:`~claude_vertex.resolve_media` before sending them.

    Args:
        messages: the conversation, in order; system messages anywhere in it are collected
            into ``system``.
        system_prompt: used as the system prompt when the messages carry none.

    Raises:
        ValueError: a block Claude does not accept where it stands (audio, images in system
            messages, tool calls without ids, a cache ttl Vertex does not offer).
        MessageValidationError: (a ``ValueError``) messages that are all empty; the error
            names them.
    """
    converter = _Converter()
    if system_prompt and not any(m.role in _SYSTEM_ROLES for m in messages):
        converter.add(ChatMessage(role=MessageRole.SYSTEM, content=system_prompt))
    empty = [
        f"messages[{index}] ({message.role.value})"
        for index, message in enumerate(messages)
        if not converter.add(message)
    ]
    converted = converter.result()
    if not converted.messages and empty:
        raise nothing_to_send(empty)
    return converted
