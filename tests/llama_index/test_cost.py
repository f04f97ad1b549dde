"""Cost per call on ClaudeVertex: ``additional_kwargs["cost_usd"]`` and a pipeline's total.

Expected dollars are computed by hand from each answer's usage (``sonnet_4_5_dollars``), not
from the package's model table; a query pipeline's total is checked against the sum of the
costs of the calls it made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from anthropic.types import Message
from llama_index.core import Document, MockEmbedding, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.base.response.schema import AsyncStreamingResponse
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent

from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex import VertexCostEventHandler, get_vertex_cost_handler
from llama_index.llms.claude_vertex.responses import chat_response
from tests.helpers import sonnet_4_5_dollars
from tests.llama_index.support import MakeLLM

DOCUMENTS = [
    Document(text="Vertex AI serves Claude on the global endpoint.", doc_id="endpoints"),
    Document(text="The emulator answers on loopback without a network.", doc_id="emulator"),
    Document(text="Prompt caching on Vertex AI lasts five minutes.", doc_id="caching"),
]


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def hand_cost(details: Mapping[str, Any], *, regional: bool = False) -> float:
    """An answer's price from its reported usage and the price list, by hand."""
    usage = details["usage"]
    return sonnet_4_5_dollars(
        input_tokens=usage["input_tokens"],
        output_tokens=usage["output_tokens"],
        cache_read=usage["cache_read_input_tokens"],
        cache_write=usage["cache_creation_input_tokens"],
        regional=regional,
    )


def test_an_answer_carries_its_cost(make_llm: MakeLLM) -> None:
    response = make_llm().chat(user("Hey Claude!"))
    cost = response.additional_kwargs["cost_usd"]
    assert cost > 0
    assert cost == pytest.approx(hand_cost(response.additional_kwargs))


def test_a_regional_answer_costs_ten_percent_more(make_llm: MakeLLM) -> None:
    response = make_llm(region="europe-west1").complete("Hey Claude!")
    details = response.additional_kwargs
    assert details["cost_usd"] == pytest.approx(hand_cost(details, regional=True))
    assert details["cost_usd"] > hand_cost(details)


def test_streamed_chunks_carry_the_cost_so_far_and_the_last_the_whole(
    make_llm: MakeLLM,
) -> None:
    llm = make_llm()
    chunks = list(llm.stream_chat(user("[[words:30]]")))
    costs = [chunk.additional_kwargs["cost_usd"] for chunk in chunks]
    assert all(cost is not None and cost > 0 for cost in costs)
    assert costs == sorted(costs)
    last = chunks[-1].additional_kwargs
    assert last["cost_usd"] == pytest.approx(hand_cost(last))
    whole = llm.chat(user("[[words:30]]"))
    assert last["cost_usd"] == pytest.approx(whole.additional_kwargs["cost_usd"])


def test_an_unknown_model_has_no_cost() -> None:
    message = Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-nonexistent-9",
            "content": [{"type": "text", "text": "Hi"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 5},
        }
    )
    response = chat_response(message, region="global")
    assert "cost_usd" in response.additional_kwargs
    assert response.additional_kwargs["cost_usd"] is None
    handler = VertexCostEventHandler()
    handler.handle(LLMChatEndEvent(messages=[], response=response))
    assert handler.requests == 1
    assert handler.total_cost is None
    assert handler.priced_cost == 0.0


class _Ends(BaseEventHandler):
    """Records the response of every chat call that ends."""

    responses: list[ChatResponse] = []

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, LLMChatEndEvent) and event.response is not None:
            self.responses.append(event.response)


# LlamaIndex's refine synthesizer asks asyncio for a loop outside one (its warning, not ours).
@pytest.mark.filterwarnings("ignore:There is no current event loop:DeprecationWarning")
def test_a_query_pipeline_totals_the_cost_of_its_calls(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    index = VectorStoreIndex.from_documents(DOCUMENTS, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(
        llm=make_llm(region="us-east5"), response_mode="refine", similarity_top_k=3
    )
    ends = _Ends(responses=[])
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(ends)
    try:
        with get_vertex_cost_handler() as cost:
            engine.query("Where does Vertex AI serve Claude?")
    finally:
        dispatcher.event_handlers.remove(ends)
    calls = [response.additional_kwargs for response in ends.responses]
    assert len(calls) == len(vertex_emulator.requests) == 3  # one answer, two refinements
    assert cost.requests == 3
    by_hand = sum(hand_cost(call, regional=True) for call in calls)
    reported = sum(call["cost_usd"] for call in calls)
    assert cost.total_cost == pytest.approx(by_hand)
    assert cost.total_cost == pytest.approx(reported)
    assert cost.total_tokens == sum(
        call["usage"]["input_tokens"] + call["usage"]["output_tokens"] for call in calls
    )


async def test_a_streaming_async_query_is_totalled_once(make_llm: MakeLLM) -> None:
    index = VectorStoreIndex.from_documents(DOCUMENTS, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=make_llm(), streaming=True, similarity_top_k=1)
    with get_vertex_cost_handler() as cost:
        response = await engine.aquery("How long does prompt caching last?")
        assert isinstance(response, AsyncStreamingResponse)
        tokens = [token async for token in response.async_response_gen()]
    assert tokens
    assert cost.requests == 1
    assert cost.total_cost is not None
    assert cost.total_cost > 0


def test_each_call_counts_once_and_only_inside_the_block(make_llm: MakeLLM) -> None:
    llm = make_llm()
    with get_vertex_cost_handler() as cost:
        whole = llm.complete("Hey Claude!")  # complete goes through chat: one call
        *_, last = llm.stream_complete("Hey Claude!")
    llm.chat(user("Not counted"))
    assert cost.requests == 2
    expected = hand_cost(whole.additional_kwargs) + hand_cost(last.additional_kwargs)
    assert cost.total_cost == pytest.approx(expected)
    assert all(handler is not cost for handler in get_dispatcher().event_handlers)
