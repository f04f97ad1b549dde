"""examples/pydantic_ai_agent.py and examples/adk_agent.py run as a user runs them, on the emulator.

Like tests/system/test_examples.py (whose runner they use): a clean environment without Google
Cloud, so each example starts the emulator and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.test_examples import run_example

from .wire import PYDANTIC_AI_MISSING


def test_the_pydantic_ai_example_calls_the_tool_streams_and_extracts(tmp_path: Path) -> None:
    pytest.importorskip("pydantic_ai", reason=PYDANTIC_AI_MISSING)
    lines = run_example("pydantic_ai_agent.py", tmp_path)
    assert "run: Tool results: Sunny, 24 C in Kyoto" in lines
    assert "  calls get_weather({'city': 'Lisbon'})" in lines
    assert "  text: Tool results: Sunny, 24 C in Lisbon" in lines
    assert lines[-1] == "structured: City(name='Porto', country='Portugal')"


def test_the_adk_example_calls_both_tools_through_the_runner(tmp_path: Path) -> None:
    lines = run_example("adk_agent.py", tmp_path)
    assert lines[1:] == [
        "user: What is the weather in 'Kyoto'?",
        "  calls get_weather({'city': 'Kyoto'})",
        "  get_weather -> {'result': 'Sunny, 24 C in Kyoto'}",
        "  answer: Tool results: Sunny, 24 C in Kyoto",
        "user: What time is it in 'Kyoto'?",
        "  calls get_local_time({'city': 'Kyoto'})",
        "  get_local_time -> {'result': 'It is 09:30 in Kyoto'}",
        "  answer: Tool results: It is 09:30 in Kyoto",
    ]
