"""One streamed answer, folded from the SDK's raw stream events into the message so far.

:class:`StreamAccumulator` is the stream bookkeeping both adapters share. Fed each
``RawMessageStreamEvent`` that :meth:`VertexClient.stream <claude_vertex.VertexClient.stream>`
(or ``astream``) yields, it keeps the content blocks (text with its citations, thinking with
its signature, redacted thinking, tool use and server tool use with their arguments parsed
from the partial JSON received so far, server tool results, and any block type this package
does not know yet), the usage, the stop reason and stop sequence. After ``message_stop``,
:meth:`StreamAccumulator.message` is the complete answer, equal to what the SDK's own
accumulation (``MessageStream.get_final_message``) gives for the same events, except that
tool arguments that are not JSON are tolerated (the SDK raises).

The text delta, nearly every event of a stream, costs a list append: text and thinking
pieces are joined into their block when :attr:`StreamAccumulator.content` or
:meth:`StreamAccumulator.message` is read (not once per delta, which copies the whole text
each time), and nothing is serialised per delta.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic
from anthropic.types import ContentBlock, Message, RawMessageStreamEvent

from .client import VertexMessage, blocks_started_after
from .cost import usage_cost
from .errors import StreamOrderError
from .tool_arguments import parse_tool_arguments
from .usage import UsageCounts, usage_counts

__all__ = ["StreamAccumulator"]

#: Block types whose ``input`` streams as ``input_json_delta`` (as the SDK tracks them).
TOOL_INPUT_BLOCKS = frozenset({"tool_use", "server_tool_use"})
#: The counts of a ``message_delta`` usage; cumulative, so each replaces the one before.
_DELTA_USAGE_FIELDS = (
    "output_tokens",
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
    "output_tokens_details",
)
#: pydantic's own ``model_construct`` (the SDK's override rebuilds every field, ~10x slower).
_construct = pydantic.BaseModel.model_construct.__func__  # type: ignore[attr-defined]


def _snapshot(message: Message) -> VertexMessage:
    """A ``VertexMessage`` copy of ``message_start``'s message that the stream may update.

    The fields the Messages API sent stay the set fields, so ``to_json()`` writes what it
    sent; blocks and usage are copied, never the event's own objects updated.
    """
    values = {**message.__dict__, **(message.__pydantic_extra__ or {})}
    values["usage"] = message.usage.model_copy()
    values["content"] = [block.model_copy() for block in message.content]
    snapshot: VertexMessage = _construct(VertexMessage, set(message.model_fields_set), **values)
    return snapshot


class StreamAccumulator:
    """The state of one streamed answer; feed it every event of the stream, in order.

    Args:
        region: the endpoint that answered (the stream's ``region``), set on the message.
        request_id: the request id Vertex sent, if any (the stream's ``request_id``), set as
            the message's ``_request_id`` as on a non-streamed answer.

    Attributes:
        message_id: the answer's id (from ``message_start``).
        model: the model that answered (from ``message_start``).
        usage: the token counts so far (``message_start``'s, updated by ``message_delta``).
        stop_reason: why the answer stopped (from ``message_delta``), else ``None``.
        stop_sequence: the stop sequence that ended the answer, if one did.
        finished: whether ``message_stop`` has arrived.
    """

    def __init__(self, *, region: str | None = None, request_id: str | None = None) -> None:
        self.region = region
        self.request_id = request_id
        self.message_id: str | None = None
        self.model: str | None = None
        self.usage = UsageCounts()
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.finished = False
        #: The message so far (from ``message_start``); its content list is ``_content``.
        self._message: VertexMessage | None = None
        self._content: list[ContentBlock] = []
        #: Text or thinking received for ``_open_block`` and not yet joined into it.
        self._pieces: list[str] = []
        self._open_block: Any = None
        self._open_field = ""
        #: The partial JSON received so far, by block index, of blocks in TOOL_INPUT_BLOCKS.
        self._json: dict[int, str] = {}

    def feed(self, event: RawMessageStreamEvent) -> None:
        """Take one event; events of types this package does not know are ignored.

        Raises:
            StreamOrderError: an event before ``message_start``, a block that starts out of
                turn, or a delta or stop for a block that never started.
        """
        if event.type == "content_block_delta":
            # The hot path: one event per token.
            content = self._content
            index = event.index
            blocks_started_after("content_block_delta", index, len(content))
            delta = event.delta
            block = content[index]
            if delta.type == "text_delta":
                if block.type == "text":
                    if block is not self._open_block:
                        self._open(block, "text")
                    self._pieces.append(delta.text)
                return
            handler = _DELTA_HANDLERS.get(delta.type)
            if handler is not None:
                handler(self, index, block, delta)
            return
        on_event = _EVENT_HANDLERS.get(event.type)
        if on_event is not None:
            on_event(self, event)

    @property
    def content(self) -> list[ContentBlock]:
        """The content blocks so far, as the SDK's block objects, updated in place.

        ``content[index]`` is the block a delta event's ``index`` names.
        """
        if self._pieces:
            self._join()
        return self._content

    @property
    def cost(self) -> float | None:
        """The answer's price so far in US dollars (final after ``message_stop``).

        From the usage so far, the model and the region that answered (see
        :func:`~claude_vertex.usage_cost`); ``None`` where one of them is unknown.
        """
        return usage_cost(self.usage, model=self.model, region=self.region)

    def message(self) -> VertexMessage:
        """The answer as one SDK message: complete after ``message_stop``, else a copy so far.

        Raises:
            StreamOrderError: no ``message_start`` has arrived.
        """
        snapshot = self._started("the message")
        if self._pieces:
            self._join()
        return snapshot if self.finished else snapshot.model_copy(deep=True)

    # -- text and thinking pieces ---------------------------------------------------------
    def _open(self, block: Any, field: str) -> None:
        """Make ``block`` the one pieces of ``field`` are gathered for."""
        if self._pieces:
            self._join()
        self._open_block = block
        self._open_field = field

    def _join(self) -> None:
        """Append the pieces gathered to their block's field."""
        text = "".join(self._pieces)
        self._pieces.clear()
        # Straight into the field's storage (pydantic's __setattr__ costs five times as much):
        # the SDK's models neither validate nor freeze assignments, and the field is set.
        self._open_block.__dict__[self._open_field] += text

    # -- events --------------------------------------------------------------------------
    def _started(self, what: str) -> VertexMessage:
        if self._message is None:
            raise StreamOrderError(
                f"The stream's events are out of order: {what} came before message_start. "
                "Vertex does not send such streams; check base_url and the network path, "
                "and call again."
            )
        return self._message

    def _on_message_start(self, event: Any) -> None:
        message = event.message
        snapshot = _snapshot(message)
        snapshot.vertex_region = self.region
        snapshot._request_id = self.request_id
        self._message = snapshot
        self.message_id = message.id
        self.model = message.model
        self._content = snapshot.content
        self.usage = usage_counts(snapshot.usage)

    def _on_block_start(self, event: Any) -> None:
        self._started("a content_block_start")
        blocks_started_after(event.type, event.index, len(self._content))
        self._content.append(event.content_block.model_copy())

    def _on_block_stop(self, event: Any) -> None:
        blocks_started_after(event.type, event.index, len(self._content))
        self._json.pop(event.index, None)

    def _on_message_delta(self, event: Any) -> None:
        snapshot = self._started("a message_delta")
        delta = event.delta
        snapshot.stop_reason = self.stop_reason = delta.stop_reason
        snapshot.stop_sequence = self.stop_sequence = delta.stop_sequence
        snapshot.stop_details = getattr(delta, "stop_details", None)
        container = getattr(delta, "container", None)
        if container is not None:
            snapshot.container = container
        usage = snapshot.usage
        for name in _DELTA_USAGE_FIELDS:
            value = getattr(event.usage, name, None)
            if value is not None:
                setattr(usage, name, value)
        self.usage = usage_counts(usage)

    def _on_message_stop(self, event: Any) -> None:
        self._started("message_stop")
        self.finished = True

    # -- deltas other than text ----------------------------------------------------------
    def _on_input_json(self, index: int, block: Any, delta: Any) -> None:
        if block.type not in TOOL_INPUT_BLOCKS:
            return
        text = self._json.get(index, "") + delta.partial_json
        self._json[index] = text
        arguments = parse_tool_arguments(text)
        if arguments is not None:  # else keep what the JSON so far held
            block.input = arguments

    def _on_thinking(self, index: int, block: Any, delta: Any) -> None:
        if block.type == "thinking":
            if block is not self._open_block:
                self._open(block, "thinking")
            self._pieces.append(delta.thinking)

    def _on_signature(self, index: int, block: Any, delta: Any) -> None:
        if block.type == "thinking":
            block.signature = delta.signature

    def _on_citation(self, index: int, block: Any, delta: Any) -> None:
        if block.type == "text":
            # A new list: a shallow copy of the start block may share the event's list.
            block.citations = [*(block.citations or ()), delta.citation]


_EVENT_HANDLERS: dict[str, Callable[[StreamAccumulator, Any], None]] = {
    "message_start": StreamAccumulator._on_message_start,
    "content_block_start": StreamAccumulator._on_block_start,
    "content_block_stop": StreamAccumulator._on_block_stop,
    "message_delta": StreamAccumulator._on_message_delta,
    "message_stop": StreamAccumulator._on_message_stop,
}
_DELTA_HANDLERS: dict[str, Callable[[StreamAccumulator, int, Any, Any], None]] = {
    "input_json_delta": StreamAccumulator._on_input_json,
    "thinking_delta": StreamAccumulator._on_thinking,
    "signature_delta": StreamAccumulator._on_signature,
    "citations_delta": StreamAccumulator._on_citation,
}
