"""The examples run as a user would run them: without Google Cloud, on the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str, tmp_path: Path, *args: str) -> list[str]:
    """Run ``examples/<name>`` in a clean environment; check it says it uses the emulator."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOOGLE_", "GCLOUD_", "ANTHROPIC_VERTEX_", "CLOUD_ML_"))
    }
    env["CLOUDSDK_CONFIG"] = str(tmp_path / "no-gcloud")
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "emulator" in lines[0]
    assert "gcloud auth application-default login" in lines[0]
    return lines


def test_quickstart_says_it_uses_the_emulator_and_prints_a_reply(tmp_path: Path) -> None:
    lines = run_example("quickstart.py", tmp_path)
    assert "Claude (claude-sonnet-4-5@20250929): Hello! You said: Hey Claude!" in lines


@pytest.mark.parametrize("name", ["langchain_chat.py", "langchain_agent.py"])
def test_example_runs_on_the_emulator(name: str, tmp_path: Path) -> None:
    lines = run_example(name, tmp_path)
    if name == "langchain_chat.py":
        assert "invoke: Hello! You said: Name one sight in Lisbon." in lines
        assert "stream: Hello! You said: Say hello in three languages." in lines
        assert "structured: City(name='Porto', country='Portugal')" in lines
        assert any(line.startswith("count tokens: the first prompt is ") for line in lines)
    else:
        assert "  calls get_weather({'city': 'Kyoto'})" in lines
        assert "  calls get_local_time({'city': 'Kyoto'})" in lines
        assert lines[-1] == "  answer: Tool results: It is 09:30 in Kyoto"


def test_the_chat_example_chats_streams_counts_and_extracts(tmp_path: Path) -> None:
    lines = run_example("llamaindex_chat.py", tmp_path)
    assert "Model: claude-sonnet-4-5@20250929, context window 200,000 tokens" in lines
    assert "Claude: Hello! You said: Hey Claude! What is Vertex AI?" in lines
    assert any(line.startswith("usage: ") and line.endswith("answered in global") for line in lines)
    assert "Streaming: Hello! You said: Name three colours of the rainbow." in lines
    assert any(line.startswith("Structured: City(") for line in lines)


def test_the_agent_example_thinks_calls_a_tool_and_answers(tmp_path: Path) -> None:
    lines = run_example("llamaindex_agent.py", tmp_path, "--thinking")
    assert "User: What is 12 plus 30?" in lines
    assert "Thinking: Let me think about: What is 12 plus 30?" in lines
    assert "Tool call: add({'a': 12, 'b': 30}) -> 42" in lines
    assert lines[-1] == "Agent: Tool results: 42"
