"""The LangChain floor: the least a LangChain chat model on the raw SDK can be.

It turns LangChain's messages into the Messages API's by role and text, calls the anthropic
SDK's ``AnthropicVertex`` / ``AsyncAnthropicVertex``, and wraps the answer's text. What a call
through it costs over the raw SDK is LangChain's own machinery (callbacks, run managers,
tracing hooks, message classes), which no adapter can avoid; ``ChatClaudeVertex`` is measured
against it. Self-contained (no package imports) so a cold-start child process can load it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

__all__ = ["FloorChatModel"]

#: anthropic 2.x sends its own ``anthropic_version``; Vertex wants this one.
VERTEX_BODY = {"anthropic_version": "vertex-2023-10-16"}
_ROLES = {"human": "user", "ai": "assistant"}


def _text_deltas(events: Any) -> Iterator[str]:
    for event in events:
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            yield event.delta.text


class FloorChatModel(BaseChatModel):
    """A LangChain chat model in a dozen lines: messages by role, the raw SDK, the text."""

    client: Any
    async_client: Any = None
    model: str
    max_tokens: int = 256

    @property
    def _llm_type(self) -> str:
        return "raw-sdk-floor"

    def _payload(self, messages: Sequence[BaseMessage]) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "extra_body": VERTEX_BODY,
            "messages": [{"role": _ROLES[m.type], "content": m.content} for m in messages],
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        answer = self.client.messages.create(**self._payload(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(answer.content[0].text))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        answer = await self.async_client.messages.create(**self._payload(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(answer.content[0].text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self.client.messages.create(**self._payload(messages), stream=True) as events:
            for text in _text_deltas(events):
                yield ChatGenerationChunk(message=AIMessageChunk(content=text))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        events = await self.async_client.messages.create(**self._payload(messages), stream=True)
        async with events:
            async for event in events:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    yield ChatGenerationChunk(message=AIMessageChunk(content=event.delta.text))
