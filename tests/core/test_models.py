"""The model table and model-id resolution."""

from __future__ import annotations

import pytest

from claude_vertex import MODELS, default_region, resolve_model


@pytest.mark.parametrize(
    "given",
    ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5@20250929"],
)
def test_every_id_form_resolves_to_the_vertex_id(given: str) -> None:
    assert resolve_model(given).vertex_id == "claude-sonnet-4-5@20250929"


def test_first_party_id_that_differs_from_the_vertex_base_resolves() -> None:
    assert resolve_model("claude-3-5-sonnet-20241022").vertex_id == "claude-3-5-sonnet-v2@20241022"


def test_unknown_id_passes_through_unchanged_with_defaults() -> None:
    info = resolve_model("claude-future-9@20300101")
    assert info.vertex_id == "claude-future-9@20300101"
    assert not info.known
    assert info.context_window == 200_000
    assert info.max_output_tokens > 0
    assert info.pricing is None
    assert info.is_served_in("some-region1")


def test_version_suffix_of_a_known_model_keeps_the_id_and_borrows_its_facts() -> None:
    info = resolve_model("claude-sonnet-4-5@default")
    assert info.vertex_id == "claude-sonnet-4-5@default"
    assert info.max_output_tokens == resolve_model("claude-sonnet-4-5").max_output_tokens


def test_table_ids_are_unique_and_complete() -> None:
    keys = [k for m in MODELS for k in {m.vertex_id, m.first_party_id, m.alias}]
    assert len(keys) == len(set(keys)), "an id names two models"
    for model in MODELS:
        assert model.served_in, model.vertex_id
        assert model.pricing is not None
        assert model.max_output_tokens <= model.context_window


def test_default_region_is_global_where_the_model_is_served_there() -> None:
    assert default_region("claude-sonnet-4-5") == "global"
    assert default_region("claude-haiku-4-5") == "global"


def test_default_region_of_an_old_model_is_a_region_that_serves_it() -> None:
    info = resolve_model("claude-3-5-haiku")
    assert not info.global_endpoint
    assert default_region(info) in info.regions
    assert default_region("claude-sonnet-4@20250514") == "us-east5"


def test_regional_endpoints_cost_ten_percent_more_from_sonnet_4_5_on() -> None:
    pricing = resolve_model("claude-sonnet-4-5").pricing
    assert pricing is not None
    usage = {"input_tokens": 1_000_000, "output_tokens": 1_000_000}
    assert pricing.cost(region="global", **usage) == pytest.approx(18.0)
    assert pricing.cost(region="us-east5", **usage) == pytest.approx(19.8)
    old = resolve_model("claude-sonnet-4").pricing
    assert old is not None
    assert old.cost(region="us-east5", **usage) == pytest.approx(18.0)


def test_cache_tokens_are_priced() -> None:
    pricing = resolve_model("claude-haiku-4-5").pricing
    assert pricing is not None
    cost = pricing.cost(
        region="global", cache_creation_input_tokens=1_000_000, cache_read_input_tokens=1_000_000
    )
    assert cost == pytest.approx(1.25 + 0.10)
