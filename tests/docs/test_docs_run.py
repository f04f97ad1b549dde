"""Every python block of the READMEs and ``docs/*.md`` runs, as written, against the emulator.

Per markdown file, its blocks run in order in one fresh Python subprocess and share one
namespace, as a reader pasting them into one script would (a later block may use ``llm`` from
an earlier one). The working directory is an empty temporary folder; the environment is the
one ``VertexEmulator.environ`` gives (what ``claude-vertex emulator`` exports) with a key file
kept outside that folder, and none of the machine's Google Cloud configuration. Each block is a
test item named ``DOC:LINE``; one marked ``<!-- docs-test: skip — REASON -->`` is only compiled
and reported as skipped with its reason.

Cloud Storage plays the reader's own bucket: ``STORAGE_EMULATOR_HOST`` points at the emulator,
which holds each ``gs://BUCKET/NAME`` that the file's blocks name (a small PDF, PNG or text
file, by the name's suffix).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from claude_vertex.testing import VertexEmulator
from tests.docs.markdown_blocks import ROOT, PythonBlock, doc_files, python_blocks

RUNNER = Path(__file__).with_name("block_runner.py")
#: One file's blocks together may take this long (a hung block fails the file's run).
TIMEOUT = 300
#: Variables through which the machine's own Google or Anthropic setup would leak in.
_LEAKY = (
    "GOOGLE_",
    "GCLOUD_",
    "CLOUDSDK_",
    "ANTHROPIC_",
    "CLOUD_ML_",
    "CLAUDE_VERTEX_",
    "STORAGE_EMULATOR_",
)
#: Shown of a failed file run's output: its end.
_OUTPUT_SHOWN = 4000

#: ``gs://bucket/name`` in a block's source.
_GS_URI = re.compile(r"gs://(?P<bucket>[a-z0-9][a-z0-9._-]*)/(?P<name>[^\s\"'`)]+)")
#: What a named object holds, by suffix: (bytes, content type).
_OBJECTS = {
    ".pdf": (b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "application/pdf"),
    ".png": (
        base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        ),
        "image/png",
    ),
}
_TEXT_OBJECT = (b"An object of the reader's bucket.\n", "text/plain")

BLOCKS = [block for path in doc_files() for block in python_blocks(path)]


@dataclass
class FileRun:
    """The outcome of one markdown file's run: each block's result, and the output of all."""

    results: dict[int, dict[str, str | None]] = field(default_factory=dict)
    output: str = ""
    problem: str | None = None  # the run as a whole failed (a timeout, a crash of the runner)


def docs_environment(emulator: VertexEmulator, key_file: Path, home: Path) -> dict[str, str]:
    """The process environment minus the machine's cloud setup, plus the emulator's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LEAKY)}
    env.update(
        CLOUDSDK_CONFIG=str(home / "no-gcloud"),
        GCE_METADATA_HOST="127.0.0.1:9",
        GCE_METADATA_IP="127.0.0.1:9",
        NO_GCE_CHECK="True",
        PYTHONUNBUFFERED="1",
    )
    env.update(emulator.environ(key_file), STORAGE_EMULATOR_HOST=emulator.storage_host)
    return env


def _put_named_objects(emulator: VertexEmulator, blocks: list[PythonBlock]) -> None:
    """Store each ``gs://`` object the blocks name in the emulator's Cloud Storage."""
    for block in blocks:
        for match in _GS_URI.finditer(block.source):
            name = match["name"]
            data, content_type = _OBJECTS.get(Path(name).suffix.lower(), _TEXT_OBJECT)
            emulator.put_object(match["bucket"], name, data, content_type)


def run_blocks(path: Path, blocks: list[PythonBlock]) -> FileRun:
    """Run ``blocks`` (of the markdown file ``path``) in one subprocess on a fresh emulator."""
    doc = blocks[0].doc if blocks else path.name
    spec = {
        "doc": doc,
        "path": str(path),
        "blocks": [
            {"line": b.line, "source": b.source, "skip_reason": b.skip_reason} for b in blocks
        ],
    }
    run = FileRun()
    with (
        tempfile.TemporaryDirectory(prefix="docs-home-") as home_name,
        tempfile.TemporaryDirectory(prefix="docs-work-") as work_name,
        VertexEmulator() as emulator,
    ):
        home = Path(home_name)  # the key file and the runner's files: out of the blocks' reach
        key_file = emulator.write_service_account_key(home / "key.json")
        _put_named_objects(emulator, blocks)
        spec_file, results_file = home / "blocks.json", home / "results.json"
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        command = [sys.executable, str(RUNNER), str(spec_file), str(results_file)]
        try:
            done = subprocess.run(
                command,
                cwd=work_name,
                env=docs_environment(emulator, key_file, home),
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            run.output = f"{done.stdout}\n--- stderr ---\n{done.stderr}"
        except subprocess.TimeoutExpired as expired:
            run.problem = f"the run of {doc} took longer than {TIMEOUT} s"
            run.output = str(expired.stdout or "")
        if results_file.is_file():
            found = json.loads(results_file.read_text(encoding="utf-8"))
            run.results = {result["line"]: result for result in found}
    return run


def run_file(doc: str) -> FileRun:
    """Run the python blocks of ``doc`` (a path relative to the repository)."""
    return run_blocks(ROOT / doc, [block for block in BLOCKS if block.doc == doc])


@pytest.fixture(scope="session")
def file_runs() -> dict[str, FileRun]:
    """The runs of the markdown files so far, by file: each file runs once per session."""
    return {}


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_doc_block_runs(block: PythonBlock, file_runs: dict[str, FileRun]) -> None:
    if block.doc not in file_runs:
        file_runs[block.doc] = run_file(block.doc)
    run = file_runs[block.doc]
    result = run.results.get(block.line)
    if result is None:
        why = run.problem or "the runner stopped before it"
        pytest.fail(f"{block.where}: not run ({why})\n{run.output[-_OUTPUT_SHOWN:]}")
    if result["status"] == "skipped":
        pytest.skip(f"{block.where}: {block.skip_reason}")
    if result["status"] == "failed":
        pytest.fail(
            f"{block.where}: the block failed: {result['error']}\n"
            f"Output of {block.doc}'s run (its end):\n{run.output[-_OUTPUT_SHOWN:]}",
            pytrace=False,
        )
