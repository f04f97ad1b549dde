"""Both adapters' async calls, one ``asyncio.run`` each, as scripts make them: stderr stays empty.

Run in Python's dev mode with ``ResourceWarning`` an error, so an unclosed socket or a pool
closed after its loop (``Event loop is closed``) shows on stderr.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from claude_vertex.testing import VertexEmulator
from tests.helpers import run_strict

PROGRAMS = {
    "langchain ainvoke": """
import asyncio
from langchain_claude_vertex import ChatClaudeVertex

llm = ChatClaudeVertex(model="claude-sonnet-4-5", max_tokens=16)
for _ in range(20):
    asyncio.run(llm.ainvoke("Hey Claude!"))
""",
    "llama-index acomplete": """
import asyncio
from llama_index.llms.claude_vertex import ClaudeVertex

llm = ClaudeVertex(model="claude-sonnet-4-5", max_tokens=16)
for _ in range(20):
    asyncio.run(llm.acomplete("Hey Claude!"))
""",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_twenty_asyncio_runs_print_nothing_to_stderr(
    name: str, vertex_emulator: VertexEmulator, vertex_key_file: Path
) -> None:
    done = run_strict(PROGRAMS[name] + 'print("done")\n', vertex_emulator, vertex_key_file)
    assert done == (0, "done\n", "")
    assert len(vertex_emulator.requests) == 20
