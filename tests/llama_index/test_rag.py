"""A VectorStoreIndex query engine answering through ClaudeVertex, with a local embedding."""

from __future__ import annotations

import pytest
from llama_index.core import Document, MockEmbedding, VectorStoreIndex
from llama_index.core.base.response.schema import AsyncStreamingResponse

from claude_vertex.testing import VertexEmulator
from tests.llama_index.support import MakeLLM

DOCUMENTS = [
    Document(text="Vertex AI serves Claude on the global endpoint.", doc_id="endpoints"),
    Document(text="The emulator answers on loopback without a network.", doc_id="emulator"),
    Document(text="Prompt caching on Vertex AI lasts five minutes.", doc_id="caching"),
]


@pytest.fixture
def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCUMENTS, embed_model=MockEmbedding(embed_dim=8))


def test_a_query_engine_answers_from_the_retrieved_documents(
    index: VectorStoreIndex, make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=2)
    response = engine.query("Where does Vertex AI serve Claude?")
    assert len(response.source_nodes) == 2
    (sent,) = vertex_emulator.requests
    prompt = sent.body["messages"][0]["content"][0]["text"]
    for node in response.source_nodes:
        assert node.get_content() in prompt, "the retrieved text reached Claude"
    assert "Query: Where does Vertex AI serve Claude?" in prompt
    assert "expert Q&A system" in sent.body["system"][0]["text"]
    assert str(response).startswith("Hello! You said: Context information is below.")


async def test_a_streaming_query_engine_streams_claudes_answer(
    index: VectorStoreIndex, make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    engine = index.as_query_engine(llm=make_llm(), streaming=True, similarity_top_k=1)
    response = await engine.aquery("How long does prompt caching last?")
    assert isinstance(response, AsyncStreamingResponse)
    tokens = [token async for token in response.async_response_gen()]
    assert len(tokens) > 3
    assert "".join(tokens).startswith("Hello! You said: Context information is below.")
    assert [r.route for r in vertex_emulator.requests] == ["stream"]
