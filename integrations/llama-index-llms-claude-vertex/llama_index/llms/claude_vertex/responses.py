"""Messages API answers out, as LlamaIndex ``ChatResponse`` objects.

Content blocks map to LlamaIndex blocks: ``thinking`` to a ``ThinkingBlock`` keeping its
signature (so it can be replayed), ``redacted_thinking`` to a ``ThinkingBlock`` keeping its
data, adjacent ``text`` blocks to one ``TextBlock`` followed by a ``CitationBlock`` per
citation, ``tool_use`` to a ``ToolCallBlock``. Usage, stop reason, the region that answered,
the request id and ``cost_usd`` (the answer's price in US dollars from the model table,
``None`` where a price is unknown) go in ``ChatResponse.additional_kwargs``; ``raw`` is the
SDK message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anthropic.types import ContentBlock as ClaudeBlock
from anthropic.types import Message, TextCitation
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

from claude_vertex import COST_KEY, UsageCounts, usage_cost, usage_counts

from .utils import JSON, REDACTED_THINKING_KEY, SIGNATURE_KEY

__all__ = [
    "USAGE_FIELDS",
    "assistant_message",
    "chat_response",
    "content_blocks",
    "response_details",
    "usage_report",
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


def _citation(citation: TextCitation) -> CitationBlock:
    def field(name: str) -> Any:
        return getattr(citation, name, None)

    title = field("title") or field("document_title") or ""
    if citation.type in ("search_result_location", "web_search_result_location"):
        source = str(field("source") or field("url") or title)
    else:
        source = title or f"document {field('document_index') or 0}"
    return CitationBlock(
        cited_content=TextBlock(text=str(field("cited_text") or "")),
        source=source,
        title=str(title),
        additional_location_info={
            key: value
            for key in _LOCATION_FIELDS
            if isinstance(value := field(key), int) and not isinstance(value, bool)
        },
    )


def _tool_arguments(block: object) -> JSON:
    """A tool call's ``input`` (a copy), ``{}`` where it is missing or not an object."""
    arguments = getattr(block, "input", None)
    return dict(arguments) if isinstance(arguments, Mapping) else {}


def content_blocks(content: Sequence[ClaudeBlock]) -> list[ContentBlock]:
    """LlamaIndex blocks for the SDK's content blocks, in order.

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
        if block.type == "text":
            texts.append(str(block.text or ""))
            citations.extend(_citation(c) for c in block.citations or ())
            continue
        flush()
        if block.type == "thinking":
            blocks.append(
                ThinkingBlock(
                    content=str(block.thinking or ""),
                    additional_information={SIGNATURE_KEY: block.signature or ""},
                )
            )
        elif block.type == "redacted_thinking":
            blocks.append(
                ThinkingBlock(
                    content=None,
                    additional_information={REDACTED_THINKING_KEY: block.data},
                )
            )
        elif block.type == "tool_use":
            blocks.append(
                ToolCallBlock(
                    tool_call_id=str(block.id),
                    tool_name=str(block.name),
                    tool_kwargs=_tool_arguments(block),
                )
            )
    flush()
    return blocks


def assistant_message(
    content: Sequence[ClaudeBlock], *, blocks: list[ContentBlock] | None = None
) -> ChatMessage:
    """The assistant ``ChatMessage`` of the SDK's content blocks.

    Besides the blocks, ``additional_kwargs["tool_calls"]`` lists the tool calls as the
    Messages API wrote them (``id``, ``name``, ``input``), because parts of LlamaIndex (such
    as streamed structured output) look for tool calls there.

    Args:
        content: the answer's content blocks.
        blocks: ``content_blocks(content)``, when the caller has it already.
    """
    if blocks is None:
        blocks = content_blocks(content)
    message = ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)
    calls = [
        {"type": "tool_use", "id": block.id, "name": block.name, "input": _tool_arguments(block)}
        for block in content
        if block.type == "tool_use"
    ]
    if calls:
        message.additional_kwargs["tool_calls"] = calls
    return message


def usage_report(usage: UsageCounts) -> dict[str, int]:
    """The token counts ``additional_kwargs["usage"]`` reports (:data:`USAGE_FIELDS`)."""
    return {name: getattr(usage, name) for name in USAGE_FIELDS}


def response_details(
    *,
    usage: Mapping[str, int],
    stop_reason: str | None,
    stop_sequence: str | None,
    model: str | None,
    message_id: str | None,
    region: str | None,
    request_id: str | None,
    cost: float | None,
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
        COST_KEY: cost,
    }


def chat_response(message: Message, *, region: str | None, batch: bool = False) -> ChatResponse:
    """The ``ChatResponse`` of a complete (non-streamed) answer; ``raw`` is ``message``.

    ``batch``: the answer came from a batch prediction job (priced at batch prices).
    """
    usage = usage_counts(message.usage)
    return ChatResponse(
        message=assistant_message(message.content),
        raw=message,
        additional_kwargs=response_details(
            usage=usage_report(usage),
            stop_reason=message.stop_reason,
            stop_sequence=message.stop_sequence,
            model=message.model,
            message_id=message.id,
            region=region,
            request_id=getattr(message, "request_id", None),
            cost=usage_cost(usage, model=message.model, region=region, batch=batch),
        ),
    )
