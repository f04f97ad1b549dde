"""The LlamaIndex floor: the least a LlamaIndex LLM on the raw SDK can be.

A ``CustomLLM`` that turns LlamaIndex's messages into the Messages API's by role and text,
calls the anthropic SDK's ``AnthropicVertex`` / ``AsyncAnthropicVertex`` and wraps the text.
``chat``, ``achat`` and ``stream_chat`` are its own, with LlamaIndex's callback decorators as
every LLM has, so async calls are really async (``CustomLLM``'s defaults would run them
through the sync completion path). ``ClaudeVertex`` is measured against it. Self-contained
(no package imports) so a cold-start child process can load it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

__all__ = ["FloorLLM"]

#: anthropic 2.x sends its own ``anthropic_version``; Vertex wants this one.
VERTEX_BODY = {"anthropic_version": "vertex-2023-10-16"}


def _text_deltas(events: Any) -> Iterator[str]:
    for event in events:
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            yield event.delta.text


def _answer(text: str, delta: str | None = None) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role="assistant", content=text), delta=delta)


class FloorLLM(CustomLLM):
    """A LlamaIndex LLM in a dozen lines: messages by role, the raw SDK, the text."""

    client: Any
    async_client: Any = None
    model: str
    max_tokens: int = 256

    @property
    def metadata(self) -> LLMMetadata:
        """What LlamaIndex asks of every LLM."""
        return LLMMetadata(model_name=self.model, is_chat_model=True)

    def _payload(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "extra_body": VERTEX_BODY,
            "messages": [{"role": m.role.value, "content": m.content} for m in messages],
        }

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """One answer from the raw SDK."""
        return _answer(self.client.messages.create(**self._payload(messages)).content[0].text)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """One answer from the raw async SDK."""
        answer = await self.async_client.messages.create(**self._payload(messages))
        return _answer(answer.content[0].text)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """The answer so far after each text delta, from the raw SDK's stream."""
        payload = self._payload(messages)

        def gen() -> ChatResponseGen:
            text = ""
            with self.client.messages.create(**payload, stream=True) as events:
                for delta in _text_deltas(events):
                    text += delta
                    yield _answer(text, delta)

        return gen()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """The async form of :meth:`stream_chat`."""
        payload = self._payload(messages)

        async def gen() -> ChatResponseAsyncGen:
            text = ""
            events = await self.async_client.messages.create(**payload, stream=True)
            async with events:
                async for event in events:
                    if event.type == "content_block_delta" and event.delta.type == "text_delta":
                        text += event.delta.text
                        yield _answer(text, event.delta.text)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """``prompt`` as one user message."""
        answer = self.chat([ChatMessage(role="user", content=prompt)])
        return CompletionResponse(text=str(answer.message.content))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """``prompt`` as one user message, streamed."""
        chat = self.stream_chat([ChatMessage(role="user", content=prompt)])
        return (CompletionResponse(text=str(r.message.content), delta=r.delta) for r in chat)
