"""The code blocks of docs/agent_frameworks.md run as written, against the emulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from claude_vertex.testing import VertexEmulator

from .wire import pydantic_ai_unusable

DOC = Path(__file__).resolve().parents[2] / "docs" / "agent_frameworks.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_doc_has_code_blocks() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_code_block_runs_on_the_emulator(
    code: str,
    vertex_emulator: VertexEmulator,
    vertex_key_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if "pydantic_ai" in code and (unusable := pydantic_ai_unusable()) is not None:
        pytest.skip(unusable)
    for name, value in vertex_emulator.environ(vertex_key_file).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CLOUD_ML_REGION")  # each call goes to its model's default endpoint
    exec(compile(code, str(DOC), "exec"), {"__name__": "__doc_example__"})  # noqa: S102
    assert capsys.readouterr().out.strip()
    assert all(r.status == 200 for r in vertex_emulator.requests)
