"""Messages API answers out, as LlamaIndex ``ChatResponse`` objects.

Content blocks map to LlamaIndex blocks: ``thinking`` to a ``ThinkingBlock`` keeping its
signature (so it can be replayed), ``redacted_thinking`` to a ``ThinkingBlock`` keeping its
data, adjacent ``text`` blocks to one ``TextBlock`` followed by a ``CitationBlock`` per
citation, ``tool_use`` to a ``ToolCallBlock``. Usage, stop reason, the region that answered
and the request id go in ``ChatResponse.additional_kwargs``; ``raw`` is the SDK message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anthropic.types import Message
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    ContentBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from .utils import JSON, REDACTED_THINKING_KEY, SIGNATURE_KEY

__all__ = [
    "USAGE_FIELDS",
    "assistant_message",
    "chat_response",
    "content_blocks",
    "response_details",
    "usage_counts",
]

#: The token counts reported under ``additional_kwargs["usage"]``.
USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
#: Citation location fields kept in ``CitationBlock.additional_location_info``.
_LOCATION_FIELDS = (
    "document_index",
    "start_char_index",
    "end_char_index",
    "start_page_number",
    "end_page_number",
    "start_block_index",
    "end_block_index",
    "search_result_index",
)


def _citation(citation: Mapping[str, Any]) -> CitationBlock:
    title = citation.get("title") or citation.get("document_title") or ""
    if citation.get("type") in ("search_result_location", "web_search_result_location"):
        source = str(citation.get("source") or citation.get("url") or title)
    else:
        source = title or f"document {citation.get('document_index', 0)}"
    return CitationBlock(
        cited_content=TextBlock(text=str(citation.get("cited_text") or "")),
        source=source,
        title=str(title),
        additional_location_info={
            key: value
            for key in _LOCATION_FIELDS
            if isinstance(value := citation.get(key), int) and not isinstance(value, bool)
        },
    )


def content_blocks(content: Sequence[Mapping[str, Any]]) -> list[ContentBlock]:
    """LlamaIndex blocks for Messages API content blocks (as JSON objects), in order.

    Adjacent text blocks join into one ``TextBlock`` (Claude splits cited answers into many),
    followed by their citations. Server-tool blocks have no LlamaIndex form and are left to
    ``raw``.
    """
    blocks: list[ContentBlock] = []
    texts: list[str] = []
    citations: list[CitationBlock] = []

    def flush() -> None:
        if texts:
            blocks.append(TextBlock(text="".join(texts)))
            blocks.extend(citations)
            texts.clear()
            citations.clear()

    for block in content:
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text") or ""))
            citations.extend(_citation(c) for c in block.get("citations") or ())
            continue
        flush()
        if kind == "thinking":
            blocks.append(
                ThinkingBlock(
                    content=str(block.get("thinking") or ""),
                    additional_information={SIGNATURE_KEY: block.get("signature") or ""},
                )
            )
        elif kind == "redacted_thinking":
            blocks.append(
                ThinkingBlock(
                    content=None,
                    additional_information={REDACTED_THINKING_KEY: block.get("data")},
                )
            )
        elif kind == "tool_use":
            arguments = block.get("input")
            blocks.append(
                ToolCallBlock(
                    tool_call_id=str(block.get("id")),
                    tool_name=str(block.get("name")),
                    tool_kwargs=dict(arguments) if isinstance(arguments, Mapping) else {},
                )
            )
    flush()
    return blocks


def assistant_message(content: Sequence[Mapping[str, Any]]) -> ChatMessage:
    """The assistant ``ChatMessage`` of Messages API content blocks (as JSON objects).

    Besides the blocks, ``additional_kwargs["tool_calls"]`` lists the tool calls as the
    Messages API wrote them (``id``, ``name``, ``input``), because parts of LlamaIndex (such
    as streamed structured output) look for tool calls there.
    """
    message = ChatMessage(role=MessageRole.ASSISTANT, blocks=content_blocks(content))
    calls = [
        {
            "type": "tool_use",
            "id": block.get("id"),
            "name": block.get("name"),
            "input": block.get("input") or {},
        }
        for block in content
        if block.get("type") == "tool_use"
    ]
    if calls:
        message.additional_kwargs["tool_calls"] = calls
    return message


def usage_counts(usage: object) -> dict[str, int]:
    """The four token counts of an SDK ``Usage`` (or JSON usage), absent ones as 0."""

    def get(name: str) -> object:
        return usage.get(name) if isinstance(usage, Mapping) else getattr(usage, name, None)

    return {name: value if isinstance(value := get(name), int) else 0 for name in USAGE_FIELDS}


def response_details(
    *,
    usage: Mapping[str, int],
    stop_reason: str | None,
    stop_sequence: str | None,
    model: str | None,
    message_id: str | None,
    region: str | None,
    request_id: str | None,
) -> JSON:
    """What ``ChatResponse.additional_kwargs`` reports about one answer."""
    return {
        "usage": dict(usage),
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "model": model,
        "message_id": message_id,
        "region": region,
        "request_id": request_id,
    }


def chat_response(message: Message, *, region: str | None) -> ChatResponse:
    """The ``ChatResponse`` of a complete (non-streamed) answer; ``raw`` is ``message``."""
    content = [block.model_dump(mode="json") for block in message.content]
    return ChatResponse(
        message=assistant_message(content),
        raw=message,
        additional_kwargs=response_details(
            usage=usage_counts(message.usage),
            stop_reason=message.stop_reason,
            stop_sequence=message.stop_sequence,
            model=message.model,
            message_id=message.id,
            region=region,
            request_id=getattr(message, "request_id", None),
        ),
    )
