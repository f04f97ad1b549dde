"""Stream events in, ``ChatResponse`` chunks out.

:class:`StreamAssembler` folds the SDK's ``RawMessageStreamEvent`` objects into the answer
so far. Each text, thinking or tool-argument delta gives a chunk whose ``message`` is the
whole answer so far (tool arguments parsed from the partial JSON received), whose ``delta``
is the new text, and whose ``additional_kwargs`` carry ``thinking_delta`` (where LlamaIndex
agents read it), the usage so far, the region and the request id. ``message_stop`` gives a
last chunk whose ``raw`` is the complete message, the same object a non-streamed call
returns.
"""

from __future__ import annotations

import json
from typing import Any

from anthropic.types import (
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawMessageStreamEvent,
)
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, TextBlock
from llama_index.core.llms.utils import parse_partial_json

from claude_vertex import VertexMessage
from claude_vertex.client import blocks_started_after

from .responses import assistant_message, response_details, usage_counts
from .utils import JSON

__all__ = ["StreamAssembler"]


def _partial_arguments(partial: str) -> JSON:
    if not partial.strip():
        return {}
    try:
        parsed = parse_partial_json(partial)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _plain_text(block: JSON) -> bool:
    """Whether ``block`` is text without citations (a ``TextBlock`` and nothing more)."""
    return block.get("type") == "text" and not block.get("citations")


class StreamAssembler:
    """Builds ``ChatResponse`` chunks from the events of one streamed answer.

    Args:
        region: the endpoint that answered (``MessageStream.region``).
        request_id: the request id Vertex sent, if any (``MessageStream.request_id``).
    """

    def __init__(self, *, region: str | None, request_id: str | None) -> None:
        self.region = region
        self.request_id = request_id
        self._message: JSON = {}
        self._content: list[JSON] = []
        self._partial_json: dict[int, str] = {}
        self._usage: dict[str, int] = usage_counts({})
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        #: Every block so far is text without citations (``assistant_message``'s result is
        #: then one ``TextBlock``).
        self._text_only = True
        #: All the text so far, while ``_text_only``.
        self._text = ""

    def feed(self, event: RawMessageStreamEvent) -> ChatResponse | None:
        """Take one event; the chunk it gives, if any.

        Raises:
            StreamOrderError: a block that starts out of turn, or a delta or stop for a
                block that never started.
        """
        if event.type == "message_start":
            self._message = event.message.model_dump(mode="json")
            self._usage = usage_counts(event.message.usage)
            self._content = [block.model_dump(mode="json") for block in event.message.content]
            self._text_only = all(_plain_text(block) for block in self._content)
            self._text = "".join(block.get("text") or "" for block in self._content)
            return None
        if event.type == "content_block_start":
            self._start(event)
            return None
        if event.type == "content_block_delta":
            blocks_started_after(event.type, event.index, len(self._content))
            return self._delta(event.index, event)
        if event.type == "content_block_stop":
            blocks_started_after(event.type, event.index, len(self._content))
            if event.index in self._partial_json:
                text = self._partial_json.pop(event.index)
                self._content[event.index]["input"] = json.loads(text) if text.strip() else {}
            return None
        if event.type == "message_delta":
            self._stop_reason = event.delta.stop_reason
            self._stop_sequence = event.delta.stop_sequence
            counts = event.usage.model_dump()
            self._usage.update(
                {k: v for k, v in usage_counts(counts).items() if counts.get(k) is not None}
            )
            return None
        if event.type == "message_stop":
            return self._chunk(delta="", raw=self.message())
        return None

    def _start(self, event: RawContentBlockStartEvent) -> None:
        blocks_started_after(event.type, event.index, len(self._content))
        block = event.content_block.model_dump(mode="json")
        if block.get("type") == "tool_use":
            block["input"] = {}
            self._partial_json[event.index] = ""
        if not _plain_text(block):
            self._text_only = False
        elif self._text_only:
            self._text += block.get("text") or ""
        self._content.append(block)

    def _delta(self, index: int, event: RawContentBlockDeltaEvent) -> ChatResponse | None:
        block = self._content[index]
        delta = event.delta
        if delta.type == "text_delta":
            block["text"] = block.get("text", "") + delta.text
            if self._text_only:
                self._text += delta.text
            return self._chunk(delta=delta.text, raw=event)
        self._text_only = False
        if delta.type == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.thinking
            return self._chunk(delta="", raw=event, thinking_delta=delta.thinking)
        if delta.type == "signature_delta":
            block["signature"] = delta.signature
            return None
        if delta.type == "input_json_delta":
            self._partial_json[index] = self._partial_json.get(index, "") + delta.partial_json
            block["input"] = _partial_arguments(self._partial_json[index])
            return self._chunk(delta="", raw=event)
        if delta.type == "citations_delta":
            block["citations"] = [
                *(block.get("citations") or []),
                delta.citation.model_dump(mode="json"),
            ]
            return None
        return None

    def _chunk(self, *, delta: str, raw: Any, thinking_delta: str | None = None) -> ChatResponse:
        details = response_details(
            usage=self._usage,
            stop_reason=self._stop_reason,
            stop_sequence=self._stop_sequence,
            model=self._message.get("model"),
            message_id=self._message.get("id"),
            region=self.region,
            request_id=self.request_id,
        )
        if thinking_delta is not None:
            details["thinking_delta"] = thinking_delta
        if self._text_only:
            # The common case, one text block or several: the message is their text, so
            # skip the general conversion (which costs more than the rest of a chunk).
            message = ChatMessage(role=MessageRole.ASSISTANT, blocks=[TextBlock(text=self._text)])
        else:
            message = assistant_message(self._content)
        return ChatResponse(
            message=message,
            delta=delta,
            raw=raw,
            additional_kwargs=details,
        )

    def message(self) -> VertexMessage:
        """The answer received so far as one SDK message (complete after ``message_stop``)."""
        message = VertexMessage.model_validate(
            {
                **self._message,
                "content": self._content,
                "stop_reason": self._stop_reason,
                "stop_sequence": self._stop_sequence,
                "usage": {**(self._message.get("usage") or {}), **self._usage},
            }
        )
        message.vertex_region = self.region
        return message
