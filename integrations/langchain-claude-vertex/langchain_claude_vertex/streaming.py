"""Stream events out, as LangChain ``AIMessageChunk`` objects.

Content arrives as blocks keyed by ``index`` so that adding chunks rebuilds Claude's blocks:
text, thinking (its signature included, so the gathered message replays), redacted thinking,
tool use (with ``tool_call_chunks`` for LangChain's tool-call parsing), server tool use and
citations. When a call can only answer text (no tools, no thinking, nothing to cite), chunks
carry plain strings instead, as chat models usually stream. Usage arrives exactly once, on
the last chunk, with the stop reason, the cost (``cost_usd``) and the rest of
``response_metadata``.
"""

from __future__ import annotations

from typing import Any

from anthropic.types import RawContentBlockDelta, RawMessageStreamEvent
from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from claude_vertex import COST_KEY, StreamAccumulator

from .responses import MODEL_PROVIDER, usage_metadata

__all__ = ["StreamConverter"]


class StreamConverter:
    """Turns one stream's events into chunks; one converter per stream.

    Each event goes to the core's :class:`~claude_vertex.StreamAccumulator` (the answer so
    far: ids, block types, usage, stop reason), then becomes the chunk of what it adds.

    Args:
        model_name: the Vertex model id the call went to.
        plain_text: send text deltas as plain strings (the call can only answer text).
        stream_usage: put ``usage_metadata`` on the last chunk.
        region: the endpoint that answered.
        request_id: Vertex's request id, if it sent one.
    """

    def __init__(
        self,
        *,
        model_name: str,
        plain_text: bool,
        stream_usage: bool,
        region: str | None,
        request_id: str | None,
    ) -> None:
        self.model_name = model_name
        self.plain_text = plain_text
        self.stream_usage = stream_usage
        #: The answer so far.
        self.accumulator = StreamAccumulator(region=region, request_id=request_id)
        #: Whether a chunk carried the cost: only one may, since LangChain cannot add up two
        #: floats when it gathers chunks (Vertex sends one ``message_delta``; a broken
        #: stream may send more).
        self._cost_sent = False

    def _chunk(self, content: str | list[Any] = "", **fields: Any) -> ChatGenerationChunk:
        metadata = {"model_provider": MODEL_PROVIDER, **fields.pop("response_metadata", {})}
        message = AIMessageChunk(
            content=content,
            id=self.accumulator.message_id,
            response_metadata=metadata,
            **fields,
        )
        return ChatGenerationChunk(message=message)

    def _empty(self) -> str | list[Any]:
        return "" if self.plain_text else []

    def convert(self, event: RawMessageStreamEvent) -> ChatGenerationChunk | None:
        """The chunk for one event, or ``None`` for events that add nothing."""
        self.accumulator.feed(event)
        if event.type == "content_block_delta":
            return self._block_delta(event.index, event.delta)
        if event.type == "message_start":
            return self._chunk(self._empty())
        if event.type == "content_block_start":
            return self._block_start(
                event.index, event.content_block.model_dump(mode="json", exclude_none=True)
            )
        if event.type == "message_delta":
            return self._last()
        return None

    def _block_start(self, index: int, block: dict[str, Any]) -> ChatGenerationChunk | None:
        kind = block["type"]
        if kind == "text":
            if self.plain_text:
                return None
            return self._chunk([{**block, "index": index}])
        if kind == "tool_use":
            start = {**block, "input": {}, "index": index}
            return self._chunk(
                [start],
                tool_call_chunks=[
                    tool_call_chunk(
                        name=block.get("name"), id=block.get("id"), args="", index=index
                    )
                ],
            )
        if kind == "thinking":
            start = {"type": "thinking", "thinking": block.get("thinking", ""), "index": index}
            if block.get("signature"):
                start["signature"] = block["signature"]
            return self._chunk([start])
        return self._chunk([{**block, "index": index}])

    def _block_delta(self, index: int, delta: RawContentBlockDelta) -> ChatGenerationChunk | None:
        if delta.type == "text_delta":
            if self.plain_text:
                return self._chunk(delta.text)
            return self._chunk([{"type": "text", "text": delta.text, "index": index}])
        if delta.type == "citations_delta":
            citation = delta.citation.model_dump(mode="json", exclude_none=True)
            return self._chunk([{"type": "text", "citations": [citation], "index": index}])
        if delta.type == "thinking_delta":
            return self._chunk([{"type": "thinking", "thinking": delta.thinking, "index": index}])
        if delta.type == "signature_delta":
            return self._chunk([{"type": "thinking", "signature": delta.signature, "index": index}])
        if delta.type == "input_json_delta":
            partial = delta.partial_json or ""
            content = [{"type": "input_json_delta", "partial_json": partial, "index": index}]
            if self.accumulator.content[index].type == "tool_use":
                return self._chunk(
                    content,
                    tool_call_chunks=[
                        tool_call_chunk(name=None, id=None, args=partial, index=index)
                    ],
                )
            return self._chunk(content)
        return None

    def _last(self) -> ChatGenerationChunk:
        answer = self.accumulator
        metadata: dict[str, Any] = {
            "id": answer.message_id,
            "model": answer.model,
            "model_name": self.model_name,
            "stop_reason": answer.stop_reason,
            "stop_sequence": answer.stop_sequence,
            "region": answer.region,
            "request_id": answer.request_id,
        }
        if not self._cost_sent:
            metadata[COST_KEY] = answer.cost
            self._cost_sent = True
        fields: dict[str, Any] = {"response_metadata": metadata, "chunk_position": "last"}
        if self.stream_usage:
            fields["usage_metadata"] = usage_metadata(answer.usage)
        return self._chunk(self._empty(), **fields)
