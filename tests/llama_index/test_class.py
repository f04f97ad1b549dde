"""ClaudeVertex as a LlamaIndex class: hierarchy, metadata, options, serialisation, secrets."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.llms import ChatMessage
from llama_index.core.llms.function_calling import FunctionCallingLLM

from claude_vertex import CallPolicyWarning, ConfigurationError, resolve_model
from claude_vertex.testing import VertexEmulator
from llama_index.llms.claude_vertex import ClaudeVertex
from tests.llama_index.support import THINKING, MakeLLM


def test_class() -> None:
    names_of_base_classes = [b.__name__ for b in ClaudeVertex.__mro__]
    assert BaseLLM.__name__ in names_of_base_classes
    assert issubclass(ClaudeVertex, FunctionCallingLLM)


@pytest.mark.parametrize(
    "model", ["claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5@20250929"]
)
def test_metadata_comes_from_the_model_table_for_every_id_form(
    make_llm: MakeLLM, model: str
) -> None:
    info = resolve_model("claude-sonnet-4-5")
    metadata = make_llm(model=model).metadata
    assert metadata.model_name == "claude-sonnet-4-5@20250929"
    assert metadata.context_window == info.context_window
    assert metadata.num_output == info.max_output_tokens
    assert metadata.is_function_calling_model
    assert metadata.is_chat_model


def test_num_output_is_max_tokens_when_given(make_llm: MakeLLM) -> None:
    assert make_llm(max_tokens=512).metadata.num_output == 512


def test_an_unknown_model_gets_default_limits_and_never_raises(make_llm: MakeLLM) -> None:
    metadata = make_llm(model="claude-future-9@20300101").metadata
    assert metadata.model_name == "claude-future-9@20300101"
    assert metadata.context_window == 200_000
    assert metadata.num_output == 8_192
    assert metadata.is_function_calling_model


def test_an_unknown_model_is_called_by_its_own_id(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    vertex_emulator.set_available("claude-future-9@20300101", ["global"])
    answer = make_llm(model="claude-future-9@20300101").complete("Hey Claude!")
    assert answer.text == "Hello! You said: Hey Claude!"
    (sent,) = vertex_emulator.requests
    assert sent.path.endswith("/models/claude-future-9@20300101:rawPredict")
    assert sent.body["max_tokens"] == 8_192


def test_project_id_is_an_alias_of_project(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    llm = ClaudeVertex(
        project_id=vertex_emulator.project,
        base_url=vertex_emulator.base_url,
        credentials=vertex_key_file,
    )
    assert llm.project == vertex_emulator.project
    with pytest.raises(ValueError, match="disagree"):
        ClaudeVertex(project="a-project", project_id="another-project", credentials=vertex_key_file)


def test_project_and_region_resolve_through_the_core(
    vertex_emulator: VertexEmulator, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", vertex_emulator.project)
    monkeypatch.setenv("ANTHROPIC_VERTEX_BASE_URL", vertex_emulator.base_url)
    llm = ClaudeVertex(model="claude-3-5-haiku", credentials=vertex_key_file)
    assert llm.project == vertex_emulator.project
    assert llm.region == resolve_model("claude-3-5-haiku").regions[0], "a region that serves it"
    assert llm.base_url == vertex_emulator.base_url


def test_a_malformed_region_is_refused_before_any_request(
    vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    with pytest.raises(ConfigurationError):
        ClaudeVertex(
            region="evil.com/x?", project=vertex_emulator.project, credentials=vertex_key_file
        )
    assert vertex_emulator.requests == []
    assert vertex_emulator.token_requests == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"thinking": {"type": "enabled", "budget_tokens": 4096}, "max_tokens": 4096},
            "greater than",
        ),
        ({"thinking": {"type": "enabled", "budget_tokens": 100}}, "at least 1,024"),
        ({"thinking": {"type": "sometimes"}}, "must be one of"),
        ({"thinking": {"type": "adaptive"}}, "adaptive thinking"),
        ({"model": "claude-haiku-4-5", "thinking": {"type": "adaptive"}}, "adaptive"),
        ({"effort": "high"}, "effort"),
        ({"model": "claude-opus-4-6", "effort": "xhigh"}, "'low', 'medium', 'high', 'max'"),
    ],
)
def test_options_vertex_would_refuse_are_refused_at_construction(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_llm(**options)
    assert vertex_emulator.requests == []


def test_sampling_options_thinking_rules_out_warn_at_construction_and_are_not_sent(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    with pytest.warns(CallPolicyWarning) as caught:
        llm = make_llm(thinking=THINKING, max_tokens=4096, temperature=0.2, top_k=5)
    assert len(caught) == 2
    llm.complete("hi")
    assert not {"temperature", "top_k"} & set(vertex_emulator.requests[0].body)


def test_models_with_adaptive_thinking_and_effort_accept_them(make_llm: MakeLLM) -> None:
    llm = make_llm(model="claude-opus-4-6", thinking={"type": "adaptive"}, effort="medium")
    assert llm.thinking == {"type": "adaptive"}
    assert llm.effort == "medium"


def test_serialised_forms_and_repr_hold_no_credentials_or_tokens(
    vertex_emulator: VertexEmulator,
) -> None:
    info = vertex_emulator.service_account_info()
    token = vertex_emulator.issue_token()
    with_key = ClaudeVertex(
        project=vertex_emulator.project,
        base_url=vertex_emulator.base_url,
        credentials=info,
        system_prompt="Be brief.",
    )
    with_token = ClaudeVertex(
        project=vertex_emulator.project, base_url=vertex_emulator.base_url, access_token=token
    )
    secrets = [
        info["private_key"],
        info["private_key_id"],
        token,
        info["private_key"].splitlines()[1],
    ]
    for llm in (with_key, with_token):
        llm.chat([ChatMessage(role="user", content="Hey Claude!")])  # tokens now in memory
        forms = [
            repr(llm),
            str(llm),
            llm.to_json(),
            json.dumps(llm.to_payload()),
            json.dumps(llm.to_dict()),
            repr(llm.settings),
        ]
        for form in forms:
            assert not any(secret in form for secret in secrets), form
    assert with_key.to_dict()["class_name"] == "ClaudeVertex"
    assert with_key.to_payload()["model_name"] == "claude-sonnet-4-5@20250929"


def test_from_dict_rebuilds_the_model_with_fresh_credentials(
    make_llm: MakeLLM, vertex_key_file: Path
) -> None:
    llm = make_llm(model="claude-haiku-4-5", temperature=0.2, stop_sequences=["END"])
    rebuilt = ClaudeVertex.from_dict(llm.to_dict(), credentials=vertex_key_file)
    assert rebuilt.to_dict() == llm.to_dict()
    answer = rebuilt.complete("Hey Claude!")
    assert answer.text == "Hello! You said: Hey Claude!"


def test_a_pickle_holds_no_credentials_and_unpickles_with_the_environments(
    make_llm: MakeLLM, vertex_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = make_llm(max_tokens=100)
    llm.complete("Hey Claude!")
    data = pickle.dumps(llm)
    private_key = json.loads(vertex_key_file.read_text())["private_key"]
    assert private_key.splitlines()[1].encode() not in data
    assert str(vertex_key_file).encode() not in data
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(vertex_key_file))
    restored = pickle.loads(data)  # noqa: S301 - our own object
    assert restored.max_tokens == 100
    assert restored.complete("Hey again!").text == "Hello! You said: Hey again!"


def test_instances_with_equal_settings_share_one_client_and_one_token(
    make_llm: MakeLLM, vertex_emulator: VertexEmulator
) -> None:
    first, second = make_llm(), make_llm(temperature=0.5)
    first.complete("one")
    second.complete("two")
    assert len(vertex_emulator.token_requests) == 1
    assert [r.status for r in vertex_emulator.requests] == [200, 200]
