"""LangChain messages in, Messages API ``system`` and ``messages`` out.

Conversion runs in two steps. :func:`to_prompt` turns the messages into Messages API blocks
without any I/O; images and documents given by reference (``http(s)://``, ``gs://``,
``data:``, ``file://`` URLs) get a core :class:`~claude_vertex.MediaSource` as their source.
:func:`resolve_prompt` (or :func:`aresolve_prompt`, which reads concurrently) then hands the
params to the core's media pipeline (:func:`~claude_vertex.resolve_media`), which reads them
and inlines them as base64, because Vertex does not fetch URL sources. ``file://`` URLs are
refused unless the model names the directories they may read from (``local_media_dirs``).

Accepted content: text; LangChain standard ``image``/``file``/``text-plain`` blocks (base64,
URL); OpenAI ``image_url`` and ``file`` shapes; native Anthropic blocks (``image``,
``document``, ``search_result``, ``tool_use``, ``tool_result``, ``thinking``...), passed
through; ``ToolMessage`` (string or list content, ``status="error"`` -> ``is_error``);
``cache_control`` on blocks, in a block's ``extras``, or in a message's
``additional_kwargs``. The Messages API has no participant names, so ``message.name`` is not
sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from claude_vertex import (
    MediaSource,
    MessageValidationError,
    TokenProvider,
    aresolve_media,
    parse_tool_arguments,
    resolve_media,
)
from claude_vertex.media import LocalDirs
from claude_vertex.media_sources import has_deferred_source
from claude_vertex.media_types import DOCUMENT_OPTIONS, IMAGE_MEDIA_TYPES
from claude_vertex.validation import nothing_to_send

__all__ = [
    "Prompt",
    "aresolve_prompt",
    "resolve_prompt",
    "to_prompt",
    "tool_use_id",
]

Block = dict[str, Any]
Role = Literal["user", "assistant"]

#: What the Messages API accepts as a tool-use id.
_TOOL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
#: The block type of a LangChain standard media block, by its kind.
_MEDIA_KINDS = {"image": "image", "file": "document"}
#: Content types Claude cannot read, by the kind of media they hold.
_UNSUPPORTED_MEDIA = {"audio": "audio", "input_audio": "audio", "video": "video"}
_NO_FILES_API = (
    "Claude on Vertex AI has no Files API, so file ids cannot be sent; pass the file's "
    "bytes (base64), a URL, a gs:// URI or a local path instead."
)


@dataclass
class Prompt:
    """A conversation as Messages API ``system`` and ``messages``, media still by reference."""

    system: list[Block] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def may_cite(self) -> bool:
        """Whether the prompt holds documents or search results (so answers may cite)."""
        return any(
            has_deferred_source(item) or item.get("type") in ("document", "search_result")
            for item in self._items()
        )

    def _items(self) -> Iterator[Block]:
        """Every block of the messages (nested ones in tool results included)."""
        for message in self.messages:
            for item in message["content"]:
                yield item
                if isinstance(item.get("content"), list):
                    yield from item["content"]

    def mark_last_block(self, cache_control: Mapping[str, Any]) -> None:
        """Put ``cache_control`` on the last block of the last message (a cache breakpoint)."""
        if self.messages and self.messages[-1]["content"]:
            _set_cache_control(self.messages[-1]["content"], -1, dict(cache_control))

    def params(self) -> dict[str, Any]:
        """``system`` and ``messages`` params, media still as ``MediaSource`` sources."""
        params: dict[str, Any] = {
            "messages": [{"role": m["role"], "content": list(m["content"])} for m in self.messages],
        }
        if self.system:
            params["system"] = self.system
        return params


# --------------------------------------------------------------------------- helpers


def _set_cache_control(items: list[Block], index: int, cache_control: dict[str, Any]) -> None:
    items[index] = {**items[index], "cache_control": cache_control}


def _extras(block: Mapping[str, Any]) -> Mapping[str, Any]:
    """LangChain's ``extras`` of a standard block (provider options such as cache_control)."""
    extras = block.get("extras")
    return extras if isinstance(extras, Mapping) else {}


def _cache_control(block: Mapping[str, Any]) -> dict[str, Any] | None:
    """A block's ``cache_control``, also from LangChain's ``extras`` convention."""
    extras = _extras(block)
    value = block.get("cache_control") or extras.get("cache_control")
    return dict(value) if isinstance(value, Mapping) else None


def _with_cache_control(block: Block, source: Mapping[str, Any]) -> Block:
    cache_control = _cache_control(source)
    if cache_control is not None:
        block["cache_control"] = cache_control
    return block


def _document_options(block: Mapping[str, Any]) -> dict[str, Any]:
    extras = _extras(block)
    options = {key: block.get(key, extras.get(key)) for key in DOCUMENT_OPTIONS}
    title = options.get("title") or block.get("filename") or extras.get("filename")
    options["title"] = title
    return {key: value for key, value in options.items() if value is not None}


def tool_use_id(raw: str) -> str:
    """``raw`` as a valid Messages API tool-use id (other providers' ids may not be).

    Valid ids pass unchanged; others are made valid deterministically, so a ``tool_use`` and
    the ``tool_result`` answering it still match.
    """
    if _TOOL_ID.fullmatch(raw):
        return raw
    digest = hashlib.sha256(raw.encode()).hexdigest()[:12]
    return re.sub(r"[^a-zA-Z0-9_-]", "_", raw)[:48] + "_" + digest


def _by_reference(
    kind: str, reference: str, raw: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> Block:
    """A ``kind`` block whose media the core reads from ``reference`` before the call."""
    block: Block = {
        "type": kind,
        "source": MediaSource(reference),
        **(_document_options(raw) if options is None else options),
    }
    return _with_cache_control(block, raw)


def _data_url(data: str, mime_type: str | None) -> str:
    return f"data:{mime_type or ''};base64,{data}"


def _text_document(text: str, block: Mapping[str, Any]) -> Block:
    document: Block = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": text},
        **_document_options(block),
    }
    return _with_cache_control(document, block)


def _decoded_text(data: str) -> str:
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValueError(
            "A text/plain file block holds data that is not base64 UTF-8 text."
        ) from None


def _media_block(block: Mapping[str, Any], kind: Literal["image", "file"]) -> Block:
    """A LangChain standard (v1) or v0 data block for an image or file."""
    source_type = block.get("source_type")
    mime_type = block.get("mime_type")
    if block.get("file_id") or source_type == "id":
        raise ValueError(_NO_FILES_API)
    if "base64" in block or source_type == "base64":
        data = str(block.get("base64") or block.get("data") or "")
        if kind == "image" and mime_type in IMAGE_MEDIA_TYPES:
            image: Block = {
                "type": "image",
                "source": {"type": "base64", "media_type": mime_type, "data": data},
            }
            return _with_cache_control(image, block)
        if kind == "file" and mime_type == "application/pdf":
            pdf: Block = {
                "type": "document",
                "source": {"type": "base64", "media_type": mime_type, "data": data},
                **_document_options(block),
            }
            return _with_cache_control(pdf, block)
        if kind == "file" and mime_type == "text/plain":
            return _text_document(_decoded_text(data), block)
        return _by_reference(_MEDIA_KINDS[kind], _data_url(data, mime_type), block)
    if "url" in block or source_type == "url":
        return _by_reference(_MEDIA_KINDS[kind], str(block.get("url")), block)
    if source_type == "text" or (kind == "file" and isinstance(block.get("text"), str)):
        return _text_document(str(block.get("text", "")), block)
    raise ValueError(
        f"Cannot read this {kind} block: it has no base64 data or url (keys: {sorted(block)})."
    )


def _openai_file(block: Mapping[str, Any]) -> Block:
    """OpenAI's ``{"type": "file", "file": {"filename", "file_data" | "file_id"}}``."""
    file = block["file"]
    if file.get("file_id"):
        raise ValueError(_NO_FILES_API)
    data = file.get("file_data")
    if not isinstance(data, str):
        raise ValueError("An OpenAI-style file block needs file.file_data.")
    options = {"title": file["filename"]} if file.get("filename") else {}
    reference = data if data.startswith("data:") else _data_url(data, "application/pdf")
    return _by_reference("document", reference, block, options)


def _native_with_source(block: Mapping[str, Any]) -> Block:
    """A native Anthropic ``image`` or ``document`` block; URL sources are fetched here."""
    source = block.get("source")
    cleaned = _clean(block)
    if isinstance(source, Mapping) and source.get("type") == "url":
        options = {k: v for k, v in cleaned.items() if k in DOCUMENT_OPTIONS}
        return _by_reference(str(block.get("type")), str(source.get("url")), block, options)
    if isinstance(source, Mapping) and source.get("type") == "file":
        raise ValueError(_NO_FILES_API)
    return cleaned


def _clean(block: Mapping[str, Any], *, drop: Sequence[str] = ()) -> Block:
    """A copy without LangChain bookkeeping (``index``, ``extras``...) and ``None`` values."""
    cleaned = {
        k: v for k, v in block.items() if k not in ("index", "extras", *drop) and v is not None
    }
    return _with_cache_control(cleaned, block)


def _text_block(text: str, source: Mapping[str, Any] | None = None) -> Block | None:
    if not text.strip():
        return None
    block: Block = {"type": "text", "text": text}
    return _with_cache_control(block, source) if source is not None else block


# --------------------------------------------------------------------------- user content


def _text_item(raw: Mapping[str, Any]) -> Block | None:
    """A ``text`` block (``None`` when blank); citations are output metadata, not replayed."""
    return _text_block(str(raw.get("text", "")), raw)


def _user_image(raw: Mapping[str, Any]) -> Block:
    """A native Anthropic ``image`` (with a ``source``) or a LangChain image block."""
    if "source" in raw:
        return _native_with_source(raw)
    return _media_block(raw, "image")


def _user_document(raw: Mapping[str, Any]) -> Block:
    """A native Anthropic ``document``; without a ``source`` it is passed through."""
    if "source" in raw:
        return _native_with_source(raw)
    return _clean(raw)


def _user_file(raw: Mapping[str, Any]) -> Block:
    """An OpenAI-style file block (a ``file`` mapping) or a LangChain file block."""
    if isinstance(raw.get("file"), Mapping):
        return _openai_file(raw)
    return _media_block(raw, "file")


def _text_plain(raw: Mapping[str, Any]) -> Block:
    """A LangChain ``text-plain`` block: inline text, or plain-text data read like a file."""
    if isinstance(raw.get("text"), str):
        return _text_document(raw["text"], raw)
    return _media_block({**raw, "mime_type": raw.get("mime_type", "text/plain")}, "file")


def _image_url(raw: Mapping[str, Any]) -> Block:
    """OpenAI's ``{"type": "image_url", "image_url": {"url": ...}}`` (or a bare url string)."""
    image_url = raw.get("image_url")
    url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
    return _by_reference("image", str(url), raw, {})


def _user_non_standard(raw: Mapping[str, Any]) -> Block | None:
    """LangChain's ``non_standard`` wrapper: its ``value`` converted, else passed through."""
    value = raw.get("value")
    if isinstance(value, Mapping):
        return _user_item(value)
    return _clean(raw)


def _tool_result(raw: Mapping[str, Any]) -> Block:
    """A native ``tool_result`` block, its content converted like user content."""
    block = _clean(raw, drop=("content",))
    block["tool_use_id"] = tool_use_id(str(raw.get("tool_use_id", "")))
    content = raw.get("content")
    if isinstance(content, list):
        block["content"] = _user_items(content)
    elif isinstance(content, str) and content:
        block["content"] = content
    return block


#: User content converters by block type; any other type is passed through cleaned.
_USER_CONVERTERS: dict[str, Callable[[Mapping[str, Any]], Block | None]] = {
    "text": _text_item,
    "image": _user_image,
    "document": _user_document,
    "file": _user_file,
    "text-plain": _text_plain,
    "image_url": _image_url,
    "tool_result": _tool_result,
    "non_standard": _user_non_standard,
}


def _user_item(raw: object) -> Block | None:
    """One content item of a user turn (or of a tool result) as a Messages API block."""
    if isinstance(raw, str):
        return _text_block(raw)
    if not isinstance(raw, Mapping):
        raise ValueError(f"Content blocks must be strings or dicts, not {type(raw).__name__}.")
    kind = raw.get("type")
    if kind in _UNSUPPORTED_MEDIA:
        raise ValueError(
            f"Claude on Vertex AI does not accept {_UNSUPPORTED_MEDIA[kind]} "
            "input; send text, images or documents (PDF, plain text)."
        )
    convert = _USER_CONVERTERS.get(kind) if isinstance(kind, str) else None
    return (convert or _clean)(raw)


def _user_items(content: str | list[Any]) -> list[Block]:
    raw_items = [content] if isinstance(content, str) else content
    return [item for item in map(_user_item, raw_items) if item is not None]


def _tool_message(message: ToolMessage) -> Block:
    block: Block = {"type": "tool_result", "tool_use_id": tool_use_id(message.tool_call_id)}
    content = message.content
    if isinstance(content, list):
        items = _user_items(content)
        if items:
            block["content"] = items
    elif content:
        block["content"] = content
    if message.status == "error":
        block["is_error"] = True
    return block


# --------------------------------------------------------------------------- assistant content


def _partial_input(block: Mapping[str, Any]) -> dict[str, Any]:
    """A tool-use input, also from a streamed block's accumulated ``partial_json``."""
    value = block.get("input")
    if isinstance(value, dict) and value:
        return value
    partial = block.get("partial_json")
    if isinstance(partial, str) and partial:
        return parse_tool_arguments(partial) or {}
    return value if isinstance(value, dict) else {}


def _thinking(raw: Mapping[str, Any]) -> Block | None:
    """A ``thinking`` block, replayed only with its signature."""
    if not raw.get("signature"):
        return None
    return {
        "type": "thinking",
        "thinking": str(raw.get("thinking", "")),
        "signature": raw["signature"],
    }


def _redacted_thinking(raw: Mapping[str, Any]) -> Block | None:
    """A ``redacted_thinking`` block, replayed only with its data."""
    if not raw.get("data"):
        return None
    return {"type": "redacted_thinking", "data": raw["data"]}


def _reasoning(raw: Mapping[str, Any]) -> Block | None:
    """LangChain's v1 ``reasoning`` block as a ``thinking`` block, replayed only if signed."""
    signature = raw.get("signature") or _extras(raw).get("signature")
    if not signature:
        return None
    return {"type": "thinking", "thinking": str(raw.get("reasoning", "")), "signature": signature}


def _not_replayed(raw: Mapping[str, Any]) -> None:
    """Nothing: streamed and invalid tool calls; ``build`` adds them from the call lists."""
    return None


def _server_tool_use_block(raw: Mapping[str, Any], tool_input: dict[str, Any]) -> Block:
    """A ``server_tool_use`` block with the block's id and name."""
    return {
        "type": "server_tool_use",
        "id": raw.get("id"),
        "name": raw.get("name"),
        "input": tool_input,
    }


def _server_tool_use(raw: Mapping[str, Any]) -> Block:
    """A native ``server_tool_use`` block (its input possibly streamed as partial JSON)."""
    return _server_tool_use_block(raw, _partial_input(raw))


def _server_tool_call(raw: Mapping[str, Any]) -> Block:
    """LangChain's v1 ``server_tool_call`` block as a ``server_tool_use`` block."""
    args = raw.get("args")
    return _server_tool_use_block(raw, args if isinstance(args, dict) else {})


def _server_tool_result(raw: Mapping[str, Any]) -> Block:
    """LangChain's v1 ``server_tool_result`` block as the native result block it came from."""
    return {
        "type": _extras(raw).get("block_type", "web_search_tool_result"),
        "tool_use_id": raw.get("tool_call_id"),
        "content": raw.get("output", []),
    }


def _clean_assistant(raw: Mapping[str, Any]) -> Block:
    """Any other assistant block, passed through without a streamed ``partial_json``."""
    return _clean(raw, drop=("partial_json",))


#: Block types that hold thinking, replayed only when the call thinks.
_THINKING_TYPES = ("thinking", "redacted_thinking", "reasoning")
#: Assistant content converters that need no state of the turn, by block type.
_ASSISTANT_CONVERTERS: dict[str, Callable[[Mapping[str, Any]], Block | None]] = {
    "text": _text_item,
    "thinking": _thinking,
    "redacted_thinking": _redacted_thinking,
    "reasoning": _reasoning,
    "tool_call_chunk": _not_replayed,
    "input_json_delta": _not_replayed,
    "invalid_tool_call": _not_replayed,
    "server_tool_use": _server_tool_use,
    "server_tool_call": _server_tool_call,
    "server_tool_result": _server_tool_result,
}


class _AssistantTurn:
    """Builds the content of one assistant message from an ``AIMessage``."""

    def __init__(self, message: AIMessage, *, keep_thinking: bool) -> None:
        self.message = message
        self.keep_thinking = keep_thinking
        self.calls = {call["id"]: call for call in message.tool_calls if call.get("id")}
        self.placed: set[str] = set()
        self.blocks: list[Block] = []

    def build(self) -> list[Block]:
        content = self.message.content
        for raw in [content] if isinstance(content, str) else content:
            block = self._block(raw)
            if block is not None:
                self.blocks.append(block)
        for call in self.message.tool_calls:
            if call.get("id") not in self.placed:
                self._add_tool_use(str(call.get("id")), call["name"], call["args"])
        for invalid in self.message.invalid_tool_calls:
            call_id = invalid.get("id")
            if call_id and call_id not in self.placed:
                self._add_tool_use(
                    call_id,
                    str(invalid.get("name") or ""),
                    _partial_input({"partial_json": invalid.get("args")}),
                )
        return self.blocks

    def _add_tool_use(self, call_id: str, name: str, args: Mapping[str, Any]) -> None:
        self.placed.add(call_id)
        self.blocks.append(
            {"type": "tool_use", "id": tool_use_id(call_id), "name": name, "input": dict(args)}
        )

    def _tool_use(self, call_id: str | None, fallback: Mapping[str, Any]) -> Block | None:
        """The ``tool_use`` for a call: from ``tool_calls`` when it is there (parsed args)."""
        if call_id is None or call_id in self.placed:
            return None
        self.placed.add(call_id)
        call = self.calls.get(call_id)
        name = call["name"] if call else str(fallback.get("name", ""))
        args = call["args"] if call else _partial_input(fallback)
        return {"type": "tool_use", "id": tool_use_id(call_id), "name": name, "input": args}

    def _block(self, raw: object) -> Block | None:
        """One content item of the turn as a Messages API block (``None`` to leave it out)."""
        if isinstance(raw, str):
            return _text_block(raw)
        if not isinstance(raw, Mapping):
            raise ValueError(f"Content blocks must be strings or dicts, not {type(raw).__name__}.")
        kind = raw.get("type")
        if kind in _THINKING_TYPES and not self.keep_thinking:
            return None
        if kind in ("tool_use", "tool_call"):
            return self._tool_use(
                raw.get("id"), {**raw, "input": raw.get("input", raw.get("args"))}
            )
        if kind == "non_standard" and isinstance(raw.get("value"), Mapping):
            return self._block(raw["value"])
        # Types are strings; anything else (even unhashable) is passed through like unknown ones.
        convert = _ASSISTANT_CONVERTERS.get(kind) if isinstance(kind, str) else None
        return (convert or _clean_assistant)(raw)


# --------------------------------------------------------------------------- conversation


def _role_of(message: BaseMessage) -> Role | Literal["system"]:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, (HumanMessage, ToolMessage)):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ChatMessage):
        roles: dict[str, Role | Literal["system"]] = {
            "user": "user",
            "human": "user",
            "assistant": "assistant",
            "ai": "assistant",
            "system": "system",
            "developer": "system",
        }
        if message.role in roles:
            return roles[message.role]
    raise ValueError(
        f"Cannot send a {type(message).__name__} (role "
        f"{getattr(message, 'role', message.type)!r}) to Claude."
    )


def _content_of(message: BaseMessage, role: str, keep_thinking: bool) -> list[Block]:
    if isinstance(message, ToolMessage):
        items: list[Block] = [_tool_message(message)]
    elif role == "assistant" and isinstance(message, AIMessage):
        items = list(_AssistantTurn(message, keep_thinking=keep_thinking).build())
    else:
        items = _user_items(message.content)
    cache_control = message.additional_kwargs.get("cache_control")
    if items and isinstance(cache_control, Mapping):
        _set_cache_control(items, -1, dict(cache_control))
    return items


def to_prompt(messages: Sequence[BaseMessage], *, keep_thinking: bool) -> Prompt:
    """Convert LangChain messages to a :class:`Prompt` (no I/O).

    Leading system messages become ``system`` blocks; consecutive messages of one role are
    merged into one turn, as the Messages API would. ``keep_thinking`` keeps the thinking
    blocks of earlier assistant turns: the call has thinking on, so they are replayed
    (required to continue a tool loop). With thinking off they are left out: the model
    cannot use them, and a signature made by another deployment would fail validation.

    Raises:
        MessageValidationError: (a ``ValueError``) a system message after the conversation
            has started, or messages that are all empty; the error names the message.
        ValueError: content Claude does not accept (audio, video, file ids), or an unknown
            message type.
    """
    prompt = Prompt()
    empty: list[str] = []  # messages left out because they hold no content
    for index, message in enumerate(messages):
        role = _role_of(message)
        if role == "system":
            if prompt.messages:
                raise MessageValidationError(
                    f"messages[{index}] is a {type(message).__name__} after the conversation "
                    "has started: Claude takes system instructions only at the start of the "
                    "conversation. Move it to the front."
                )
            prompt.system.extend(_system_blocks(message))
            continue
        items = _content_of(message, role, keep_thinking)
        if not items:
            empty.append(f"messages[{index}] ({type(message).__name__})")
            continue
        if prompt.messages and prompt.messages[-1]["role"] == role:
            prompt.messages[-1]["content"].extend(items)
        else:
            prompt.messages.append({"role": role, "content": items})
    if not prompt.messages and empty:
        raise nothing_to_send(empty)
    return prompt


def _system_blocks(message: BaseMessage) -> list[Block]:
    blocks: list[Block] = []
    for item in _user_items(message.content):
        if has_deferred_source(item):
            raise ValueError(
                "System messages take text only; put images and documents in a HumanMessage."
            )
        blocks.append(item)
    cache_control = message.additional_kwargs.get("cache_control")
    if blocks and isinstance(cache_control, Mapping):
        blocks[-1] = {**blocks[-1], "cache_control": dict(cache_control)}
    return blocks


# --------------------------------------------------------------------------- media


def resolve_prompt(
    prompt: Prompt, tokens: TokenProvider, local_dirs: LocalDirs = ()
) -> dict[str, Any]:
    """``system`` and ``messages`` params, each referenced medium read once and inlined.

    Args:
        prompt: the conversation, media still by reference.
        tokens: the credentials that read ``gs://`` objects (the model's own).
        local_dirs: the directories ``file://`` URLs may read from; none by default.

    Raises:
        MediaError: a reference that cannot be read or holds a type Claude does not read
            (a ``file://`` URL outside ``local_dirs`` included); the error names the message
            and block it is in.
    """
    return resolve_media(prompt.params(), tokens=tokens, local_dirs=local_dirs)


async def aresolve_prompt(
    prompt: Prompt, tokens: TokenProvider, local_dirs: LocalDirs = ()
) -> dict[str, Any]:
    """The async form of :func:`resolve_prompt`; references are read concurrently."""
    return await aresolve_media(prompt.params(), tokens=tokens, local_dirs=local_dirs)
