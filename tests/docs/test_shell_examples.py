"""The documented ``claude-vertex`` commands (ask, chat, models, doctor, logging, batch) run.

Each such command of a shell block of the READMEs and ``docs/*.md`` (also inside a
pipeline), and of the README's "Command line" list, runs in ``bash -o pipefail`` against the
emulator: in an empty temporary folder holding ``notes.txt`` and ``requests.jsonl`` (the
reader's own files the examples name), with standard input empty and the environment the
python blocks get (see test_docs_run.py). It must exit 0 without a traceback. A command whose
block carries ``<!-- docs-test: skip — REASON -->`` (an interactive session) is reported as
skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from claude_vertex.testing import VertexEmulator
from tests.docs.markdown_blocks import ROOT, ShellExample, doc_files, shell_examples
from tests.docs.test_docs_run import docs_environment

PROGRAMS = (
    "claude-vertex ask",
    "claude-vertex chat",
    "claude-vertex models",
    "claude-vertex doctor",
    "claude-vertex logging",
    "claude-vertex batch",
)
EXAMPLES = [
    example
    for path in doc_files()
    for example in shell_examples(
        path, PROGRAMS, listed_under="Command line" if path == ROOT / "README.md" else None
    )
]
SCRIPT = Path(sys.executable).with_name("claude-vertex")
BASH = shutil.which("bash")
#: The reader's own file that the examples read.
NOTES = "Call the bank on Monday.\nThe roof needs a look before winter.\nBuy coffee.\n"
#: The reader's batch input (``claude-vertex batch submit requests.jsonl``): Anthropic's
#: Message Batches lines.
REQUESTS = "".join(
    json.dumps(
        {
            "custom_id": f"note-{number}",
            "params": {"max_tokens": 64, "messages": [{"role": "user", "content": line}]},
        }
    )
    + "\n"
    for number, line in enumerate(NOTES.splitlines(), 1)
)


def test_the_examples_are_found() -> None:
    found = {example.command for example in EXAMPLES}
    assert "claude-vertex chat --model claude-opus-4-7 --thinking" in found  # README's list
    assert any(command.startswith("printf") for command in found)  # a pipeline in docs/cli.md
    assert any(example.skip_reason for example in EXAMPLES)  # the interactive one
    # docs/batch.md's script: one command over four lines (continued by "\\" and "&&").
    assert any(c.startswith("JOB=$(claude-vertex batch submit") for c in found)
    assert not [c for c in found if "[--" in c]  # usage synopses are text, not commands


@pytest.mark.parametrize("example", EXAMPLES, ids=[example.where for example in EXAMPLES])
def test_shell_example_runs(
    example: ShellExample, vertex_emulator: VertexEmulator, tmp_path: Path
) -> None:
    if example.skip_reason:
        pytest.skip(f"{example.where}: {example.skip_reason}")
    if BASH is None:
        pytest.skip("the examples are bash commands, and bash is not installed here")
    if not SCRIPT.exists():
        pytest.skip("the claude-vertex console script is not installed next to this interpreter")
    if re.search(r"claude-vertex models(?!.*--json)", example.command) and (
        importlib.util.find_spec("rich") is None
    ):
        pytest.skip("the models table needs rich (the cli extra), not installed here")
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (work / "notes.txt").write_text(NOTES, encoding="utf-8")
    (work / "requests.jsonl").write_text(REQUESTS, encoding="utf-8")
    key_file = vertex_emulator.write_service_account_key(home / "key.json")
    env = docs_environment(vertex_emulator, key_file, home)
    env["PATH"] = f"{SCRIPT.parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [BASH, "-o", "pipefail", "-c", example.command],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{example.where}: {example.command}\n{done.stderr}"
    assert "Traceback" not in done.stderr
