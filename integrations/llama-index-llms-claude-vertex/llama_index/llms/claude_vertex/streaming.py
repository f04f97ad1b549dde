"""Stream events in, ``ChatResponse`` chunks out.

:class:`StreamAssembler` passes each SDK ``RawMessageStreamEvent`` to the core's
:class:`~claude_vertex.StreamAccumulator`, which keeps the answer so far, and makes the chunk
the event gives. Each text, thinking or tool-argument delta gives a chunk whose ``message``
is the whole answer so far (tool arguments parsed from the partial JSON received), whose
``delta`` is the new text, and whose ``additional_kwargs`` carry ``thinking_delta`` (where
LlamaIndex agents read it), the usage and its cost (``cost_usd``) so far, the region and the
request id.
``message_stop`` gives a last chunk whose ``raw`` is the complete message, the same kind of
object a non-streamed call returns.

Chunks cost little per delta: a text-only answer (the common case) becomes one
``TextBlock`` of its text, and otherwise the blocks up to the last finished block that is not
text are converted once and shared by the chunks after it (only the rest is converted for
each chunk).
"""

from __future__ import annotations

from typing import Any

from anthropic.types import ContentBlock as ClaudeBlock
from anthropic.types import RawMessageStreamEvent
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ContentBlock,
    MessageRole,
    TextBlock,
)

from claude_vertex import StreamAccumulator, VertexMessage

from .responses import assistant_message, content_blocks, response_details, usage_report

__all__ = ["StreamAssembler"]


def _plain_text(block: ClaudeBlock) -> bool:
    """Whether ``block`` is text without citations (a ``TextBlock`` and nothing more)."""
    return block.type == "text" and not block.citations


def _text(content: list[ClaudeBlock]) -> str:
    """The text of the answer's blocks, all of them text (usually one)."""
    if len(content) == 1:
        only = content[0]
        return only.text if only.type == "text" else ""
    return "".join(block.text for block in content if block.type == "text")


class StreamAssembler:
    """Builds ``ChatResponse`` chunks from the events of one streamed answer.

    Args:
        region: the endpoint that answered (``MessageStream.region``).
        request_id: the request id Vertex sent, if any (``MessageStream.request_id``).
    """

    def __init__(self, *, region: str | None, request_id: str | None) -> None:
        #: The answer so far.
        self.accumulator = StreamAccumulator(region=region, request_id=request_id)
        self._usage = usage_report(self.accumulator.usage)
        #: The cost of ``_usage`` (worked out when the usage changes, not per chunk).
        self._cost: float | None = None
        #: Every block so far is text without citations (``assistant_message``'s result is
        #: then one ``TextBlock`` of their text).
        self._text_only = True
        #: The LlamaIndex blocks of the first ``_converted`` content blocks, which end with a
        #: finished block that is not text (so no text joins across the boundary).
        self._blocks: list[ContentBlock] = []
        self._converted = 0

    def feed(self, event: RawMessageStreamEvent) -> ChatResponse | None:
        """Take one event; the chunk it gives, if any.

        Raises:
            StreamOrderError: a block that starts out of turn, or a delta or stop for a
                block that never started.
        """
        answer = self.accumulator
        answer.feed(event)
        if event.type == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                return self._chunk(delta=delta.text, raw=event)
            self._text_only = False
            if delta.type == "thinking_delta":
                return self._chunk(delta="", raw=event, thinking_delta=delta.thinking)
            if delta.type == "input_json_delta":
                return self._chunk(delta="", raw=event)
            return None
        if event.type == "content_block_start":
            self._text_only = self._text_only and _plain_text(event.content_block)
        elif event.type == "content_block_stop":
            self._finished(event.index)
        elif event.type == "message_start":
            self._text_only = all(_plain_text(block) for block in answer.content)
            self._usage_changed()
        elif event.type == "message_delta":
            self._usage_changed()
        elif event.type == "message_stop":
            return self._chunk(delta="", raw=answer.message())
        return None

    def _usage_changed(self) -> None:
        answer = self.accumulator
        self._usage = usage_report(answer.usage)
        self._cost = answer.cost

    def _finished(self, index: int) -> None:
        """Convert the blocks up to ``index`` once, if it ends a stretch of text."""
        content = self.accumulator.content
        if content[index].type == "text":
            return
        self._blocks += content_blocks(content[self._converted : index + 1])
        self._converted = index + 1

    def _chunk(self, *, delta: str, raw: Any, thinking_delta: str | None = None) -> ChatResponse:
        answer = self.accumulator
        details = response_details(
            usage=self._usage,
            stop_reason=answer.stop_reason,
            stop_sequence=answer.stop_sequence,
            model=answer.model,
            message_id=answer.message_id,
            region=answer.region,
            request_id=answer.request_id,
            cost=self._cost,
        )
        if thinking_delta is not None:
            details["thinking_delta"] = thinking_delta
        if self._text_only:
            # The common case, one text block or several: the message is their text, so
            # skip the general conversion (which costs more than the rest of a chunk).
            text = _text(answer.content)
            message = ChatMessage(role=MessageRole.ASSISTANT, blocks=[TextBlock(text=text)])
        else:
            rest = content_blocks(answer.content[self._converted :])
            message = assistant_message(answer.content, blocks=[*self._blocks, *rest])
        return ChatResponse(message=message, delta=delta, raw=raw, additional_kwargs=details)

    def message(self) -> VertexMessage:
        """The answer received so far as one SDK message (complete after ``message_stop``)."""
        return self.accumulator.message()
