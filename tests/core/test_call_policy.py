"""The call policy: Claude's rules applied to Messages API parameters, once for every front end.

Pure-function tests; the adapters' tests prove the same rules hold through LangChain and
LlamaIndex, and the emulator's tests that the service would refuse what the policy prevents.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import pytest

from claude_vertex import (
    CallPolicyWarning,
    MessageValidationError,
    ModelDeprecationWarning,
    ParameterError,
    apply_call_policy,
    merge_params,
    register_model,
    resolve_model,
    strict_tool,
    tool_choice_param,
)

OPUS_4_7 = "claude-opus-4-7"
SONNET = "claude-sonnet-4-5"
USER = [{"role": "user", "content": "Hey Claude!"}]


def call(model: str = SONNET, **params: Any) -> dict[str, Any]:
    return {"model": model, "messages": USER, **params}


def quietly(params: dict[str, Any], **options: Any) -> dict[str, Any]:
    """The policy's result, asserting it raised no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return apply_call_policy(params, **options)


# --------------------------------------------------------------------------- defaults


def test_max_tokens_defaults_to_the_models_output_limit() -> None:
    assert quietly(call())["max_tokens"] == resolve_model(SONNET).max_output_tokens
    assert quietly(call(max_tokens=10))["max_tokens"] == 10
    assert "max_tokens" not in quietly(call(), counting=True)


def test_the_callers_params_are_not_changed_and_the_policy_is_idempotent() -> None:
    params = call(OPUS_4_7, temperature=0.3, thinking={"type": "enabled", "budget_tokens": 2048})
    before = repr(params)
    with pytest.warns(CallPolicyWarning):
        sent = apply_call_policy(params)
    assert repr(params) == before
    assert quietly(sent) == sent


# --------------------------------------------------------------------------- model-aware rules


def test_sampling_is_not_sent_to_a_model_that_takes_only_defaults_and_warns_once() -> None:
    with pytest.warns(CallPolicyWarning, match=f"{OPUS_4_7}.*temperature"):
        sent = apply_call_policy(call(OPUS_4_7, temperature=0.2))
    assert "temperature" not in sent
    again = quietly(call(OPUS_4_7, temperature=0.7))  # once per model, not once per call
    assert "temperature" not in again
    assert "top_p" not in quietly(call(OPUS_4_7, top_p=1.0)), "a default is left out silently"


def test_sampling_reaches_models_that_take_it() -> None:
    assert quietly(call(temperature=0.2, top_k=5))["temperature"] == 0.2


def test_budgeted_thinking_becomes_adaptive_on_an_adaptive_only_model() -> None:
    thinking = {"type": "enabled", "budget_tokens": 2000}
    with pytest.warns(CallPolicyWarning, match="adaptive"):
        sent = apply_call_policy(call(OPUS_4_7, thinking=thinking))
    assert sent["thinking"] == {"type": "adaptive"}
    assert quietly(call("claude-opus-4-6", thinking=thinking))["thinking"] == thinking


def test_display_is_kept_where_the_model_takes_it_and_dropped_where_not() -> None:
    shown = {"type": "adaptive", "display": "summarized"}
    assert quietly(call(OPUS_4_7, thinking=shown))["thinking"] == shown
    with pytest.warns(CallPolicyWarning, match="display"):
        sent = apply_call_policy(call("claude-opus-4-6", thinking=shown))
    assert sent["thinking"] == {"type": "adaptive"}


def test_a_prefill_is_refused_before_sending_by_a_model_that_refuses_it() -> None:
    conversation = [*USER, {"role": "assistant", "content": "Sure: "}]
    for model in (OPUS_4_7, "claude-sonnet-4-6"):
        with pytest.raises(MessageValidationError, match=rf"messages\[1\].*{model}"):
            apply_call_policy(call(model, messages=conversation))
    assert quietly(call(OPUS_4_7, messages=conversation), counting=True)


def test_a_prefill_loses_its_trailing_whitespace_where_it_is_taken() -> None:
    text_blocks = [{"type": "text", "text": "A"}, {"type": "text", "text": "Sure:  \n"}]
    sent = quietly(call(messages=[*USER, {"role": "assistant", "content": text_blocks}]))
    assert sent["messages"][-1]["content"][-1]["text"] == "Sure:"
    only_space = quietly(call(messages=[*USER, {"role": "assistant", "content": "  "}]))
    assert only_space["messages"] == USER, "a prefill of whitespace only is left out"


def test_effort_levels_are_the_models() -> None:
    assert quietly(call(OPUS_4_7, output_config={"effort": "xhigh"}))
    with pytest.raises(ParameterError, match="'low', 'medium', 'high', 'max'"):
        apply_call_policy(call("claude-opus-4-6", output_config={"effort": "xhigh"}))
    with pytest.raises(ParameterError, match="effort"):
        apply_call_policy(call(SONNET, output_config={"effort": "low"}))


def test_unknown_models_get_what_they_ask_for() -> None:
    params = call("claude-future-9", temperature=0.3, thinking={"type": "between_tools"})
    sent = quietly(params)
    assert sent["temperature"] == 0.3
    assert sent["thinking"] == {"type": "between_tools"}


def test_a_registered_row_brings_its_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    row = replace(
        resolve_model(OPUS_4_7),
        vertex_id="claude-opus-9-9",
        first_party_id="claude-opus-9-9",
        alias="claude-opus-9-9",
    )
    import claude_vertex.models as models

    monkeypatch.setattr(models, "_BY_ID", dict(models._BY_ID))
    monkeypatch.setattr(models, "_REGISTERED", {})
    register_model(row)
    assert resolve_model("claude-opus-9-9").known
    assert "claude-opus-9-9" in [m.vertex_id for m in models.all_models()]
    with pytest.warns(CallPolicyWarning, match="claude-opus-9-9"):
        assert "temperature" not in apply_call_policy(call("claude-opus-9-9", temperature=0))


# --------------------------------------------------------------------------- thinking


@pytest.mark.parametrize(
    ("thinking", "message"),
    [
        ({"type": "sometimes"}, "must be one of"),
        ({"type": "enabled", "budget_tokens": 100}, "at least 1,024"),
        ({"type": "enabled", "budget_tokens": 4096}, "greater than"),
        ({"type": "adaptive", "budget_tokens": 4096}, "takes no budget_tokens"),
        ({"type": "adaptive", "display": "loud"}, "display"),
    ],
)
def test_thinking_settings_no_model_takes_raise(thinking: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        apply_call_policy(call("claude-opus-4-6", max_tokens=4096, thinking=thinking))


def test_thinking_a_model_lacks_raises_with_what_to_send() -> None:
    with pytest.raises(ParameterError, match="budget_tokens"):
        apply_call_policy(call("claude-haiku-4-5", thinking={"type": "adaptive"}))
    with (
        pytest.warns(ModelDeprecationWarning),
        pytest.raises(ParameterError, match="does not offer thinking"),
    ):
        apply_call_policy(call("claude-3-5-haiku", thinking={"type": "adaptive"}))


def test_what_thinking_rules_out_is_not_sent_with_one_warning_class() -> None:
    params = call(
        thinking={"type": "enabled", "budget_tokens": 2048},
        max_tokens=4096,
        temperature=0.5,
        top_k=5,
        top_p=0.5,
        tools=[{"name": "f", "input_schema": {"type": "object"}}],
        tool_choice={"type": "tool", "name": "f", "disable_parallel_tool_use": True},
    )
    with pytest.warns(CallPolicyWarning) as caught:
        sent = apply_call_policy(params)
    assert len(caught) == 4
    assert not {"temperature", "top_k", "top_p"} & set(sent)
    assert sent["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    kept = quietly(call(thinking=params["thinking"], max_tokens=4096, temperature=1, top_p=0.95))
    assert (kept["temperature"], kept["top_p"]) == (1, 0.95)


# --------------------------------------------------------------------------- tools and cache


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        (None, None, None),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        (True, None, {"type": "any"}),
        ("required", None, {"type": "any"}),
        ("none", False, {"type": "none"}),
        ("get_weather", None, {"type": "tool", "name": "get_weather"}),
        ({"type": "function", "function": {"name": "f"}}, None, {"type": "tool", "name": "f"}),
    ],
)
def test_tool_choice_forms_normalise(
    choice: object, parallel: bool | None, expected: object
) -> None:
    assert tool_choice_param(choice, parallel=parallel) == expected


def test_an_unknown_tool_choice_raises() -> None:
    with pytest.raises(ParameterError, match="tool name"):
        tool_choice_param(3.5)


def test_a_tool_choice_without_tools_is_left_out_unless_none() -> None:
    assert "tool_choice" not in quietly(call(tool_choice={"type": "auto"}))
    assert quietly(call(tool_choice={"type": "none"}))["tool_choice"] == {"type": "none"}


def test_strict_tool_rewrites_the_schema() -> None:
    tool = {
        "name": "f",
        "input_schema": {"type": "object", "properties": {"a": {"type": "string"}}},
    }
    strict = strict_tool(tool)
    assert strict["strict"] is True
    assert strict["input_schema"]["additionalProperties"] is False
    assert "strict" not in tool


def test_cache_ttls_are_vertexs_and_longer_ones_come_first() -> None:
    def marked(ttl: str | None) -> dict[str, Any]:
        control = {"type": "ephemeral"} | ({"ttl": ttl} if ttl else {})
        return {"type": "text", "text": "x", "cache_control": control}

    assert quietly(
        call(system=[marked("1h")], messages=[{"role": "user", "content": [marked("5m")]}])
    )
    with pytest.raises(ParameterError, match="'5m' or '1h'"):
        apply_call_policy(call(system=[marked("24h")]))
    with pytest.raises(ParameterError, match="longer ttls first"):
        apply_call_policy(
            call(system=[marked(None)], messages=[{"role": "user", "content": [marked("1h")]}])
        )


# --------------------------------------------------------------------------- merging and lifecycle


def test_merge_params_layers_with_none_as_unset() -> None:
    merged = merge_params(
        {"model": SONNET, "temperature": 0.1, "output_config": {"format": {"type": "x"}}},
        {"temperature": None, "effort": "high", "betas": ["a", "b"]},
        {"output_config": {"effort": "low"}, "betas": ["b", "c"], "max_tokens": 5},
    )
    assert merged == {
        "model": SONNET,
        "temperature": 0.1,
        "output_config": {"format": {"type": "x"}, "effort": "low"},
        "betas": ["a", "b", "c"],
        "max_tokens": 5,
    }


def test_deprecated_and_retired_models_warn_once_naming_the_successor() -> None:
    with pytest.warns(ModelDeprecationWarning, match="deprecated.*early 2027.*claude-opus-4-7"):
        apply_call_policy(call("claude-opus-4-5"))
    with pytest.warns(ModelDeprecationWarning, match="retired.*claude-haiku-4-5"):
        apply_call_policy(call("claude-3-haiku"))
    quietly(call("claude-opus-4-5"))  # once per model
