"""Run one markdown file's python blocks in order, in one namespace, as a reader's script would.

This is the program of the docs-run subprocess (see ``test_docs_run.py``)::

    python block_runner.py BLOCKS.json RESULTS.json

``BLOCKS.json`` holds ``{"doc", "path", "blocks": [{"line", "source", "skip_reason"}, ...]}``
(``doc`` the name to show, ``path`` the file). Each block is compiled under the file's path
with its own line numbers, so a traceback points into (and quotes) the markdown file; a
skipped block is only compiled. After every block the results so far are written to
``RESULTS.json``: a list of ``{"line", "status", "error"}`` with status ``passed``, ``failed``
or ``skipped``. A line ``--- docs-test: DOC:LINE ---`` on stdout and stderr separates the
output of each block.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def _error(doc: str, path: str, exc: BaseException) -> str:
    """The exception and its traceback, from the first frame in the markdown file on."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [i for i, frame in enumerate(frames) if frame.filename == path]
    shown = traceback.format_list(frames[ours[0] :] if ours else frames)
    where = f" (at {doc}:{frames[ours[-1]].lineno})" if ours else ""
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return f"{summary}{where}\n" + "".join(shown)


def _run_block(
    doc: str, path: str, block: dict[str, Any], namespace: dict[str, Any]
) -> dict[str, Any]:
    """Compile the block and, unless it is marked skipped, run it in ``namespace``."""
    line = block["line"]
    marker = f"--- docs-test: {doc}:{line} ---"
    print(marker, flush=True)
    print(marker, file=sys.stderr, flush=True)
    padded = "\n" * (line - 1) + block["source"]  # so tracebacks give the markdown file's lines
    try:
        code = compile(padded, path, "exec")
        if block["skip_reason"] is not None:
            return {"line": line, "status": "skipped", "error": None}
        exec(code, namespace)  # noqa: S102 - running the docs is the point
    except BaseException as exc:
        return {"line": line, "status": "failed", "error": _error(doc, path, exc)}
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return {"line": line, "status": "passed", "error": None}


def main(argv: list[str]) -> int:
    """Run the blocks of ``argv[1]``, writing the results to ``argv[2]``; 1 if any failed."""
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    results_file = Path(argv[2])
    # As for `python script.py` run in the working folder: it, not this file's, is importable.
    sys.path[0] = os.getcwd()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    results: list[dict[str, Any]] = []
    for block in spec["blocks"]:
        results.append(_run_block(spec["doc"], spec["path"], block, namespace))
        results_file.write_text(json.dumps(results), encoding="utf-8")
    return int(any(result["status"] == "failed" for result in results))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
