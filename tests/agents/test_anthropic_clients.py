"""claude_vertex.AnthropicVertex / AsyncAnthropicVertex: the SDK's clients, sent through the core.

Every test runs over real loopback HTTP against the emulator, with the real service-account
token flow; the emulator refuses (400) any request Vertex would refuse, and records each one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.types import Message, MessageTokensCount
from anthropic.types.beta import BetaMessage, BetaMessageTokensCount

from claude_vertex import (
    AnthropicVertex,
    AsyncAnthropicVertex,
    ConfigurationError,
    MessageValidationError,
    QuotaExhaustedError,
    StreamInterruptedError,
    UnsupportedOnVertexError,
    VertexBetaMessage,
    VertexBetaWarning,
    VertexMessage,
    resolve_model,
)
from claude_vertex.testing import Fault, VertexEmulator

from .conftest import MODEL
from .wire import assert_well_formed, model_requests

HELLO: list[Any] = [{"role": "user", "content": "Hey Claude!"}]


def region_of(message: object) -> str | None:
    """Where a drop-in client's answer was served (it is a :class:`VertexMessage`)."""
    assert isinstance(message, VertexMessage)
    return message.vertex_region


def beta_messages(client: AnthropicVertex | AsyncAnthropicVertex) -> Any:
    """``client.beta.messages``: the SDK types its Vertex beta methods for another class."""
    return client.beta.messages


# -- what it is --------------------------------------------------------------------------------
def test_the_clients_are_the_sdks_vertex_clients(
    dropin: AnthropicVertex, async_dropin: AsyncAnthropicVertex
) -> None:
    assert isinstance(dropin, anthropic.AnthropicVertex)
    assert isinstance(async_dropin, anthropic.AsyncAnthropicVertex)
    assert isinstance(dropin.messages, anthropic.resources.Messages)


def test_the_repr_names_the_settings_and_no_secret(
    make_dropin: Callable[..., AnthropicVertex], vertex_emulator: VertexEmulator
) -> None:
    token = vertex_emulator.issue_token()
    client = make_dropin(credentials=None, access_token=token)
    assert "test-project" in repr(client)
    assert token not in repr(client)
    assert token not in repr(client._state)


# -- messages.create ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "model", ["claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-haiku-4-5@20251001"]
)
def test_create_takes_alias_first_party_and_vertex_ids(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator, model: str
) -> None:
    message = dropin.messages.create(model=model, max_tokens=64, messages=HELLO)
    assert region_of(message) == "global"
    assert isinstance(message, VertexMessage)
    assert message.content[0].type == "text"
    assert message.request_id
    (sent,) = model_requests(vertex_emulator)
    assert sent.model == resolve_model(model).vertex_id
    assert_well_formed(vertex_emulator)


async def test_async_create(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    message = await async_dropin.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    assert isinstance(message, VertexMessage)
    assert message.stop_reason == "end_turn"
    assert_well_formed(vertex_emulator)


def test_extra_body_reaches_the_wire_and_omitted_values_do_not(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    dropin.messages.create(
        model=MODEL, max_tokens=64, messages=HELLO, extra_body={"stop_sequences": ["zzz"]}
    )
    (sent,) = model_requests(vertex_emulator)
    assert sent.body["stop_sequences"] == ["zzz"]
    assert set(sent.body) == {"anthropic_version", "max_tokens", "messages", "stop_sequences"}


def test_the_sdk_first_party_version_never_reaches_the_wire(
    make_dropin: Callable[..., AnthropicVertex], vertex_emulator: VertexEmulator
) -> None:
    make_dropin().messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    make_dropin(anthropic_version="vertex-2023-10-16").messages.create(
        model=MODEL, max_tokens=16, messages=HELLO
    )
    versions = {r.body["anthropic_version"] for r in model_requests(vertex_emulator)}
    assert versions == {"vertex-2023-10-16"}
    assert all("anthropic-version" not in r.headers for r in model_requests(vertex_emulator))


# -- streams -----------------------------------------------------------------------------------
def test_create_with_stream_true_yields_sdk_events(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    stream = dropin.messages.create(model=MODEL, max_tokens=64, messages=HELLO, stream=True)
    assert isinstance(stream, anthropic.Stream)
    with stream:
        kinds = [event.type for event in stream]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "content_block_delta" in kinds
    (sent,) = model_requests(vertex_emulator)
    assert sent.route == "stream"
    assert_well_formed(vertex_emulator)


def test_messages_stream_text_and_final_message(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    with dropin.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text
    assert final.content[0].type == "text"
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert_well_formed(vertex_emulator)


async def test_async_messages_stream_text_and_final_message(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    async with async_dropin.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream:
        text = "".join([chunk async for chunk in stream.text_stream])
        final = await stream.get_final_message()
    assert text
    assert final.content[0].type == "text"
    assert final.content[0].text == text
    assert_well_formed(vertex_emulator)


async def test_async_create_with_stream_true_is_an_async_stream(
    async_dropin: AsyncAnthropicVertex,
) -> None:
    stream = await async_dropin.messages.create(
        model=MODEL, max_tokens=64, messages=HELLO, stream=True
    )
    assert isinstance(stream, anthropic.AsyncStream)
    kinds = [event.type async for event in stream]
    await stream.close()
    assert kinds[-1] == "message_stop"


def test_a_truncated_stream_raises_stream_interrupted(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.truncated_stream(after_events=3))
    with (
        pytest.raises(StreamInterruptedError),
        dropin.messages.stream(model=MODEL, max_tokens=64, messages=HELLO) as stream,
    ):
        stream.get_final_message()


async def test_an_async_truncated_stream_raises_stream_interrupted(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.truncated_stream(after_events=3))
    stream = await async_dropin.messages.create(
        model=MODEL, max_tokens=64, messages=HELLO, stream=True
    )
    with pytest.raises(StreamInterruptedError):
        async for _ in stream:
            pass


# -- count_tokens, parse, beta -----------------------------------------------------------------
def test_count_tokens(dropin: AnthropicVertex, vertex_emulator: VertexEmulator) -> None:
    counted = dropin.messages.count_tokens(model=MODEL, messages=HELLO)
    assert isinstance(counted, MessageTokensCount)
    assert counted.input_tokens > 0
    (sent,) = model_requests(vertex_emulator)
    assert sent.route == "count_tokens"
    assert sent.body["model"] == MODEL
    assert_well_formed(vertex_emulator)


async def test_async_beta_count_tokens_drops_the_sdks_own_beta_quietly(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator, recwarn: Any
) -> None:
    counted = await beta_messages(async_dropin).count_tokens(model=MODEL, messages=HELLO)
    assert isinstance(counted, BetaMessageTokensCount)
    assert counted.input_tokens > 0
    assert not [w for w in recwarn if issubclass(w.category, VertexBetaWarning)]
    (sent,) = model_requests(vertex_emulator)
    assert "anthropic-beta" not in sent.headers


class City(pydantic.BaseModel):
    name: str
    population: int


def test_parse_returns_the_structured_output(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    parsed = dropin.messages.parse(
        model=MODEL,
        max_tokens=256,
        messages=[{"role": "user", "content": 'Describe "Lyon", population 500000.'}],
        output_format=City,
    )
    assert isinstance(parsed.parsed_output, City)
    assert isinstance(parsed, Message)
    assert_well_formed(vertex_emulator)


def test_beta_create_filters_betas_and_says_where_it_was_served(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    with pytest.warns(VertexBetaWarning, match="files-api-2025-04-14"):
        message = beta_messages(dropin).create(
            model=MODEL,
            max_tokens=64,
            messages=HELLO,
            betas=["context-management-2025-06-27", "files-api-2025-04-14"],
        )
    assert isinstance(message, VertexBetaMessage)
    assert isinstance(message, BetaMessage)
    assert message.vertex_region == "global"
    (sent,) = model_requests(vertex_emulator)
    assert sent.headers["anthropic-beta"] == "context-management-2025-06-27"
    assert_well_formed(vertex_emulator)


async def test_async_beta_stream(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    async with beta_messages(async_dropin).stream(
        model=MODEL, max_tokens=64, messages=HELLO
    ) as stream:
        final = await stream.get_final_message()
    assert isinstance(final, BetaMessage)
    assert final.content[0].type == "text"
    assert_well_formed(vertex_emulator)


def test_the_sdks_tool_runner_makes_the_tool_round_trip(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    calls: list[str] = []

    @anthropic.beta_tool
    def get_weather(city: str) -> str:
        """The weather in a city.

        Args:
            city: the city's name.
        """
        calls.append(city)
        return f"Sunny in {city}, 21 degrees"

    runner = beta_messages(dropin).tool_runner(
        model=MODEL,
        max_tokens=256,
        tools=[get_weather],
        messages=[{"role": "user", "content": 'What is the get_weather in "Paris"?'}],
    )
    messages = list(runner)
    assert calls == ["Paris"]
    assert messages[0].stop_reason == "tool_use"
    assert messages[-1].stop_reason == "end_turn"
    sent = model_requests(vertex_emulator)
    assert len(sent) == 2
    results = [
        block
        for block in sent[1].body["messages"][-1]["content"]
        if block.get("type") == "tool_result"
    ]
    assert results
    assert "Sunny in Paris" in str(results[0]["content"])
    assert_well_formed(vertex_emulator)


# -- failover, shared token, typed errors ------------------------------------------------------
def test_a_429_on_global_fails_over_and_the_message_says_where(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), region="global")
    message = dropin.messages.create(model=MODEL, max_tokens=64, messages=HELLO)
    served = region_of(message)
    assert served in resolve_model(MODEL).regions
    regions = [(r.region, r.status) for r in model_requests(vertex_emulator)]
    assert regions == [("global", 429), (served, 200)]


def test_a_pinned_region_is_kept(
    make_dropin: Callable[..., AnthropicVertex], vertex_emulator: VertexEmulator
) -> None:
    client = make_dropin(region="europe-west1")
    assert client.region == "europe-west1"
    message = client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert region_of(message) == "europe-west1"


async def test_twenty_concurrent_calls_make_one_token_request(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    answers = await asyncio.gather(
        *(
            async_dropin.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
            for _ in range(20)
        )
    )
    assert len(answers) == 20
    grants = [r for r in vertex_emulator.token_requests if r.route == "token"]
    assert len(grants) == 1
    assert len(model_requests(vertex_emulator)) == 20


def test_errors_are_typed_and_subclass_the_sdks(
    make_dropin: Callable[..., AnthropicVertex], vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.inject(Fault.quota_exhausted(), times=None)
    client = make_dropin(region="us-east5")  # pinned: never left
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert isinstance(caught.value, QuotaExhaustedError)


def test_bad_input_is_refused_before_any_request(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(ConfigurationError):
        dropin.messages.create(model="not a model!", max_tokens=16, messages=HELLO)
    with pytest.raises(MessageValidationError):
        dropin.messages.create(model=MODEL, max_tokens=16, messages=[])
    assert model_requests(vertex_emulator) == []


# -- copies share -------------------------------------------------------------------------------
def test_with_options_and_copy_share_the_token_and_the_pools(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    faster = dropin.with_options(max_retries=0)
    same = dropin.copy()
    again = dropin.with_options(http_client=dropin._client)  # as pydantic-ai passes it
    assert isinstance(faster, AnthropicVertex)
    assert faster.max_retries == 0
    assert same.vertex is dropin.vertex
    assert again.vertex is dropin.vertex
    assert faster.vertex.settings.tokens is dropin.vertex.settings.tokens
    for client in (dropin, faster, same):
        client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    grants = [r for r in vertex_emulator.token_requests if r.route == "token"]
    assert len(grants) == 1


def test_clients_with_equal_settings_share_one_core_client(
    make_dropin: Callable[..., AnthropicVertex],
) -> None:
    assert make_dropin().vertex is make_dropin().vertex


def test_copy_to_another_region_keeps_the_credentials(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    moved = dropin.copy(region="us-east5")
    message = moved.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert region_of(message) == "us-east5"
    assert moved.vertex.settings.tokens is dropin.vertex.settings.tokens


async def test_async_with_options(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    copy = async_dropin.with_options(timeout=30.0, http_client=async_dropin._client)
    assert isinstance(copy, AsyncAnthropicVertex)
    await copy.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert copy.vertex.settings.tokens is async_dropin.vertex.settings.tokens


# -- the constructor ----------------------------------------------------------------------------
def test_project_and_region_resolve_as_resolve_settings_does(
    make_dropin: Callable[..., AnthropicVertex],
    vertex_emulator: VertexEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLOUD_ML_REGION", "us-east5")
    client = make_dropin(project_id=None, project="other-project")
    assert (client.project_id, client.region) == ("other-project", "us-east5")


def test_conflicting_projects_and_a_foreign_http_client_are_refused(
    make_dropin: Callable[..., AnthropicVertex],
) -> None:
    with pytest.raises(ConfigurationError, match="differ"):
        make_dropin(project="one-project")
    with pytest.raises(ConfigurationError, match="http_client"):
        make_dropin(http_client=anthropic.DefaultHttpxClient())


# -- what Vertex does not offer -----------------------------------------------------------------
def test_batches_files_and_models_raise_a_clear_error(
    dropin: AnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    with pytest.raises(UnsupportedOnVertexError, match="batch prediction") as batch:
        dropin.messages.batches.create(requests=[])
    assert isinstance(batch.value, anthropic.AnthropicError)
    with pytest.raises(UnsupportedOnVertexError, match="resolve_media"):
        dropin.files  # noqa: B018
    with pytest.raises(UnsupportedOnVertexError, match="all_models"):
        dropin.models  # noqa: B018
    with pytest.raises(UnsupportedOnVertexError, match="raw"):
        dropin.messages.with_raw_response.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert model_requests(vertex_emulator) == []


async def test_async_batches_raise_a_clear_error(async_dropin: AsyncAnthropicVertex) -> None:
    with pytest.raises(UnsupportedOnVertexError, match="batch prediction"):
        await async_dropin.messages.batches.list()


def test_the_cores_arguments_reach_the_core(
    make_dropin: Callable[..., AnthropicVertex], vertex_emulator: VertexEmulator
) -> None:
    client = make_dropin(region="us-east5", fallback_regions=["europe-west4"], deadline=30.0)
    assert client.vertex.policy.deadline == 30.0
    vertex_emulator.inject(Fault.quota_exhausted(), region="us-east5")
    message = client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert region_of(message) == "europe-west4"


async def test_the_async_tool_runner_makes_the_tool_round_trip(
    async_dropin: AsyncAnthropicVertex, vertex_emulator: VertexEmulator
) -> None:
    @anthropic.beta_async_tool
    async def get_local_time(city: str) -> str:
        """The local time in a city.

        Args:
            city: the city's name.
        """
        return f"It is 09:30 in {city}"

    runner = beta_messages(async_dropin).tool_runner(
        model=MODEL,
        max_tokens=256,
        tools=[get_local_time],
        messages=[{"role": "user", "content": 'What does get_local_time say for "Kyoto"?'}],
    )
    final = await runner.until_done()
    assert final.stop_reason == "end_turn"
    sent = model_requests(vertex_emulator)
    assert len(sent) == 2
    assert "09:30 in Kyoto" in str(sent[1].body["messages"][-1]["content"])
    assert_well_formed(vertex_emulator)
