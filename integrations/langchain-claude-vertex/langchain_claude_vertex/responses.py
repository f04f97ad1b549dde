"""A Messages API answer out, as LangChain's ``AIMessage`` with usage and metadata.

``response_metadata`` carries ``model_name`` (the Vertex model id), ``model_provider``
(``"anthropic"``, so LangChain's v1 content blocks translate Claude's content), the stop
reason, the region that answered, Vertex's request id and ``cost_usd``: the answer's price
in US dollars from the model table (``None`` where a price is unknown). ``usage_metadata``
counts cached input in ``input_tokens`` (as LangChain defines it) and details it in
``input_token_details``; reasoning tokens appear in ``output_token_details`` where Vertex
reports them.
"""

from __future__ import annotations

from typing import Any

from anthropic.types import Message
from langchain_core.messages import AIMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call
from langchain_core.outputs import ChatGeneration, ChatResult

from claude_vertex import COST_KEY, UsageCounts, usage_cost, usage_counts

__all__ = ["MODEL_PROVIDER", "chat_result", "usage_metadata"]

#: What LangChain's content-block translators know Claude's content by.
MODEL_PROVIDER = "anthropic"


def usage_metadata(usage: UsageCounts) -> UsageMetadata:
    """LangChain usage from Claude's: cached input included in ``input_tokens``."""
    cache_read = usage.cache_read_input_tokens
    cache_creation = usage.cache_creation_input_tokens
    input_tokens = usage.input_tokens + cache_read + cache_creation
    metadata = UsageMetadata(
        input_tokens=input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=input_tokens + usage.output_tokens,
        input_token_details=InputTokenDetails(cache_read=cache_read, cache_creation=cache_creation),
    )
    if usage.thinking_tokens is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage.thinking_tokens)
    return metadata


def content_blocks(message: Message) -> list[dict[str, Any]]:
    """The answer's content blocks as plain dicts (``None`` fields left out)."""
    return [block.model_dump(mode="json", exclude_none=True) for block in message.content]


def chat_result(
    message: Message,
    *,
    model_name: str,
    region: str | None,
    request_id: str | None,
    batch: bool = False,
) -> ChatResult:
    """The ``ChatResult`` of one answer.

    Args:
        message: the SDK's message.
        model_name: the Vertex model id the call went to.
        region: the endpoint that answered.
        request_id: Vertex's request id, if it sent one.
        batch: the answer came from a batch prediction job (priced at batch prices).
    """
    blocks = content_blocks(message)
    content: str | list[str | dict[str, Any]]
    if len(blocks) == 1 and blocks[0]["type"] == "text" and not blocks[0].get("citations"):
        content = blocks[0]["text"]
    else:
        content = list(blocks)
    calls = [
        tool_call(name=b["name"], args=b.get("input") or {}, id=b["id"])
        for b in blocks
        if b["type"] == "tool_use"
    ]
    usage = usage_counts(message.usage)
    metadata: dict[str, Any] = {
        "id": message.id,
        "model": message.model,
        "model_name": model_name,
        "model_provider": MODEL_PROVIDER,
        "stop_reason": message.stop_reason,
        "stop_sequence": message.stop_sequence,
        "usage": message.usage.model_dump(mode="json", exclude_none=True),
        "region": region,
        "request_id": request_id,
        COST_KEY: usage_cost(usage, model=message.model, region=region, batch=batch),
    }
    ai_message = AIMessage(
        content=content,
        tool_calls=calls,
        usage_metadata=usage_metadata(usage),
        response_metadata=metadata,
        id=message.id,
    )
    return ChatResult(
        generations=[ChatGeneration(message=ai_message)],
        llm_output={"id": message.id, "model_name": model_name},
    )
