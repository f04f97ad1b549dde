"""The price of an answer: the arithmetic by hand, unknown prices, and answers from the emulator.

Expected dollars are written out from the table's prices per million tokens (Sonnet 4.5:
input 3, output 15, 5-minute cache write 3.75, cache read 0.30, 1-hour cache write 2 x 3 = 6;
regional endpoints 10% more; Sonnet 4: no regional premium).
"""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from anthropic.types import Message

from claude_vertex import (
    CostTotals,
    Pricing,
    StreamAccumulator,
    UsageCounts,
    VertexClient,
    cost_of,
    register_model,
    resolve_model,
    usage_cost,
    usage_counts,
)
from tests.helpers import MakeSettings, hello

USAGE = UsageCounts(
    input_tokens=1_000,
    output_tokens=2_000,
    cache_read_input_tokens=10_000,
    cache_creation_input_tokens=4_000,
)
# 1000 x 3 + 2000 x 15 + 10000 x 0.30 + 4000 x 3.75 = 3000 + 30000 + 3000 + 15000 per million
USAGE_ON_GLOBAL = 51_000 / 1_000_000


def test_global_endpoint_prices_at_the_table() -> None:
    assert usage_cost(USAGE, model="claude-sonnet-4-5", region="global") == pytest.approx(
        USAGE_ON_GLOBAL
    )


@pytest.mark.parametrize("region", ["us-east5", "europe-west1", "us", "eu"])
def test_regional_and_multi_region_endpoints_carry_the_ten_percent_premium(region: str) -> None:
    cost = usage_cost(USAGE, model="claude-sonnet-4-5@20250929", region=region)
    assert cost == pytest.approx(USAGE_ON_GLOBAL * 1.10)


def test_models_before_sonnet_4_5_have_no_regional_premium() -> None:
    cost = usage_cost(USAGE, model="claude-sonnet-4-20250514", region="us-east5")
    assert cost == pytest.approx(USAGE_ON_GLOBAL)


def test_one_hour_cache_writes_cost_twice_the_input_price() -> None:
    usage = UsageCounts(
        cache_creation_input_tokens=4_000,
        ephemeral_5m_input_tokens=1_000,
        ephemeral_1h_input_tokens=3_000,
    )
    # 1000 x 3.75 + 3000 x (2 x 3) = 3750 + 18000, on us-east5: x 1.10
    cost = usage_cost(usage, model="claude-sonnet-4-5", region="us-east5")
    assert cost == pytest.approx(21_750 / 1_000_000 * 1.10)


def test_cache_writes_without_a_breakdown_are_five_minute_writes() -> None:
    usage = usage_counts({"cache_creation_input_tokens": 2_000})
    assert usage_cost(usage, model="claude-haiku-4-5", region="global") == pytest.approx(
        2_000 * 1.25 / 1_000_000
    )


def test_a_table_price_for_one_hour_writes_overrides_the_rule() -> None:
    pricing = Pricing(1.0, 2.0, 3.0, 4.0, cache_write_1h=7.0)
    assert pricing.cost(region="global", cache_creation_1h_input_tokens=1_000_000) == 7.0
    assert Pricing(1.0, 2.0, 3.0, 4.0).one_hour_cache_write == 2.0


@pytest.mark.parametrize(
    ("model", "region"),
    [
        ("claude-nonexistent-9", "global"),
        ("", "global"),
        (None, "global"),
        ("claude-sonnet-4-5", None),
        ("claude-sonnet-4-5", ""),
    ],
)
def test_unknown_model_or_region_gives_none(model: str | None, region: str | None) -> None:
    assert usage_cost(USAGE, model=model, region=region) is None


@pytest.mark.usefixtures("model_registry")
def test_a_registered_model_without_prices_gives_none() -> None:
    row = replace(
        resolve_model("claude-opus-4-7"),
        vertex_id="claude-unpriced-1",
        first_party_id="claude-unpriced-1",
        alias="claude-unpriced-1",
        pricing=None,
    )
    register_model(row)
    assert usage_cost(USAGE, model="claude-unpriced-1", region="global") is None


def _message(model: str, usage: dict[str, int]) -> Message:
    return Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
    )


def test_cost_of_a_message_without_a_region_is_none_unless_given() -> None:
    message = _message("claude-sonnet-4-5-20250929", {"input_tokens": 10, "output_tokens": 20})
    assert cost_of(message) is None
    assert cost_of(message, region="global") == pytest.approx((10 * 3 + 20 * 15) / 1e6)
    unknown = _message("claude-nonexistent-9", {"input_tokens": 10, "output_tokens": 20})
    assert cost_of(unknown, region="global") is None


def test_an_answer_carries_its_cost(client: VertexClient) -> None:
    message = client.create(hello())
    assert message.vertex_region == "global"
    usage = message.usage
    expected = (usage.input_tokens * 3.0 + usage.output_tokens * 15.0) / 1e6
    assert expected > 0
    assert cost_of(message) == pytest.approx(expected)


def test_a_regional_answer_costs_ten_percent_more(make_settings: MakeSettings) -> None:
    with VertexClient(make_settings(region="us-east5"), max_retries=0) as regional:
        message = regional.create(hello())
    usage = message.usage
    expected = (usage.input_tokens * 3.0 + usage.output_tokens * 15.0) / 1e6 * 1.10
    assert cost_of(message) == pytest.approx(expected)


def test_a_streamed_answer_carries_its_cost(client: VertexClient) -> None:
    with client.stream(hello()) as events:
        accumulator = StreamAccumulator(region=events.region, request_id=events.request_id)
        for event in events:
            accumulator.feed(event)
    message = accumulator.message()
    usage = message.usage
    expected = (usage.input_tokens * 3.0 + usage.output_tokens * 15.0) / 1e6
    assert accumulator.cost == pytest.approx(expected)
    assert cost_of(message) == accumulator.cost


def test_a_stream_without_a_region_has_no_cost(client: VertexClient) -> None:
    with client.stream(hello()) as events:
        accumulator = StreamAccumulator()
        for event in events:
            accumulator.feed(event)
    assert accumulator.cost is None


def test_totals_add_up_and_an_unknown_price_makes_the_total_unknown() -> None:
    totals = CostTotals()
    totals.add(USAGE, 0.25)
    totals.add(USAGE, 0.5)
    assert totals.requests == 2
    assert totals.total_cost == 0.75
    assert totals.total_tokens == 2 * (1_000 + 2_000 + 10_000 + 4_000)
    totals.add(USAGE, None)
    snapshot = totals.snapshot()
    assert snapshot.unpriced_requests == 1
    assert snapshot.total_cost is None
    assert snapshot.priced_cost == 0.75
    totals.reset()
    assert totals.snapshot().requests == 0


def test_totals_are_thread_safe() -> None:
    totals = CostTotals()

    def add_many() -> None:
        for _ in range(500):
            totals.add(UsageCounts(input_tokens=1), 0.001)

    threads = [threading.Thread(target=add_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert totals.requests == 2_000
    assert totals.snapshot().input_tokens == 2_000
    assert totals.priced_cost == pytest.approx(2.0)
