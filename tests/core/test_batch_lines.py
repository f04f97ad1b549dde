"""Batch input lines: both shapes read, every line checked before upload, Vertex's line out."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from claude_vertex import VERTEX_ANTHROPIC_VERSION, CallPolicyWarning, ConfigurationError
from claude_vertex.batch_lines import (
    MAX_REPORTED_ERRORS,
    BatchInputError,
    BatchLineError,
    BatchRequest,
    LineTransform,
    as_batch_requests,
    read_request_lines,
    write_input,
)

USER = [{"role": "user", "content": "Summarise the report."}]


def transform(model: str = "claude-haiku-4-5") -> LineTransform:
    return LineTransform(model, project="test-project", region="us-east5")


def written(lines: list[Any], model: str = "claude-haiku-4-5") -> list[dict[str, Any]]:
    out = io.StringIO()
    items = [json.dumps(line) if isinstance(line, dict) else line for line in lines]
    count = write_input(read_request_lines(items), transform(model), out)
    parsed = [json.loads(text) for text in out.getvalue().splitlines()]
    assert count == len(parsed)
    return parsed


def refused(lines: list[Any]) -> BatchInputError:
    items = [json.dumps(line) if isinstance(line, dict) else line for line in lines]
    with pytest.raises(BatchInputError) as caught:
        write_input(read_request_lines(items), transform(), io.StringIO())
    return caught.value


def test_anthropic_shape_becomes_vertex_line_with_model_out_and_version_in() -> None:
    [line] = written(
        [
            {
                "custom_id": "doc-1",
                "params": {"model": "claude-haiku-4-5", "max_tokens": 32, "messages": USER},
            }
        ]
    )
    assert line == {
        "custom_id": "doc-1",
        "request": {
            "max_tokens": 32,
            "messages": USER,
            "anthropic_version": VERTEX_ANTHROPIC_VERSION,
        },
    }


def test_vertex_shape_is_accepted_and_its_version_is_the_configured_one() -> None:
    [line] = written(
        [
            {
                "custom_id": "v1",
                "request": {"messages": USER, "max_tokens": 8, "anthropic_version": "old"},
            }
        ]
    )
    assert line["request"]["anthropic_version"] == VERTEX_ANTHROPIC_VERSION
    assert "model" not in line["request"]


def test_aliases_and_first_party_ids_of_the_job_model_are_accepted() -> None:
    lines = written(
        [
            {"custom_id": "a", "params": {"model": "claude-haiku-4-5-20251001", "messages": USER}},
            {"custom_id": "b", "params": {"model": "claude-haiku-4-5@20251001", "messages": USER}},
        ]
    )
    assert [line["custom_id"] for line in lines] == ["a", "b"]


def test_call_policy_applies_per_line() -> None:
    # Opus 4.7 takes no sampling parameters: the policy leaves temperature out, as online.
    with pytest.warns(CallPolicyWarning, match="temperature"):
        [line] = written(
            [
                {
                    "custom_id": "t",
                    "params": {"temperature": 0.2, "max_tokens": 16, "messages": USER},
                }
            ],
            model="claude-opus-4-7",
        )
    assert "temperature" not in line["request"]


def test_blank_lines_are_skipped_and_numbers_stay_file_lines() -> None:
    error = refused([{"custom_id": "a", "params": {"messages": USER}}, "", "   ", "not json"])
    assert [e.line for e in error.errors] == [4]


def test_every_bad_line_is_named_with_its_custom_id() -> None:
    error = refused(
        [
            {"custom_id": "ok", "params": {"messages": USER}},
            {"custom_id": "empty", "params": {"messages": []}},
            {"custom_id": "two", "params": {"messages": USER}, "request": {}},
            {"custom_id": "has space", "params": {"messages": USER}},
            {"custom_id": "other", "params": {"model": "claude-opus-4-1", "messages": USER}},
            {"custom_id": "ok", "params": {"messages": USER}},
            {"custom_id": "stream", "params": {"messages": USER, "stream": True}},
            {"custom_id": "extra", "params": {"messages": USER}, "method": "POST"},
            {"params": {"messages": USER}},
        ]
    )
    assert error.error_count == 8
    assert error.lines_read == 9
    found = {e.line: (e.custom_id, e.problem) for e in error.errors}
    assert found[2][0] == "empty"
    assert "non-empty list" in found[2][1]
    assert "both 'params' and 'request'" in found[3][1]
    assert found[4][0] is None
    assert "'has space' is not valid" in found[4][1]
    assert "not the job's model" in found[5][1]
    assert "repeats line 1" in found[6][1]
    assert "remove 'stream'" in found[7][1]
    assert "'method'" in found[8][1]
    assert "custom_id None" in found[9][1]
    assert "line 2 (custom_id 'empty')" in str(error)


def test_a_beta_that_travels_as_a_header_is_refused_per_line() -> None:
    error = refused(
        [
            {
                "custom_id": "beta",
                "params": {"messages": USER, "betas": ["interleaved-thinking-2025-05-14"]},
            }
        ]
    )
    assert "HTTP header" in error.errors[0].problem


def test_a_body_beta_travels_in_the_line() -> None:
    [line] = written(
        [{"custom_id": "long", "params": {"messages": USER, "betas": ["context-1m-2025-08-07"]}}],
        model="claude-sonnet-4-5",
    )
    assert line["request"]["anthropic_beta"] == ["context-1m-2025-08-07"]


def test_an_empty_input_is_refused() -> None:
    with pytest.raises(BatchInputError, match="holds no requests"):
        write_input(read_request_lines(["", "\n"]), transform(), io.StringIO())


def test_errors_shown_are_capped_but_all_counted() -> None:
    error = refused(["x"] * (MAX_REPORTED_ERRORS + 5))
    assert len(error.errors) == MAX_REPORTED_ERRORS
    assert error.error_count == MAX_REPORTED_ERRORS + 5
    assert "and 5 more" in str(error)


def test_python_requests_take_both_shapes_objects_and_json_text() -> None:
    items = list(
        as_batch_requests(
            [
                BatchRequest("a", {"messages": USER}, 7),
                {"custom_id": "b", "params": {"messages": USER}},
                json.dumps({"custom_id": "c", "request": {"messages": USER}}),
                ["not", "a", "mapping"],  # type: ignore[list-item]
            ]
        )
    )
    assert [getattr(i, "custom_id", None) for i in items[:3]] == ["a", "b", "c"]
    assert [getattr(i, "line", None) for i in items[:3]] == [7, 2, 3]
    assert isinstance(items[3], BatchLineError)
    assert items[3].line == 4


def test_a_file_is_read_lazily_and_a_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps({"custom_id": "a", "params": {"messages": USER}}) + "\n")
    [request] = list(read_request_lines(path))
    assert isinstance(request, BatchRequest)
    assert request.line == 1
    with pytest.raises(ConfigurationError, match="No batch input file"):
        list(read_request_lines(tmp_path / "missing.jsonl"))
