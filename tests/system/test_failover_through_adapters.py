"""Both adapters fail over along the core's endpoint plan, inside their residency."""

from __future__ import annotations

from typing import Any

import pytest

from claude_vertex import QuotaExhaustedError
from claude_vertex.testing import Fault, VertexEmulator


def test_both_adapters_fail_over_inside_their_residency_and_report_the_region(
    vertex_emulator: VertexEmulator, vertex_key_file: object
) -> None:
    from llama_index.core.llms import ChatMessage

    from langchain_claude_vertex import ChatClaudeVertex
    from llama_index.llms.claude_vertex import ClaudeVertex

    options: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "project": vertex_emulator.project,
        "base_url": vertex_emulator.base_url,
        "credentials": str(vertex_key_file),
        "data_residency": "eu",
        "max_retries": 3,
        "deadline": 30.0,
    }
    vertex_emulator.inject(Fault.quota_exhausted(), times=2, region="eu")
    answer = ChatClaudeVertex(**options).invoke("Hey Claude!")
    region = answer.response_metadata["region"]
    response = ClaudeVertex(**options).chat([ChatMessage(role="user", content="Hey Claude!")])
    assert region.startswith("europe-")
    assert response.additional_kwargs["region"].startswith("europe-")
    assert all(
        str(r.region) == "eu" or str(r.region).startswith("europe-")
        for r in vertex_emulator.requests
    )
    assert [r.status for r in vertex_emulator.requests][:1] == [429]


def test_adapters_pin_a_chosen_region_unless_given_fallbacks(
    vertex_emulator: VertexEmulator, vertex_key_file: object
) -> None:
    from langchain_claude_vertex import ChatClaudeVertex

    options: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "project": vertex_emulator.project,
        "base_url": vertex_emulator.base_url,
        "credentials": str(vertex_key_file),
        "region": "us-east5",
        "max_retries": 1,
    }
    vertex_emulator.inject(Fault.quota_exhausted(), times=1, region="us-east5")
    answer = ChatClaudeVertex(**options, fallback_regions=["us-central1"]).invoke("Hey")
    assert answer.response_metadata["region"] == "us-central1"
    vertex_emulator.inject(Fault.quota_exhausted(), times=None, region="us-east5")
    with pytest.raises(QuotaExhaustedError):
        ChatClaudeVertex(**options).invoke("Hey")
